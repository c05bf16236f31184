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
