//! Saturating rescales: a value past its width is clamped to the edge, and
//! the clamp is proven, so that no prompt is refused for a rescale range.
//!
//! A rescale `Y = clamp(Q, bot, top)` of `Q = round(X / 2^s)`, with
//! `X = 2^s·Q + R` as for every rescale (`R` range-checked), writes the
//! clamp's difference `D = Q − Y` as `D = S·(E + 1)` and commits two
//! auxiliaries beside `Y` and `R`:
//! - the sign `S ∈ {−1, 0, 1}` of `D`;
//! - the excess `E = |D| − |S|`, range-checked in `[0, 2^e)` (`e` bounds
//!   the excess: the input's width less the shift, plus one), which keeps
//!   every sum far below the field's size. Past 16 bits only its limbs are
//!   committed ([`super::plan::Ranged`]).
//!
//! At a claim on `Y` at point `c` the prover states `D̃(c)`, and one
//! sumcheck (after the walk, batched with the other clamps of its size, see
//! [`batches`]) proves three things at once, separated by powers of `λ`:
//! - on every entry, by a zero-check at a fresh point `ρ`
//!   (`Σ_x eq(ρ, x)·C_k(x) = 0`): `S³ − S = 0`; `E·(1 − S²) = 0`;
//!   `(S² + S)·(top − Y) = 0`; `(S² − S)·(Y − bot) = 0`;
//! - `Σ_x eq(c, x)·S(x)·(E(x) + 1) = D̃(c)`;
//! - `Σ_x S(x)² = C_P + C_N`, the public clamp counts' sum.
//!
//! The relation at the claim's point is `X̃(c) = 2^s·(Ỹ(c) + D̃(c)) + R̃(c)`.
//! Entry by entry these force `Y = clamp(Q)`: `S = 1` forces `Y = top` and
//! `Q = top + E + 1 > top`; `S = −1` forces `Y = bot` and
//! `Q = bot − E − 1 < bot`; `S = 0` forces `E = 0` and `Q = Y`, in range by
//! `Y`'s own range check. So an in-range quotient cannot be shown clamped
//! (its excess would be negative) and one past the edge cannot pass
//! unclamped (`Y` would leave its range).
//!
//! The clamp counts `C_P = #{S = 1}`, `C_N = #{S = −1}` are public (in the
//! proof, absorbed before any challenge that depends on them): the sumcheck
//! proves `Σ S² = C_P + C_N`, and one opening `S̃(½, …, ½) = (C_P − C_N)/2^n`
//! proves `Σ S = C_P − C_N`; the two fix both counts. They say how many
//! values of each tensor were clamped, and nothing else.
//!
//! Padding: a padded entry of `X` is zero (inherited), so there
//! `2^s·(Y + D) + R = 0` with `|R| ≤ 2^(s−1)` forces `Y + D = 0`. `S = 1`
//! would need `Y = top ≥ 0` and `D ≥ 1`; `S = −1` would need `Y = bot < 0`
//! and `D ≤ −1`: neither sums to zero. So `S = E = 0` in the padding, and
//! the counts count real entries.
//!
//! This layout commits two tensors per rescale (with `E`'s limbs where it
//! is wide); an earlier one committed `P'`, `I_P`, `N'`, `I_N` and both
//! excesses' limbs, about twice the volume.

use crate::field::{from_i64, Fr};
use crate::poly::SumOfProducts;

/// The edges of a `bits`-wide signed value.
pub use crate::quant::signed_edges as edges;

/// The prover's auxiliaries of one entry: `(S, E)` for the quotient `q`
/// before the clamp.
pub fn split(q: i64, bits: u32) -> [i64; 2] {
    let (top, bot) = edges(bits);
    let d = q - q.clamp(bot, top);
    let s = d.signum();
    [s, d.abs() - s.abs()]
}

/// The sumcheck's tables, in order: `eq(ρ, ·)`, `eq(c, ·)`, `S`, the `m`
/// parts of `E` (its limbs, or `E` itself), `Y`.
pub fn num_tables(parts: usize) -> usize {
    4 + parts
}

