//! Rescale `X = γ·Q + R` with `γ = 2^s` and `R ∈ [−γ/2, γ/2)`: `Q` is `X`
//! divided by `γ` and rounded to nearest (ties up).
//!
//! The relation is linear, so a claim `Q̃(u) = q` becomes, with the prover's
//! `R̃(u) = r`, the claim `X̃(u) = γ·q + r` (handed to the op that produced
//! `X`) plus claims on the committed `Q` and `R`.
//!
//! # Why both `R` and `Q` must be range-checked
//! `X = γQ + R` holds in the field for *every* `R`: given any `R`, the prover
//! can set `Q = (X − R)/γ mod p`. Checking `R ∈ [−γ/2, γ/2)` alone therefore
//! proves nothing — `Q` would be a huge field element. Only when `Q` is also
//! bounded (by its own range lookup, or by the function lookup it feeds) is
//! `|γQ + R| < p`, so the field equation is the integer equation and `Q` is
//! the rounded quotient. The circuit registers both lookups; this module
//! checks the linear relation.
//!
//! Values wider than one 16-bit table (up to 40 bits) are split into limbs
//! ([`limbs`]): one or two unsigned 12-bit low limbs and a signed top limb,
//! each range-checked, recombined by the same linear argument — one
//! canonical decomposition per value.

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::{from_i64, Fr};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;

const GADGET: &str = "rescale";

/// `(Q, R)` for `X` and shift `s`: `Q = ⌊(X + 2^(s−1)) / 2^s⌋`, `R = X − 2^s·Q`.
pub fn rescale(x: i64, shift: u32) -> (i64, i64) {
    if shift == 0 {
        return (x, 0);
    }
    let q = (x + (1i64 << (shift - 1))) >> shift;
    (q, x - (q << shift))
}

/// Claims produced by a rescale step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RescaleClaims {
    pub x: EvaluationClaim,
    pub q: EvaluationClaim,
    pub r: EvaluationClaim,
}

fn finish(shift: u32, q: &EvaluationClaim, r_value: Fr, t: &mut Transcript) -> RescaleClaims {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"rescale-shift", shift as u64);
    t.append_scalar(b"rescale-r", &r_value);
    let gamma = from_i64(1i64 << shift);
    RescaleClaims {
        x: EvaluationClaim {
            point: q.point.clone(),
            value: gamma * q.value + r_value,
        },
        q: q.clone(),
        r: EvaluationClaim {
            point: q.point.clone(),
            value: r_value,
        },
    }
}

/// Prover: from a claim on `Q`, states `R̃(u)`; the message is that one scalar.
pub fn prove(
    backend: &dyn Backend,
    shift: u32,
    remainder: &[Fr],
    q: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (Fr, RescaleClaims) {
    let r_value = backend.evaluate(remainder, &q.point);
    (r_value, finish(shift, q, r_value, transcript))
}

/// Verifier: the claim on `X` follows from the claim on `Q` and the stated `R̃(u)`.
pub fn verify(
    shift: u32,
    q: &EvaluationClaim,
    r_value: Fr,
    transcript: &mut Transcript,
) -> Result<RescaleClaims, ProtocolError> {
    if shift >= 62 {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "shift too large",
        });
    }
    Ok(finish(shift, q, r_value, transcript))
}

/// Limb decomposition of signed values wider than a lookup table.
pub mod limbs {
    /// Splits `v` into `low_bits` unsigned low bits and a signed high part:
    /// `v = hi·2^low_bits + lo`, `lo ∈ [0, 2^low_bits)`. Unique for every `v`.
    pub fn split(v: i64, low_bits: u32) -> (i64, i64) {
        let lo = v & ((1i64 << low_bits) - 1);
        ((v - lo) >> low_bits, lo)
    }

    /// Splits `v` into `n` limbs, most significant first: `n − 1` unsigned
    /// limbs of `low_bits` below a signed top limb,
    /// `v = Σ_k limb_k·2^((n−1−k)·low_bits)`. Unique for every `v`.
    pub fn split_n(v: i64, low_bits: u32, n: usize) -> Vec<i64> {
        let mut out = vec![0; n];
        let mut rest = v;
        for k in (1..n).rev() {
            let (hi, lo) = split(rest, low_bits);
            out[k] = lo;
            rest = hi;
        }
        out[0] = rest;
        out
    }

    /// Coefficients `[2^low_bits, 1]` of `(hi, lo)` for the linear gadget.
    pub fn coefficients(low_bits: u32) -> [crate::field::Fr; 2] {
        [
            crate::field::from_i64(1i64 << low_bits),
            crate::field::Fr::from(1u64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_rounds_to_nearest_with_remainder_in_range() {
        for shift in [1u32, 4, 8, 12] {
            let g = 1i64 << shift;
            for x in -5000i64..5000 {
                let (q, r) = rescale(x, shift);
                assert_eq!(q * g + r, x);
                assert!(-(g / 2) <= r && r < g / 2, "x={x} shift={shift} r={r}");
            }
        }
        assert_eq!(rescale(7, 0), (7, 0));
    }

    #[test]
    fn n_limbs_recombine_and_stay_in_range() {
        for v in [
            0i64,
            1,
            -1,
            4095,
            4096,
            -4097,
            (1 << 35) - 1,
            -(1 << 35),
            123_456_789_012,
        ] {
            let l = limbs::split_n(v, 12, 3);
            assert_eq!(l[0] * (1 << 24) + l[1] * (1 << 12) + l[2], v, "{v}");
            assert!(
                l[1..].iter().all(|&x| (0..1 << 12).contains(&x)),
                "{v}: {l:?}"
            );
            assert_eq!(limbs::split_n(v, 12, 2), {
                let (h, lo) = limbs::split(v, 12);
                vec![h, lo]
            });
        }
    }

    #[test]
    fn limbs_are_canonical() {
        for v in [-(1i64 << 23), -1, 0, 1, 4095, 4096, (1 << 23) - 1, -4097] {
            let (hi, lo) = limbs::split(v, 12);
            assert_eq!(hi * 4096 + lo, v);
            assert!((0..4096).contains(&lo));
            assert!((-2048..2048).contains(&hi), "{v}");
        }
    }
}
