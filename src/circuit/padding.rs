//! Weight padding proven zero.
//!
//! Every tensor is zero-padded to a power of two along each axis (see
//! [`super::layout`]), and the gadgets rely on it: a `Sum` over a padded axis,
//! the LM head's padded vocabulary rows, a matmul's padded output columns all
//! read padding. Witness tensors inherit zero padding from the relations that
//! define them, but a weight's padding is whatever the key's commitment holds,
//! and the key is written by the model owner. So every proof shows that each
//! weight's padding is zero.
//!
//! The padding of axis `a` (real size `n`, `l` variables) is the index range
//! `[n, 2^l)`, a union of at most `l` aligned dyadic blocks `[s, s + 2^k)`.
//! On one block the high `l − k` bits of the axis are fixed and the rest free,
//! so the weight restricted to it is the sub-cube where those coordinates are
//! the block's bits. It is zero everywhere there iff its multilinear extension
//! with those coordinates fixed vanishes identically, which a random point on
//! the free coordinates tests (Schwartz–Zippel, error `nv/|F|`). Each block is
//! thus one opening claim of value 0 on the weight's commitment, at a point
//! that is random except for the block's Boolean bits.
//!
//! The claims join the batched openings like every other. They state the
//! value 0, which says nothing about the weights; the points are public
//! challenges, drawn after every commitment is absorbed.

use super::layout;
use crate::field::Fr;
use crate::ir::{Graph, Op};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;

/// The aligned dyadic blocks `(start, log_len)` that tile `[n, 2^l)`.
pub fn padding_blocks(n: usize, l: usize) -> Vec<(usize, usize)> {
    let end = 1usize << l;
    let mut out = Vec::new();
    let mut s = n;
    while s < end {
        let mut k = if s == 0 {
            l
        } else {
            s.trailing_zeros() as usize
        };
        while s + (1 << k) > end {
            k -= 1;
        }
        out.push((s, k));
        s += 1 << k;
    }
    out
}

/// The zero claims on one tensor of `shape`: for every padded axis and every
/// block of its padding, `W̃(ρ with the block's bits fixed) = 0`. Draws `ρ`
/// from the transcript (only when the tensor has padding).
pub fn zero_claims(shape: &[usize], t: &mut Transcript) -> Vec<EvaluationClaim> {
    let logs = layout::axis_logs(shape);
    let padded = shape.iter().zip(&logs).any(|(&d, &l)| d != 1 << l);
    if !padded {
        return Vec::new();
    }
    let rho = t.challenge_scalars(b"weight-padding", layout::num_vars(shape));
    let base: Vec<Vec<Fr>> = layout::blocks(shape, &rho)
        .iter()
        .map(|b| b.to_vec())
        .collect();
    let mut claims = Vec::new();
    for (a, (&d, &l)) in shape.iter().zip(&logs).enumerate() {
        for (start, k) in padding_blocks(d, l) {
            let mut bl = base.clone();
            // Block coordinates are low bit first: bits k.. are the block's.
            for (bit, x) in bl[a].iter_mut().enumerate().skip(k) {
                *x = Fr::from(((start >> bit) & 1) as u64);
            }
            let refs: Vec<&[Fr]> = bl.iter().map(|b| b.as_slice()).collect();
            claims.push(EvaluationClaim {
                point: layout::join(&refs),
                value: Fr::from(0u64),
            });
        }
    }
    claims
}

/// The zero claims of every weight of `graph`, in node order, as
/// `(index among the weights, claim)`; prover and verifier call it at the
/// same transcript position.
pub fn weight_zero_claims(graph: &Graph, t: &mut Transcript) -> Vec<(usize, EvaluationClaim)> {
    t.append_bytes(b"gadget", b"weight-padding");
    graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .enumerate()
        .flat_map(|(k, n)| {
            zero_claims(&n.shape, t)
                .into_iter()
                .map(move |c| (k, c))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poly::DenseMle;

    #[test]
    fn blocks_tile_the_padding_exactly() {
        for l in 0..8 {
            for n in 1..=(1usize << l) {
                let mut covered = vec![false; 1 << l];
                for (s, k) in padding_blocks(n, l) {
                    assert_eq!(s % (1 << k), 0, "block {s} of size 2^{k} is aligned");
                    for c in &mut covered[s..s + (1 << k)] {
                        assert!(!*c, "blocks overlap");
                        *c = true;
                    }
                }
                for (i, c) in covered.iter().enumerate() {
                    assert_eq!(*c, i >= n, "n = {n}, l = {l}, index {i}");
                }
            }
        }
    }

    /// The claims hold for a zero-padded tensor and fail for one padding entry.
    #[test]
    fn claims_hold_iff_padding_is_zero() {
        let shape = [3usize, 5];
        let vals: Vec<i64> = (1..=15).collect();
        let honest = layout::padded_ints(&shape, &vals);
        let nv = layout::num_vars(&shape);
        let eval =
            |tab: &[i64], p: &[Fr]| DenseMle::new(crate::field::from_i64_slice(tab)).evaluate(p);
        let mut t = Transcript::new(b"test");
        let claims = zero_claims(&shape, &mut t);
        assert!(!claims.is_empty());
        for c in &claims {
            assert_eq!(c.point.len(), nv);
            assert_eq!(eval(&honest, &c.point), c.value);
        }
        for slot in 0..honest.len() {
            let real = (0..15).any(|e| layout::padded_index(&shape, e) == slot);
            if real {
                continue;
            }
            let mut bad = honest.clone();
            bad[slot] = 7;
            let caught = claims.iter().any(|c| eval(&bad, &c.point) != c.value);
            assert!(caught, "padding slot {slot} not caught");
        }
        assert!(zero_claims(&[4, 8], &mut t).is_empty());
    }
}