/// The sumcheck's sum of products (see the module doc) for a `bits`-wide
/// output, `E = Σ_j w_j·E_j` over its parts' weights `w`. The edge
/// constraints are expanded over `Y` itself (`(S² + S)·(top − Y)` as
/// `top·S² + top·S − S²·Y − S·Y`), so `Y` is one table and one final value.
pub fn sumcheck(lambda: Fr, w: &[Fr], bits: u32) -> SumOfProducts {
    let one = Fr::from(1u64);
    let (top, bot) = edges(bits);
    let (top, bot) = (from_i64(top), from_i64(bot));
    let m = w.len();
    let (eqr, eqc, s, y) = (0, 1, 2, 3 + m);
    let e = |j: usize| 3 + j;
    let l: Vec<Fr> = std::iter::successors(Some(one), |p| Some(*p * lambda))
        .take(6)
        .collect();
    let mut terms = vec![
        // S³ − S = 0
        (l[0], vec![eqr, s, s, s]),
        (-l[0], vec![eqr, s]),
    ];
    for (j, &wj) in w.iter().enumerate() {
        // E·(1 − S²) = 0
        terms.push((l[1] * wj, vec![eqr, e(j)]));
        terms.push((-l[1] * wj, vec![eqr, e(j), s, s]));
    }
    // (S² + S)·(top − Y) = 0
    terms.push((l[2] * top, vec![eqr, s, s]));
    terms.push((l[2] * top, vec![eqr, s]));
    terms.push((-l[2], vec![eqr, s, s, y]));
    terms.push((-l[2], vec![eqr, s, y]));
    // (S² − S)·(Y − bot) = 0
    terms.push((l[3], vec![eqr, s, s, y]));
    terms.push((-l[3], vec![eqr, s, y]));
    terms.push((-l[3] * bot, vec![eqr, s, s]));
    terms.push((l[3] * bot, vec![eqr, s]));
    // Σ eq(c, ·)·S·(E + 1) = D̃(c)
    for (j, &wj) in w.iter().enumerate() {
        terms.push((l[4] * wj, vec![eqc, s, e(j)]));
    }
    terms.push((l[4], vec![eqc, s]));
    // Σ S² = C_P + C_N
    terms.push((l[5], vec![s, s]));
    SumOfProducts::new(num_tables(m), terms)
}

/// The sumcheck's claimed sum: `λ⁴·D̃(c) + λ⁵·(C_P + C_N)`, as the
/// coefficients of `D̃(c)` and of one.
pub fn claimed_sum(lambda: Fr, counts: [u64; 2]) -> (Fr, Fr) {
    let l4 = ark_ff::Field::pow(&lambda, [4u64]);
    (l4, l4 * lambda * Fr::from(counts[0] + counts[1]))
}

/// The summand at the final point from `eq(ρ, r)`, `eq(c, r)` and the
/// values `[S, E, Y]` there, for a `bits`-wide output (the readable form of
/// [`sumcheck`], for tests).
pub fn final_value(eq_rho: Fr, eq_c: Fr, lambda: Fr, v: &[Fr; 3], bits: u32) -> Fr {
    let one = Fr::from(1u64);
    let [s, e, y] = *v;
    let (top, bot) = edges(bits);
    let c = [
        s * s * s - s,
        e * (one - s * s),
        (s * s + s) * (from_i64(top) - y),
        (s * s - s) * (y - from_i64(bot)),
    ];
    let mut l = one;
    let mut acc = Fr::from(0u64);
    for c in c {
        acc += l * c;
        l *= lambda;
    }
    eq_rho * acc + l * eq_c * s * (e + one) + l * lambda * s * s
}

/// Most table entries one batch of clamp sumchecks holds (the prover
/// builds every table of a batch at once): `2^25` field elements, 1 GiB.
pub const MAX_BATCH_ENTRIES: usize = 1 << 25;

