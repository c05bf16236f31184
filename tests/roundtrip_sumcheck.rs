//! Honest sumcheck proofs verify, and the reduced claim is the true evaluation.

mod common;

use ark_ff::One;
use common::{random_point, random_table, rng, transcript};
use proptest::prelude::*;
use zkllm::backend::default_backend;
use zkllm::field::Fr;
use zkllm::poly::{eq_eval, DenseMle, SumOfProducts};
use zkllm::sumcheck::{self, SumcheckProof};
use zkllm::wire::Wire;

fn claimed_sum(tables: &[Vec<Fr>], sop: &SumOfProducts) -> Fr {
    (0..tables[0].len())
        .map(|i| sop.evaluate(&tables.iter().map(|t| t[i]).collect::<Vec<_>>()))
        .sum()
}

/// Runs prover and verifier and checks the final claim against the tables.
fn round_trip(tables: Vec<Vec<Fr>>, sop: &SumOfProducts) {
    let backend = default_backend();
    let num_vars = tables[0].len().trailing_zeros() as usize;
    let sum = claimed_sum(&tables, sop);
    let (proof, out) = sumcheck::prove(backend, tables.clone(), sop, sum, &mut transcript(b"ctx"));
    let bytes = proof.to_bytes();
    let parsed = <SumcheckProof>::from_bytes(&bytes).expect("proof parses");
    assert_eq!(parsed, proof);
    let claim = sumcheck::verify(num_vars, sop, sum, &parsed, &mut transcript(b"ctx"))
        .expect("honest proof verifies");
    assert_eq!(claim.point, out.point);
    let evals: Vec<Fr> = tables
        .iter()
        .map(|t| DenseMle::new(t.clone()).evaluate(&claim.point))
        .collect();
    assert_eq!(evals, out.final_values);
    assert_eq!(sop.evaluate(&evals), claim.value);
}

#[test]
fn product_of_two_to_four_tables() {
    let mut r = rng(1);
    for k in 1..=4 {
        let tables = (0..k).map(|_| random_table(&mut r, 1 << 6)).collect();
        round_trip(tables, &SumOfProducts::product(k));
    }
}

#[test]
fn eq_weighted_product_degree_four() {
    let mut r = rng(2);
    let n = 7;
    let point = random_point(&mut r, n);
    let eq = default_backend().eq_table(&point);
    let mut tables = vec![eq];
    for _ in 0..3 {
        tables.push(random_table(&mut r, 1 << n));
    }
    let sop = SumOfProducts::product(4);
    assert_eq!(sop.degree(), 4);
    round_trip(tables.clone(), &sop);
    // The eq factor is what a verifier evaluates itself.
    let sum = claimed_sum(&tables, &sop);
    let (proof, out) = sumcheck::prove(default_backend(), tables, &sop, sum, &mut transcript(b"e"));
    let claim = sumcheck::verify(n, &sop, sum, &proof, &mut transcript(b"e")).unwrap();
    assert_eq!(eq_eval(&point, &claim.point), out.final_values[0]);
}

#[test]
fn sum_of_products_with_coefficients() {
    let mut r = rng(3);
    let tables: Vec<Vec<Fr>> = (0..4).map(|_| random_table(&mut r, 1 << 5)).collect();
    let sop = SumOfProducts::new(
        4,
        vec![
            (Fr::one(), vec![0, 1]),
            (Fr::from(7u64), vec![2, 3, 0]),
            (-Fr::one(), vec![3]),
        ],
    );
    round_trip(tables, &sop);
}

#[test]
fn zero_variables_and_all_zero_tables() {
    let mut r = rng(4);
    round_trip(vec![random_table(&mut r, 1), random_table(&mut r, 1)], &SumOfProducts::product(2));
    round_trip(vec![vec![Fr::from(0u64); 16]; 3], &SumOfProducts::product(3));
}

#[test]
fn large_table_uses_parallel_kernels() {
    let mut r = rng(5);
    let tables = (0..2).map(|_| random_table(&mut r, 1 << 14)).collect();
    round_trip(tables, &SumOfProducts::product(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Arbitrary lengths (zero-padded to a power of two), factor counts and seeds.
    #[test]
    fn padded_tables_of_any_length(len in 1usize..300, k in 1usize..4, seed in any::<u64>()) {
        let mut r = rng(seed);
        let tables: Vec<Vec<Fr>> = (0..k)
            .map(|_| zkllm::poly::pad_to_power_of_two(random_table(&mut r, len)))
            .collect();
        round_trip(tables, &SumOfProducts::product(k));
    }
}
