//! Saturating rescales: a value past its width is clamped to the edge, and
//! the clamp is proven, so that no prompt is refused for a rescale range.
//!
//! A rescale `Y = clamp(Q, bot, top)` of `Q = round(X / 2^s)`, with
//! `X = 2^s·Q + R` as for every rescale (`R` range-checked), commits four
//! auxiliaries beside `Y` and `R`:
//! - `P = max(Q − top, 0)` and `N = max(bot − Q, 0)`, as `P = P' + I_P` and
//!   `N = N' + I_N` with `I_P = [P > 0]`, `I_N = [N > 0]`;
//! - `P'`, `N'` are range-checked in `[0, 2^e)` (`e` bounds the excess: the
//!   input's width less the shift, plus one), which keeps every sum below
//!   the field's size;
//! - one zero-check sumcheck, `Σ_x eq(ρ, x)·Σ_k λ^k·c_k(x) = 0`, proves on
//!   every entry: `I_P, I_N ∈ {0, 1}`; `P'·(1 − I_P) = 0`, `N'·(1 − I_N) = 0`
//!   (so `P > 0` iff `I_P = 1`); `P·(top − Y) = 0`, `N·(Y − bot) = 0`.
//!
//! The relation at the claim's point is `X = 2^s·(Y + P − N) + R`. These
//! force `Y = clamp(Q)`: if `Y = top` then `N = 0` (else `Y = bot`) and
//! `Q = top + P ≥ top`; if `Y = bot` likewise `Q ≤ bot`; otherwise
//! `P = N = 0` and `Y = Q`. With `Y`'s own range check, `Y` is the clamp.
//!
//! The clamp counts `C_P = Σ I_P`, `C_N = Σ I_N` are public (in the proof,
//! absorbed before any challenge that depends on them) and proven by one
//! opening each: `Ĩ_P(½, …, ½) = C_P / 2^n` (padding is zero, see below).
//! They say how many values of each tensor were clamped, and nothing else.
//!
//! Padding: a padded entry of `X` is zero (inherited), so there
//! `2^s·(Y + P − N) + R = 0` with `|R| < 2^(s−1)` forces `Y + P − N = 0`;
//! `P > 0` would need `Y = top` and then `N > 0`, `Y = bot`: so every
//! auxiliary is zero in the padding, and the counts count real entries.

use crate::field::{from_i64, Fr};
use crate::poly::SumOfProducts;

/// Tables of the zero-check, in this order.
pub const TABLES: [&str; 7] = ["eq", "P'", "I_P", "N'", "I_N", "top − Y", "Y − bot"];

/// The edges of a `bits`-wide signed value.
pub use crate::quant::signed_edges as edges;

/// The prover's auxiliaries of one entry: `(P', I_P, N', I_N)` for the
/// quotient `q` before the clamp.
pub fn split(q: i64, bits: u32) -> [i64; 4] {
    let (top, bot) = edges(bits);
    let p = (q - top).max(0);
    let n = (bot - q).max(0);
    let (ip, in_) = ((p > 0) as i64, (n > 0) as i64);
    [p - ip, ip, n - in_, in_]
}

/// The zero-check's sum of products (see the module doc), with powers of
/// `lambda` separating the six constraints.
pub fn zero_check(lambda: Fr) -> SumOfProducts {
    let one = Fr::from(1u64);
    let mut l = one;
    let mut terms = Vec::new();
    let mut push = |pairs: &[(Fr, Vec<usize>)], l: Fr| {
        for (c, f) in pairs {
            terms.push((*c * l, f.clone()));
        }
    };
    // Tables: 0 eq, 1 P', 2 I_P, 3 N', 4 I_N, 5 top − Y, 6 Y − bot.
    for (x, ind, edge) in [(1usize, 2usize, 5usize), (3, 4, 6)] {
        // I − I² = 0
        push(&[(one, vec![0, ind]), (-one, vec![0, ind, ind])], l);
        l *= lambda;
        // X'·(1 − I) = 0
        push(&[(one, vec![0, x]), (-one, vec![0, x, ind])], l);
        l *= lambda;
        // (X' + I)·edge = 0
        push(&[(one, vec![0, x, edge]), (one, vec![0, ind, edge])], l);
        l *= lambda;
    }
    SumOfProducts::new(TABLES.len(), terms)
}

