//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ark_ff::UniformRand;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::field::{from_i64, Fr};
use zkllm::transcript::Transcript;

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn random_table(rng: &mut ChaCha20Rng, len: usize) -> Vec<Fr> {
    (0..len).map(|_| Fr::rand(rng)).collect()
}

/// Small signed integers, like a quantized tensor.
pub fn random_small(rng: &mut ChaCha20Rng, len: usize, bits: u32) -> Vec<i64> {
    use rand_chacha::rand_core::RngCore;
    let half = 1i64 << (bits - 1);
    (0..len)
        .map(|_| (rng.next_u64() % (2 * half as u64)) as i64 - half)
        .collect()
}

pub fn small_to_fr(values: &[i64]) -> Vec<Fr> {
    values.iter().map(|&v| from_i64(v)).collect()
}

pub fn random_point(rng: &mut ChaCha20Rng, n: usize) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

/// A transcript bound to a statement context (as a real proof binds the vk digest).
pub fn transcript(context: &[u8]) -> Transcript {
    let mut t = Transcript::new(b"zkllm-test");
    t.append_bytes(b"context", context);
    t
}

/// A row-major `[dims…]` tensor of small integers, padded per axis, as a table.
pub fn padded(dims: &[usize], values: &[i64]) -> Vec<Fr> {
    let logs: Vec<usize> = dims.iter().map(|&d| zkllm::poly::num_vars_for(d)).collect();
    let mut table = vec![Fr::from(0u64); 1 << logs.iter().sum::<usize>()];
    for (e, v) in values.iter().enumerate() {
        table[zkllm::protocols::index_map::padded_index(dims, e)] = from_i64(*v);
    }
    table
}

pub fn eval(table: &[Fr], point: &[Fr]) -> Fr {
    zkllm::poly::DenseMle::new(table.to_vec()).evaluate(point)
}

/// A claim on `table` at a random point (as the verifier would derive from a
/// public output or a later gadget).
pub fn claim_on(rng: &mut ChaCha20Rng, table: &[Fr]) -> zkllm::sumcheck::EvaluationClaim {
    let point = random_point(rng, table.len().trailing_zeros() as usize);
    let value = eval(table, &point);
    zkllm::sumcheck::EvaluationClaim { point, value }
}

/// The prover's side of clear claims in zero-knowledge mode: each value
/// committed with a fresh blind from `rng`, the points kept.
pub fn hidden_claims(
    rng: &mut ChaCha20Rng,
    claims: &[(usize, zkllm::sumcheck::EvaluationClaim)],
) -> Vec<(usize, zkllm::sumcheck::EvaluationClaim<zkllm::zk::Secret>)> {
    claims
        .iter()
        .map(|(id, cl)| {
            let value = zkllm::zk::Secret::fresh(cl.value, rng);
            (
                *id,
                zkllm::sumcheck::EvaluationClaim {
                    point: cl.point.clone(),
                    value,
                },
            )
        })
        .collect()
}

pub fn matmul_i64(a: &[i64], b: &[i64], m: usize, k: usize, n: usize) -> Vec<i64> {
    let mut c = vec![0i64; m * n];
    for i in 0..m {
        for s in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + s] * b[s * n + j];
            }
        }
    }
    c
}

/// The one message with which the lookup argument refuses values that are
/// not rows of their tables (all tables are checked in one argument, so it
/// cannot name the table).
pub const LOOKUP_REJECTED: &str =
    "lookup: looked-up values are not rows of their tables (the logUp sum is not zero)";

/// The lookup tables (plan order) that committed `values` leave: the
/// witness-side account of which table a forgery breaks, for tests that
/// assert the lookup argument caught it.
pub fn tables_left(plan: &zkllm::circuit::Plan, values: &[Vec<i64>]) -> Vec<usize> {
    use zkllm::circuit::prover::lookup_inputs;
    use zkllm::protocols::lookup::multiplicities;
    (0..plan.tables.len())
        .filter(|&ti| multiplicities(&plan.tables[ti], &lookup_inputs(plan, values, ti)).is_err())
        .collect()
}
