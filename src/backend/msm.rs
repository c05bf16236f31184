//! Pippenger's bucket method specialised to small signed scalars.
//!
//! Committed activations and weights are 16–24-bit integers. A generic MSM
//! walks all 255 bits of every scalar; here the number of windows follows the
//! largest |scalar| (one or two windows for 16-bit data), and a negative
//! scalar subtracts its base from the bucket (negation is free on the curve).

use ark_ec::AdditiveGroup;
use ark_ff::Zero;
use rayon::prelude::*;

use crate::field::{G1Affine, G1Projective};

/// Window width for `n` points, as in ark-ec's heuristic.
fn window_bits(n: usize) -> usize {
    if n < 32 {
        3
    } else {
        ((n as f64).ln() as usize + 2).min(20)
    }
}

/// `Σ scalars[i]·bases[i]`, sequential. Scalars may use all 64 bits.
pub fn msm_small_pippenger(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let n = scalars.len().min(bases.len());
    let max_abs = scalars[..n]
        .iter()
        .map(|s| s.unsigned_abs())
        .max()
        .unwrap_or(0);
    if max_abs == 0 {
        return G1Projective::zero();
    }
    let bits = (64 - max_abs.leading_zeros()) as usize;
    let c = window_bits(n).min(bits);
    let num_windows = bits.div_ceil(c);
    let mask = (1u64 << c) - 1;
    let mut buckets = vec![G1Projective::zero(); (1 << c) - 1];
    let mut total = G1Projective::zero();
    for w in (0..num_windows).rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        buckets.iter_mut().for_each(|b| *b = G1Projective::zero());
        let shift = w * c;
        for (s, base) in scalars[..n].iter().zip(bases) {
            let digit = (s.unsigned_abs() >> shift) & mask;
            if digit != 0 {
                let bucket = &mut buckets[(digit - 1) as usize];
                if *s < 0 {
                    *bucket -= base;
                } else {
                    *bucket += base;
                }
            }
        }
        // Σ_k k·bucket[k-1] by running sums.
        let mut running = G1Projective::zero();
        let mut window_sum = G1Projective::zero();
        for b in buckets.iter().rev() {
            running += b;
            window_sum += running;
        }
        total += window_sum;
    }
    total
}

/// Parallel version: splits the points into one chunk per thread.
pub(crate) fn msm_small_parallel(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let n = scalars.len().min(bases.len());
    let threads = rayon::current_num_threads().max(1);
    if n < 1 << 12 || threads == 1 {
        return msm_small_pippenger(bases, scalars);
    }
    let chunk = n.div_ceil(threads);
    scalars[..n]
        .par_chunks(chunk)
        .zip(bases[..n].par_chunks(chunk))
        .map(|(s, b)| msm_small_pippenger(b, s))
        .reduce(G1Projective::zero, |a, b| a + b)
}
