//! Every tampering with a sumcheck is rejected, by the verifier or by the
//! caller's final check that the verifier hands back.

mod common;

use ark_ff::{Field, One};
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
    let tables: Vec<Vec<Fr>> = (0..3)
        .map(|_| random_table(&mut r, 1 << num_vars))
        .collect();
    let sop = SumOfProducts::product(3);
    let sum: Fr = (0..1 << num_vars)
        .map(|i| tables[0][i] * tables[1][i] * tables[2][i])
        .sum();
    let (proof, _) = sumcheck::prove(
        default_backend(),
        tables.clone(),
        &sop,
        sum,
        &mut transcript(b"ctx"),
    );
    Instance {
        tables,
        sop,
        num_vars,
        sum,
        proof,
    }
}

/// Verifier plus the caller's final check against the true tables.
fn accepts(
    inst: &Instance,
    tables: &[Vec<Fr>],
    sum: Fr,
    proof: &SumcheckProof,
    ctx: &[u8],
) -> bool {
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
    let err = sumcheck::verify(
        inst.num_vars,
        &inst.sop,
        inst.sum + Fr::one(),
        &inst.proof,
        &mut transcript(b"ctx"),
    );
    assert_eq!(
        err.unwrap_err(),
        SumcheckError::RoundSumMismatch { round: 0 }
    );
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
        sumcheck::verify(
            inst.num_vars,
            &inst.sop,
            inst.sum,
            &proof,
            &mut transcript(b"ctx")
        ),
        Err(SumcheckError::WrongDegree { round: 0, .. })
    ));
    let mut proof = inst.proof.clone();
    proof.rounds.pop();
    assert!(matches!(
        sumcheck::verify(
            inst.num_vars,
            &inst.sop,
            inst.sum,
            &proof,
            &mut transcript(b"ctx")
        ),
        Err(SumcheckError::WrongRoundCount { .. })
    ));
    let mut proof = inst.proof.clone();
    proof.rounds.push(RoundPoly(vec![Fr::one(); 4]));
    assert!(!accepts(&inst, &inst.tables, inst.sum, &proof, b"ctx"));
}

#[test]
fn replay_under_another_context_is_rejected() {
    let inst = instance();
    assert!(!accepts(
        &inst,
        &inst.tables,
        inst.sum,
        &inst.proof,
        b"other statement"
    ));
}

