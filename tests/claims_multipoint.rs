//! Several claims on one table reduced to one: honest and tampered.

mod common;

use ark_ff::One;
use common::{random_point, random_table, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::claims::{prove_multipoint, verify_multipoint, ClaimError, MultiPointProof};
use zkllm::field::Fr;
use zkllm::poly::DenseMle;
use zkllm::wire::Wire;

struct Setup {
    table: Vec<Fr>,
    points: Vec<Vec<Fr>>,
    values: Vec<Fr>,
}

fn setup(n: usize, claims: usize, seed: u64) -> Setup {
    let mut r = rng(seed);
    let table = random_table(&mut r, 1 << n);
    let points: Vec<Vec<Fr>> = (0..claims).map(|_| random_point(&mut r, n)).collect();
    let mle = DenseMle::new(table.clone());
    let values = points.iter().map(|p| mle.evaluate(p)).collect();
    Setup {
        table,
        points,
        values,
    }
}

#[test]
fn honest_reduction_yields_a_true_claim() {
    for (n, k) in [(0, 1), (1, 2), (5, 3), (8, 6)] {
        let s = setup(n, k, n as u64);
        let (proof, claim) = prove_multipoint(
            default_backend(),
            &s.table,
            &s.points,
            &s.values,
            &mut transcript(b"c"),
        )
        .unwrap();
        let proof = MultiPointProof::from_bytes(&proof.to_bytes()).unwrap();
        let verified =
            verify_multipoint(n, &s.points, &s.values, &proof, &mut transcript(b"c")).unwrap();
        assert_eq!(verified, claim);
        assert_eq!(
            DenseMle::new(s.table.clone()).evaluate(&claim.point),
            claim.value
        );
    }
}

#[test]
fn a_wrong_claimed_value_is_rejected_or_leaves_a_false_claim() {
    let s = setup(6, 4, 7);
    let mut values = s.values.clone();
    values[2] += Fr::one();
    // The honest table cannot support the wrong value: the prover's messages
    // either fail verification or end in a claim the opening will refute.
    let (proof, _) = prove_multipoint(
        default_backend(),
        &s.table,
        &s.points,
        &values,
        &mut transcript(b"c"),
    )
    .unwrap();
    match verify_multipoint(6, &s.points, &values, &proof, &mut transcript(b"c")) {
        Err(_) => {}
        Ok(claim) => assert_ne!(
            DenseMle::new(s.table.clone()).evaluate(&claim.point),
            claim.value
        ),
    }
}

#[test]
fn tampered_messages_are_rejected() {
    let s = setup(6, 3, 8);
    let (proof, _) = prove_multipoint(
        default_backend(),
        &s.table,
        &s.points,
        &s.values,
        &mut transcript(b"c"),
    )
    .unwrap();
    let mut p = proof.clone();
    p.finals.0[0] += Fr::one();
    assert_eq!(
        verify_multipoint(6, &s.points, &s.values, &p, &mut transcript(b"c")).unwrap_err(),
        ClaimError::FinalCheck
    );
    let mut p = proof.clone();
    p.rounds.rounds[1].0[2] += Fr::one();
    assert!(verify_multipoint(6, &s.points, &s.values, &p, &mut transcript(b"c")).is_err());
    let mut points = s.points.clone();
    points[0][0] += Fr::one();
    assert!(verify_multipoint(6, &points, &s.values, &proof, &mut transcript(b"c")).is_err());
    assert!(verify_multipoint(6, &s.points, &s.values, &proof, &mut transcript(b"other")).is_err());
    assert!(matches!(
        verify_multipoint(6, &s.points, &s.values[..2], &proof, &mut transcript(b"c")),
        Err(ClaimError::LengthMismatch { .. })
    ));
}