/// The clamps proven by one sumcheck: clamps of the same number of
/// variables, in walk order, cut where a batch would hold more than
/// [`MAX_BATCH_ENTRIES`]. `shapes[k]` is clamp `k`'s `(variables, parts of
/// E)`; returns indices into `shapes`. Prover and verifier cut alike.
pub fn batches(shapes: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut by_size = std::collections::BTreeMap::<usize, Vec<usize>>::new();
    for (k, &(nv, _)) in shapes.iter().enumerate() {
        by_size.entry(nv).or_default().push(k);
    }
    let mut out = Vec::new();
    for (nv, ks) in by_size {
        let mut batch: Vec<usize> = Vec::new();
        let mut entries = 0;
        for k in ks {
            let e = (num_tables(shapes[k].1) - 1) << nv;
            if !batch.is_empty() && entries + e > MAX_BATCH_ENTRIES {
                out.push(std::mem::take(&mut batch));
                entries = 0;
            }
            batch.push(k);
            entries += e;
        }
        out.push(batch);
    }
    out
}

/// The first table of each clamp in a batch's sumcheck, whose tables are
/// `eq(ρ, ·)` (shared), then per clamp its [`sumcheck`] tables but the
/// first: `eq(c_k, ·)`, `S_k`, `E_k`'s parts, `Y_k`.
pub fn batch_offsets(parts: &[usize]) -> Vec<usize> {
    let mut base = 1;
    parts
        .iter()
        .map(|&m| {
            let b = base;
            base += num_tables(m) - 1;
            b
        })
        .collect()
}

/// One batch's sum of products: clamp `k`'s [`sumcheck`] (with its own
/// parts' weights `w[k]` and output width `bits[k]`) scaled by `μ^k`, all sharing `eq(ρ, ·)`. A false
/// clamp survives the batching with probability at most `K/|F|` (a
/// polynomial of degree `< K` in `μ`).
pub fn batched_sumcheck(lambda: Fr, mu: Fr, w: &[Vec<Fr>], bits: &[u32]) -> SumOfProducts {
    let parts: Vec<usize> = w.iter().map(Vec::len).collect();
    let offsets = batch_offsets(&parts);
    let mut coeff = Fr::from(1u64);
    let mut terms = Vec::new();
    for ((wk, &b), &base) in w.iter().zip(bits).zip(&offsets) {
        let one = sumcheck(lambda, wk, b);
        for (c, f) in one.terms() {
            let f = f.iter().map(|&i| if i == 0 { 0 } else { base + i - 1 });
            terms.push((*c * coeff, f.collect()));
        }
        coeff *= mu;
    }
    let tables = offsets
        .last()
        .map_or(1, |b| b + num_tables(parts[parts.len() - 1]) - 1);
    SumOfProducts::new(tables, terms)
}

/// One batch's claimed sum `Σ_k μ^k·(λ⁴·D̃_k(c_k) + λ⁵·(C_P,k + C_N,k))`, as
/// each `D̃_k(c_k)`'s coefficient and the constant.
pub fn batched_claim(lambda: Fr, mu: Fr, counts: &[[u64; 2]]) -> (Vec<Fr>, Fr) {
    let mut coeff = Fr::from(1u64);
    let mut ds = Vec::with_capacity(counts.len());
    let mut constant = Fr::from(0u64);
    for &c in counts {
        let (d, k) = claimed_sum(lambda, c);
        ds.push(coeff * d);
        constant += coeff * k;
        coeff *= mu;
    }
    (ds, constant)
}

/// One batch's challenges and public shape, drawn and derived alike by
/// prover and verifier: the shared zero-check point `ρ`, the sum of
/// products, each `D̃_k(c_k)`'s coefficient and the constant of the claimed
/// sum, and where each clamp's tables start.
pub struct Batch {
    pub rho: Vec<Fr>,
    pub sop: SumOfProducts,
    pub d_coeffs: Vec<Fr>,
    pub constant: Fr,
    /// Each clamp's first table ([`batch_offsets`]).
    pub offsets: Vec<usize>,
    /// Each clamp's number of `E` parts.
    pub parts: Vec<usize>,
}

impl Batch {
    /// Draws `ρ` on `nv` variables, `λ` and `μ`, for clamps with `E` parts'
    /// weights `w`, output widths `bits` and clamp counts `counts`.
    pub fn draw(
        t: &mut crate::transcript::Transcript,
        nv: usize,
        w: &[Vec<Fr>],
        bits: &[u32],
        counts: &[[u64; 2]],
    ) -> Self {
        let rho = t.challenge_scalars(b"saturation-point", nv);
        let lambda = t.challenge_scalar(b"saturation-lambda");
        let mu = t.challenge_scalar(b"saturation-batch");
        let sop = batched_sumcheck(lambda, mu, w, bits);
        let (d_coeffs, constant) = batched_claim(lambda, mu, counts);
        let parts: Vec<usize> = w.iter().map(Vec::len).collect();
        let offsets = batch_offsets(&parts);
        Self {
            rho,
            sop,
            d_coeffs,
            constant,
            offsets,
            parts,
        }
    }