/// The shape is absorbed before the first challenge, so a proof made for one
/// shape fails under another even where every round message is also the
/// honest message for that other shape: the two shapes below are the same
/// polynomial (`f0·f1·f2`), written differently, so the sum, every round
/// polynomial and the final evaluation agree; only the transcript differs.
/// Round 0 is checked against the claimed sum alone and passes; round 1 is
/// checked against round 0's polynomial at the challenge, which the verifier
/// draws after absorbing its own shape, and fails.
#[test]
fn shape_is_part_of_the_statement() {
    let inst = instance();
    let verify_under = |num_vars: usize, sop: &SumOfProducts| {
        sumcheck::verify(
            num_vars,
            sop,
            inst.sum,
            &inst.proof,
            &mut transcript(b"ctx"),
        )
    };
    let final_check = |sop: &SumOfProducts, claim: &zkllm::sumcheck::EvaluationClaim| {
        let evals: Vec<Fr> = inst
            .tables
            .iter()
            .map(|t| DenseMle::new(t.clone()).evaluate(&claim.point))
            .collect();
        sop.evaluate(&evals) == claim.value
    };
    // Control: under the shape it was proven for, the proof verifies and the
    // final check holds.
    let claim = verify_under(inst.num_vars, &inst.sop).expect("verifies under its own shape");
    assert!(final_check(&inst.sop, &claim));

    let two = Fr::from(2u64);
    let half = two.inverse().unwrap();
    let same_polynomial = [
        // The factors in another order.
        (
            "factors reordered",
            SumOfProducts::new(3, vec![(Fr::one(), vec![2, 0, 1])]),
        ),
        // The coefficient split over two equal terms.
        (
            "coefficient split",
            SumOfProducts::new(3, vec![(half, vec![0, 1, 2]), (half, vec![0, 1, 2])]),
        ),
        // Twice the product, minus the product.
        (
            "2x - x",
            SumOfProducts::new(3, vec![(two, vec![0, 1, 2]), (-Fr::one(), vec![0, 1, 2])]),
        ),
    ];
    for (what, other) in &same_polynomial {
        assert_eq!(other.degree(), inst.sop.degree());
        let evals = [Fr::from(3u64), Fr::from(5u64), Fr::from(7u64)];
        assert_eq!(other.evaluate(&evals), inst.sop.evaluate(&evals), "{what}");
        // An honest proof under `other` has the same round-0 message (it
        // depends on no challenge) and differs from round 1 on: the only
        // difference between the two statements is what the transcript absorbed.
        let (honest_other, _) = sumcheck::prove(
            default_backend(),
            inst.tables.clone(),
            other,
            inst.sum,
            &mut transcript(b"ctx"),
        );
        assert_eq!(honest_other.rounds[0], inst.proof.rounds[0], "{what}");
        assert_ne!(honest_other.rounds[1], inst.proof.rounds[1], "{what}");
        assert_eq!(
            verify_under(inst.num_vars, other).unwrap_err(),
            SumcheckError::RoundSumMismatch { round: 1 },
            "{what}: the proof for f0·f1·f2 was not caught by the transcript-bound round check"
        );
        // And the honest proof for `other` is accepted under `other` only.
        let claim = sumcheck::verify(
            inst.num_vars,
            other,
            inst.sum,
            &honest_other,
            &mut transcript(b"ctx"),
        )
        .unwrap_or_else(|e| panic!("{what}: honest proof for its own shape: {e}"));
        assert!(final_check(other, &claim), "{what}");
        assert_eq!(
            sumcheck::verify(
                inst.num_vars,
                &inst.sop,
                inst.sum,
                &honest_other,
                &mut transcript(b"ctx")
            )
            .unwrap_err(),
            SumcheckError::RoundSumMismatch { round: 1 },
            "{what}: the other way round"
        );
    }

    // Another degree: caught by the message length before any transcript check.
    let degree_two = SumOfProducts::new(3, vec![(Fr::one(), vec![0, 1])]);
    assert!(matches!(
        verify_under(inst.num_vars, &degree_two),
        Err(SumcheckError::WrongDegree {
            round: 0,
            degree: 2,
            found: 4
        })
    ));
    // Another number of variables: caught by the round count.
    assert_eq!(
        verify_under(inst.num_vars - 1, &inst.sop).unwrap_err(),
        SumcheckError::WrongRoundCount {
            expected: inst.num_vars - 1,
            found: inst.num_vars
        }
    );
}

#[test]
fn malformed_bytes_are_errors_not_panics() {
    let inst = instance();
    let bytes = inst.proof.to_bytes();
    for cut in 0..bytes.len() {
        assert!(
            <SumcheckProof>::from_bytes(&bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(<SumcheckProof>::from_bytes(&long).is_err());
    // A huge claimed length must not allocate or panic.
    let mut lying = bytes.clone();
    lying[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(<SumcheckProof>::from_bytes(&lying).is_err());
    // Every single-byte flip either fails to parse or fails to verify. Most
    // flips land in a round value and still parse (a scalar's low bytes), so
    // the loop reaches the verifier, not just the parser.
    let (mut tried, mut parsed) = (0, 0);
    for i in (0..bytes.len()).step_by(7) {
        tried += 1;
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        if let Ok(p) = <SumcheckProof>::from_bytes(&b) {
            parsed += 1;
            assert!(
                !accepts(&inst, &inst.tables, inst.sum, &p, b"ctx"),
                "flip at {i} accepted"
            );
        }
    }
    println!("{parsed} of {tried} flipped sumcheck proofs parsed");
    assert!(
        2 * parsed >= tried,
        "only {parsed} of {tried} flips parsed: the loop barely reaches the verifier"
    );
}