/// The zero-check's summand at the final point from the stated values
/// `[P', I_P, N', I_N, Y]` and `eq(ρ, r)`.
pub fn final_value(eq: Fr, lambda: Fr, v: &[Fr; 5], bits: u32) -> Fr {
    let (top, bot) = edges(bits);
    let [p, ip, n, in_, y] = *v;
    let one = Fr::from(1u64);
    let (t, b) = (from_i64(top) - y, y - from_i64(bot));
    let mut l = one;
    let mut acc = Fr::from(0u64);
    for (x, ind, edge) in [(p, ip, t), (n, in_, b)] {
        for c in [ind - ind * ind, x * (one - ind), (x + ind) * edge] {
            acc += l * c;
            l *= lambda;
        }
    }
    eq * acc
}

/// The quotient before the clamp from `Y` and `[P', I_P, N', I_N]`.
pub fn quotient(y: Fr, v: &[Fr]) -> Fr {
    y + v[0] + v[1] - v[2] - v[3]
}

/// Absorbs the public clamp counts (prover and verifier, after the
/// commitments, before any challenge of the walk).
pub fn absorb_counts(t: &mut crate::transcript::Transcript, counts: &[[u64; 2]]) {
    t.append_u64(b"clamp-count-entries", counts.len() as u64);
    let bytes: Vec<u8> = counts
        .iter()
        .flat_map(|[a, b]| a.to_le_bytes().into_iter().chain(b.to_le_bytes()))
        .collect();
    t.append_bytes(b"clamp-counts", &bytes);
}

/// `(½, …, ½)` on `n` variables, and `C / 2^n`: where and what an indicator
/// with `C` ones opens to.
pub fn count_claim(n: usize, count: u64) -> crate::sumcheck::EvaluationClaim {
    let half = ark_ff::Field::inverse(&Fr::from(2u64)).expect("2 is invertible");
    crate::sumcheck::EvaluationClaim {
        point: vec![half; n],
        value: Fr::from(count) * ark_ff::Field::pow(&half, [n as u64]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split recombines to the clamp and satisfies every constraint.
    #[test]
    fn split_recombines_and_satisfies_the_constraints() {
        let bits = 6;
        let (top, bot) = edges(bits);
        for q in -100..100 {
            let [p, ip, n, in_] = split(q, bits);
            let y = q.clamp(bot, top);
            assert_eq!(y + p + ip - n - in_, q);
            assert!(p >= 0 && n >= 0 && (ip == 0 || ip == 1) && (in_ == 0 || in_ == 1));
            let v = [p, ip, n, in_, y].map(from_i64);
            assert_eq!(
                final_value(Fr::from(1u64), Fr::from(7u64), &v, bits),
                Fr::from(0u64)
            );
        }
    }

    /// Each way of not clamping (an output at the edge for an in-range
    /// quotient, a non-Boolean indicator, an excess without its indicator)
    /// breaks a constraint.
    #[test]
    fn wrong_splits_break_a_constraint() {
        let bits = 6;
        let (top, _) = edges(bits);
        let lam = Fr::from(11u64);
        let bad = |v: [i64; 5]| final_value(Fr::from(1u64), lam, &v.map(from_i64), bits);
        // q = 3 shown as Y = top with a negative excess is no such split; as
        // Y = top − 1 with P = 1: the excess needs Y = top.
        assert_ne!(bad([0, 1, 0, 0, top - 1]), Fr::from(0u64));
        // P' > 0 without I_P.
        assert_ne!(bad([2, 0, 0, 0, top]), Fr::from(0u64));
        // A non-Boolean indicator.
        assert_ne!(bad([0, 2, 0, 0, top]), Fr::from(0u64));
        // Both sides clamped.
        assert_ne!(bad([0, 1, 0, 1, top]), Fr::from(0u64));
    }

    #[test]
    fn the_sum_of_products_matches_the_final_value() {
        let lam = Fr::from(5u64);
        let sop = zero_check(lam);
        let v = [3i64, 1, 0, 0, 9];
        let (top, bot) = edges(5);
        let tables = [
            Fr::from(2u64),
            from_i64(v[0]),
            from_i64(v[1]),
            from_i64(v[2]),
            from_i64(v[3]),
            from_i64(top - v[4]),
            from_i64(v[4] - bot),
        ];
        let vals = [v[0], v[1], v[2], v[3], v[4]].map(from_i64);
        assert_eq!(
            sop.evaluate(&tables),
            final_value(Fr::from(2u64), lam, &vals, 5)
        );
    }
}