    /// Clamp `i`'s final values among the sumcheck's (the tables it does
    /// not mark public): `S`, `E`'s parts, `Y`. Before clamp `i` come `i`
    /// public `eq(c_j, ·)` tables besides `eq(ρ, ·)`.
    pub fn values(&self, i: usize) -> std::ops::Range<usize> {
        let start = self.offsets[i] - 1 - i;
        start..start + 2 + self.parts[i]
    }

    /// Which tables are public: `eq(ρ, ·)` and each `eq(c_k, ·)`.
    pub fn public(&self) -> Vec<bool> {
        let mut p = vec![false; self.sop.num_tables()];
        p[0] = true;
        for &b in &self.offsets {
            p[b] = true;
        }
        p
    }
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

/// `(½, …, ½)` on `n` variables, and `(C_P − C_N) / 2^n`: where and what
/// the sign tensor opens to.
pub fn count_claim(n: usize, counts: [u64; 2]) -> crate::sumcheck::EvaluationClaim {
    let half = ark_ff::Field::inverse(&Fr::from(2u64)).expect("2 is invertible");
    crate::sumcheck::EvaluationClaim {
        point: vec![half; n],
        value: (Fr::from(counts[0]) - Fr::from(counts[1])) * ark_ff::Field::pow(&half, [n as u64]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: [i64; 3]) -> [Fr; 3] {
        v.map(from_i64)
    }

    /// The zero-check part of the summand, at `eq(ρ) = 1`, `eq(c) = 0` and
    /// `S = 0` outside the `Σ S²` term: zero exactly on a valid entry.
    fn constraints(s: i64, e: i64, y: i64, bits: u32) -> Fr {
        let lam = Fr::from(11u64);
        let v = f([s, e, y]);
        let l5 = ark_ff::Field::pow(&lam, [5u64]);
        final_value(Fr::from(1u64), Fr::from(0u64), lam, &v, bits) - l5 * v[0] * v[0]
    }

    /// The split recombines to the clamp and satisfies every constraint.
    #[test]
    fn split_recombines_and_satisfies_the_constraints() {
        let bits = 6;
        let (top, bot) = edges(bits);
        for q in -100..100 {
            let [s, e] = split(q, bits);
            let y = q.clamp(bot, top);
            assert_eq!(y + s * (e + 1), q);
            assert!((-1..=1).contains(&s) && e >= 0);
            assert_eq!((s != 0), (q != y));
            assert_eq!(constraints(s, e, y, bits), Fr::from(0u64), "q = {q}");
        }
    }

    /// Each way of not clamping breaks a constraint: an output below the
    /// edge with a positive sign, a sign of 2, an excess without a sign, a
    /// negative sign at the top edge.
    #[test]
    fn wrong_splits_break_a_constraint() {
        let bits = 6;
        let (top, bot) = edges(bits);
        let zero = Fr::from(0u64);
        assert_ne!(constraints(1, 0, top - 1, bits), zero);
        assert_ne!(constraints(2, 0, top, bits), zero);
        assert_ne!(constraints(0, 3, 5, bits), zero);
        assert_ne!(constraints(-1, 0, top, bits), zero);
        assert_ne!(constraints(1, 0, bot, bits), zero);
    }

    #[test]
    fn the_sum_of_products_matches_the_final_value() {
        let lam = Fr::from(5u64);
        // E in two limbs: E = 2^12·hi + lo.
        let w = [Fr::from(1u64 << 12), Fr::from(1u64)];
        for (s, y) in [(1i64, 9i64), (-1, -4), (0, 3)] {
            let sop = sumcheck(lam, &w, 5);
            let (hi, lo) = (2i64, 7i64);
            let tables = [
                Fr::from(2u64),
                Fr::from(3u64),
                from_i64(s),
                from_i64(hi),
                from_i64(lo),
                from_i64(y),
            ];
            let vals = f([s, (hi << 12) + lo, y]);
            assert_eq!(
                sop.evaluate(&tables),
                final_value(Fr::from(2u64), Fr::from(3u64), lam, &vals, 5)
            );
        }
    }

    /// The batched sum of products is each clamp's, scaled by `μ^k`, on its
    /// own tables and the shared `eq(ρ, ·)`.
    #[test]
    fn the_batched_sumcheck_is_the_clamps_scaled_by_powers_of_mu() {
        let (lam, mu) = (Fr::from(5u64), Fr::from(7u64));
        let w = vec![
            vec![Fr::from(1u64)],
            vec![Fr::from(1u64 << 12), Fr::from(1u64)],
        ];
        let sop = batched_sumcheck(lam, mu, &w, &[6, 8]);
        assert_eq!(batch_offsets(&[1, 2]), vec![1, 5]);
        assert_eq!(sop.num_tables(), 1 + 4 + 5);
        let vals: Vec<Fr> = (0..sop.num_tables() as u64)
            .map(|v| Fr::from(v + 2))
            .collect();
        let first = sumcheck(lam, &w[0], 6).evaluate(&vals[..5]);
        let mut second = vec![vals[0]];
        second.extend_from_slice(&vals[5..]);
        let second = sumcheck(lam, &w[1], 8).evaluate(&second);
        assert_eq!(sop.evaluate(&vals), first + mu * second);
        let (ds, k) = batched_claim(lam, mu, &[[1, 2], [3, 0]]);
        let l4 = ark_ff::Field::pow(&lam, [4u64]);
        assert_eq!(ds, vec![l4, mu * l4]);
        assert_eq!(k, l4 * lam * (Fr::from(3u64) + mu * Fr::from(3u64)));
    }

    /// A batch's final values per clamp follow its tables, less the public
    /// `eq` tables.
    #[test]
    fn a_batchs_final_values_are_its_private_tables_in_order() {
        let mut t = crate::transcript::Transcript::new(b"test");
        let w = vec![
            vec![Fr::from(1u64)],
            vec![Fr::from(1u64 << 12), Fr::from(1u64)],
        ];
        let b = Batch::draw(&mut t, 3, &w, &[6, 8], &[[0, 0], [1, 0]]);
        let private: Vec<usize> = (0..b.sop.num_tables())
            .filter(|&k| !b.public()[k])
            .collect();
        assert_eq!(private.len(), b.values(1).end);
        assert_eq!(b.values(0), 0..3);
        assert_eq!(b.values(1), 3..7);
        // Clamp 1's values are its tables S, hi, lo, Y.
        assert_eq!(
            private[b.values(1)],
            [
                b.offsets[1] + 1,
                b.offsets[1] + 2,
                b.offsets[1] + 3,
                b.offsets[1] + 4
            ]
        );
    }

    /// Batches hold one size each, in walk order, cut at the entry bound.
    #[test]
    fn batches_group_by_size_and_cut_at_the_bound() {
        let big = 22;
        let shapes = [(10, 1), (12, 2), (10, 2), (big, 2), (big, 2), (big, 2)];
        let b = batches(&shapes);
        // 2^22 entries × 5 tables fit 2^25 once, not twice.
        assert_eq!(b, vec![vec![0, 2], vec![1], vec![3], vec![4], vec![5]]);
    }

    /// The sign's opening is `Σ S = C_P − C_N`: it fixes only the counts'
    /// difference (`[2, 0]` opens like `[3, 1]`), which is why the sumcheck
    /// also proves `Σ S² = C_P + C_N`.
    #[test]
    fn the_sign_opening_fixes_the_counts_difference() {
        let signs = [1i64, 0, -1, 1, 1, 0, 0, 0];
        let n = 3;
        let c = count_claim(n, [3, 1]);
        let mle = crate::poly::DenseMle::new(signs.iter().map(|&v| from_i64(v)).collect());
        assert_eq!(mle.evaluate(&c.point), c.value);
        assert_eq!(count_claim(n, [2, 0]).value, c.value);
        assert_ne!(count_claim(n, [3, 0]).value, c.value);
        let squares: i64 = signs.iter().map(|s| s * s).sum();
        assert_eq!(squares, 3 + 1);
    }
}
