//! Honest Hyrax commitments open and verify, alone and batched.

mod common;

use common::{random_point, random_small, random_table, rng, small_to_fr, transcript};
use proptest::prelude::*;
use zkllm::backend::default_backend;
use zkllm::commit::hyrax::evaluate_padded;
use zkllm::commit::{Hyrax, HyraxCommitment, HyraxOpening};
use zkllm::wire::Wire;

fn hyrax() -> Hyrax {
    Hyrax::setup("zkllm-tests", 12)
}

fn open_and_verify(pcs: &Hyrax, values: &[zkllm::Fr], num_vars: usize, seed: u64) {
    let b = default_backend();
    let mut r = rng(seed);
    let (com, hint) = pcs.commit(b, values, num_vars, &mut r).unwrap();
    let com = HyraxCommitment::from_bytes(&com.to_bytes()).expect("commitment parses");
    let point = random_point(&mut r, num_vars);
    let (value, proof) = pcs
        .open(
            b,
            values,
            &hint,
            &com,
            &point,
            &mut transcript(b"ctx"),
            &mut r,
        )
        .unwrap();
    assert_eq!(value, evaluate_padded(b, values, &point).unwrap());
    let proof = HyraxOpening::from_bytes(&proof.to_bytes()).expect("opening parses");
    pcs.verify(b, &com, &point, value, &proof, &mut transcript(b"ctx"))
        .expect("honest opening verifies");
}

#[test]
fn every_size_from_zero_to_twelve_variables() {
    let pcs = hyrax();
    let mut r = rng(1);
    for n in 0..=12 {
        open_and_verify(&pcs, &random_table(&mut r, 1 << n), n, n as u64);
    }
}

#[test]
fn tables_larger_than_the_generators_take_more_rows() {
    // Generators for 12 variables have 2^6 columns; a 15-variable table is
    // 2^9 rows of them, and opens like any other.
    let pcs = hyrax();
    let mut r = rng(3);
    let values = random_table(&mut r, 1 << 15);
    let (com, _) = pcs.commit(default_backend(), &values, 15, &mut r).unwrap();
    assert_eq!((com.col_vars, com.rows.len()), (6, 1 << 9));
    open_and_verify(&pcs, &values, 15, 4);
}

#[test]
fn short_tables_are_zero_padded() {
    let pcs = hyrax();
    let mut r = rng(2);
    for len in [1usize, 3, 5, 100, 1000] {
        let n = zkllm::poly::num_vars_for(len);
        open_and_verify(&pcs, &random_table(&mut r, len), n, len as u64);
    }
}

#[test]
fn small_integer_commitments_match_field_commitments() {
    let pcs = hyrax();
    let b = default_backend();
    let mut r = rng(3);
    for (len, bits) in [(1000usize, 16u32), (1 << 12, 24), (77, 8), (1 << 10, 40)] {
        let small = random_small(&mut r, len, bits);
        let n = zkllm::poly::num_vars_for(len);
        let (c1, h1) = pcs.commit_small(b, &small, n, &mut rng(9)).unwrap();
        let (c2, h2) = pcs.commit(b, &small_to_fr(&small), n, &mut rng(9)).unwrap();
        assert_eq!(c1, c2, "len {len} bits {bits}");
        assert_eq!(h1, h2);
        open_and_verify(&pcs, &small_to_fr(&small), n, 5);
    }
}

#[test]
fn all_zero_table_opens() {
    let pcs = hyrax();
    open_and_verify(&pcs, &vec![zkllm::Fr::from(0u64); 64], 6, 1);
}

#[test]
fn batch_of_same_shaped_commitments() {
    let pcs = hyrax();
    let b = default_backend();
    let mut r = rng(4);
    let n = 9;
    let tables: Vec<Vec<zkllm::Fr>> = (0..4).map(|i| random_table(&mut r, 300 + 50 * i)).collect();
    let committed: Vec<_> = tables
        .iter()
        .map(|t| pcs.commit(b, t, n, &mut r).unwrap())
        .collect();
    let point = random_point(&mut r, n);
    let values: Vec<_> = tables
        .iter()
        .map(|t| evaluate_padded(b, t, &point).unwrap())
        .collect();
    let refs: Vec<&[zkllm::Fr]> = tables.iter().map(|t| t.as_slice()).collect();
    let hints: Vec<_> = committed.iter().map(|c| &c.1).collect();
    let coms: Vec<_> = committed.iter().map(|c| &c.0).collect();
    let proof = pcs
        .open_batch(
            b,
            &refs,
            &hints,
            &coms,
            &point,
            &values,
            &mut transcript(b"ctx"),
            &mut r,
        )
        .unwrap();
    pcs.verify_batch(b, &coms, &point, &values, &proof, &mut transcript(b"ctx"))
        .expect("batched opening verifies");
}

#[test]
fn proofs_are_deterministic_for_a_seed() {
    let pcs = hyrax();
    let b = default_backend();
    let values = random_table(&mut rng(5), 256);
    let run = || {
        let mut r = rng(6);
        let (com, hint) = pcs.commit(b, &values, 8, &mut r).unwrap();
        let point = random_point(&mut rng(7), 8);
        let (_, p) = pcs
            .open(
                b,
                &values,
                &hint,
                &com,
                &point,
                &mut transcript(b"ctx"),
                &mut r,
            )
            .unwrap();
        (com.to_bytes(), p.to_bytes())
    };
    assert_eq!(run(), run());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn random_lengths_open(len in 1usize..2000, seed in any::<u64>()) {
        let pcs = hyrax();
        let mut r = rng(seed);
        let n = zkllm::poly::num_vars_for(len);
        open_and_verify(&pcs, &random_table(&mut r, len), n, seed);
    }
}
