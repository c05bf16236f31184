//! Every tampering with a sumcheck is rejected, by the verifier or by the
//! caller's final check that the verifier hands back.

mod common;

use ark_ff::One;
use common::{random_table, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::field::Fr;
use zkllm::poly::{DenseMle, SumOfProducts};
use zkllm::sumcheck::{self, RoundPoly, SumcheckError, SumcheckProof};
use zkllm::wire::Wire;

struct Instance {
    tables: Vec<Vec<Fr>>,
    sop: SumOfProducts,
    num_vars: usize,
    sum: Fr,
    proof: SumcheckProof,
}

fn instance() -> Instance {
    let mut r = rng(11);
    let num_vars = 6;
    let tables: Vec<Vec<Fr>> = (0..3).map(|_| random_table(&mut r, 1 << num_vars)).collect();
    let sop = SumOfProducts::product(3);
    let sum: Fr = (0..1 << num_vars)
        .map(|i| tables[0][i] * tables[1][i] * tables[2][i])
        .sum();
    let (proof, _) = sumcheck::prove(default_backend(), tables.clone(), &sop, sum, &mut transcript(b"ctx"));
    Instance { tables, sop, num_vars, sum, proof }
}

/// Verifier plus the caller's final check against the true tables.
fn accepts(inst: &Instance, tables: &[Vec<Fr>], sum: Fr, proof: &SumcheckProof, ctx: &[u8]) -> bool {
    match sumcheck::verify(inst.num_vars, &inst.sop, sum, proof, &mut transcript(ctx)) {
        Err(_) => false,
        Ok(claim) => {
            let evals: Vec<Fr> = tables
                .iter()
                .map(|t| DenseMle::new(t.clone()).evaluate(&claim.point))
                .collect();
            inst.sop.evaluate(&evals) == claim.value
        }
    }
}

#[test]
fn honest_proof_is_accepted() {
    let inst = instance();
    assert!(accepts(&inst, &inst.tables, inst.sum, &inst.proof, b"ctx"));
}

#[test]
fn wrong_claimed_sum_is_rejected() {
    let inst = instance();
    let err = sumcheck::verify(inst.num_vars, &inst.sop, inst.sum + Fr::one(), &inst.proof, &mut transcript(b"ctx"));
    assert_eq!(err.unwrap_err(), SumcheckError::RoundSumMismatch { round: 0 });
}

#[test]
fn every_changed_round_value_is_rejected() {
    let inst = instance();
    for round in 0..inst.num_vars {
        for k in 0..=inst.sop.degree() {
            let mut proof = inst.proof.clone();
            proof.rounds[round].0[k] += Fr::one();
            assert!(
                !accepts(&inst, &inst.tables, inst.sum, &proof, b"ctx"),
                "changed value {k} of round {round} accepted"
            );
        }
    }
}

#[test]
fn consistent_forgery_of_one_round_is_caught_later() {
    // Keep g(0)+g(1) right but change the polynomial: the next round or the final check fails.
    let inst = instance();
    let mut proof = inst.proof.clone();
    proof.rounds[2].0[0] += Fr::one();
    proof.rounds[2].0[1] -= Fr::one();
    assert!(!accepts(&inst, &inst.tables, inst.sum, &proof, b"ctx"));
}

#[test]
fn wrong_witness_is_rejected_by_the_final_check() {
    let inst = instance();
    let mut tables = inst.tables.clone();
    tables[1][5] += Fr::one();
    assert!(!accepts(&inst, &tables, inst.sum, &inst.proof, b"ctx"));
}

#[test]
fn wrong_degree_or_round_count_is_rejected() {
    let inst = instance();
    let mut proof = inst.proof.clone();
    proof.rounds[0].0.push(Fr::one());
    assert!(matches!(
        sumcheck::verify(inst.num_vars, &inst.sop, inst.sum, &proof, &mut transcript(b"ctx")),
        Err(SumcheckError::WrongDegree { round: 0, .. })
    ));
    let mut proof = inst.proof.clone();
    proof.rounds.pop();
    assert!(matches!(
        sumcheck::verify(inst.num_vars, &inst.sop, inst.sum, &proof, &mut transcript(b"ctx")),
        Err(SumcheckError::WrongRoundCount { .. })
    ));
    let mut proof = inst.proof.clone();
    proof.rounds.push(RoundPoly(vec![Fr::one(); 4]));
    assert!(!accepts(&inst, &inst.tables, inst.sum, &proof, b"ctx"));
}

#[test]
fn replay_under_another_context_is_rejected() {
    let inst = instance();
    assert!(!accepts(&inst, &inst.tables, inst.sum, &inst.proof, b"other statement"));
}

#[test]
fn shape_is_part_of_the_statement() {
    // The same proof checked against a different expression is rejected.
    let inst = instance();
    let other = SumOfProducts::new(3, vec![(Fr::from(2u64), vec![0, 1, 2])]);
    let r = sumcheck::verify(inst.num_vars, &other, inst.sum, &inst.proof, &mut transcript(b"ctx"));
    let ok = r.is_ok_and(|claim| {
        let evals: Vec<Fr> = inst.tables.iter().map(|t| DenseMle::new(t.clone()).evaluate(&claim.point)).collect();
        other.evaluate(&evals) == claim.value
    });
    assert!(!ok);
}

#[test]
fn malformed_bytes_are_errors_not_panics() {
    let inst = instance();
    let bytes = inst.proof.to_bytes();
    for cut in 0..bytes.len() {
        assert!(<SumcheckProof>::from_bytes(&bytes[..cut]).is_err(), "truncated at {cut}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(<SumcheckProof>::from_bytes(&long).is_err());
    // A huge claimed length must not allocate or panic.
    let mut lying = bytes.clone();
    lying[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(<SumcheckProof>::from_bytes(&lying).is_err());
    // Every single-byte flip either fails to parse or fails to verify.
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        if let Ok(p) = <SumcheckProof>::from_bytes(&b) {
            assert!(!accepts(&inst, &inst.tables, inst.sum, &p, b"ctx"), "flip at {i} accepted");
        }
    }
}
