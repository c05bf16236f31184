//! Claims on the key's weight stacks, settled from the weights' small
//! integers by row folds: the stack is never lifted into the field.
//!
//! A weight stack is a Hyrax matrix `S` of rows `2^c` wide (its square
//! shape). A claim `f(u) = y` on the tensor in slot `s` is the claim
//! `S(p) = y` at the stack point `p = (u, bits_s)`, split as `p = (b, a)`
//! (`b` the low `c` coordinates, the column; `a` the row). With
//! `F(col) = Σ_row eq(a, row)·S(row, col)`, the row fold,
//! `S(p) = Σ_col eq(b, col)·F(col)`. Because `a` ends in the slot's
//! position bits, `eq(a, ·)` is zero off the slot's rows: `F` costs one pass
//! over the tensor's own entries (or is the one row a small tensor lies in).
//!
//! For a group of claims on stacks of one row width, after the claims are
//! absorbed and `γ` drawn, one degree-2 sumcheck over the `c` column
//! variables proves `Σ_k γ^k·y_k = Σ_col Σ_d F_d(col)·E_d(col)` with `F_d`
//! the group's distinct folds and `E_d = Σ_{k on d} γ^k·eq(b_k, ·)` (the
//! verifier's own). It ends in the folds' values `F_d(r)` at one column
//! point `r`, and one Hyrax row-fold opening ([`Hyrax::open_folds`]) proves
//! them: the verifier folds the row commitments by the same row weights.
//! The prover's memory is two rows per distinct fold, not the stacks.
//!
//! [`Hyrax::open_folds`]: crate::commit::Hyrax::open_folds

use rayon::prelude::*;

use super::stack::StackLayout;
use crate::backend::Backend;
use crate::commit::Fold;
use crate::field::{from_i64, Fr};
use crate::poly::eq_eval;
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;

/// The rows of the key's weight stacks, of `weight_vars` (each weight's
/// padded variables): one width for all of them, the square shape of all
/// the weights together (capped by the generators). The verifier decodes
/// the key's `W/2^c` rows at every verification and the proof has one
/// fold group, whose argument is `2^c` long: the two balance at the
/// square. A row fold costs the prover two rows per claim at any width.
/// GPT-2 small: rows of 2^14, 7.6K vk points (50K in each stack's square).
pub fn key_row_width(weight_vars: &[usize]) -> crate::commit::RowWidth {
    let total: usize = weight_vars.iter().map(|&v| 1usize << v).sum();
    let total_vars = total.next_power_of_two().trailing_zeros() as usize;
    crate::commit::RowWidth::Cols(crate::commit::hyrax::square_col_vars(total_vars))
}

/// The small-integer tensors of a key stack, read where they are kept (the
/// proving key's memory map, or memory), in runs of consecutive entries of
/// each slot's padded table. Entries not in any run are zero.
pub trait SmallTensors: Send + Sync {
    /// Runs of the slot's values.
    fn runs(&self, slot: usize) -> usize;
    /// Run `k` of the slot: its values into `buf` (cleared first); returns
    /// where the run starts in the slot's padded table.
    fn run(&self, slot: usize, k: usize, buf: &mut Vec<i64>) -> usize;
}

/// Padded tables held in memory (tests, forged keys): runs of 4096 entries.
impl SmallTensors for Vec<Vec<i64>> {
    fn runs(&self, slot: usize) -> usize {
        self[slot].len().div_ceil(RUN)
    }
    fn run(&self, slot: usize, k: usize, buf: &mut Vec<i64>) -> usize {
        buf.clear();
        let t = &self[slot];
        buf.extend_from_slice(&t[k * RUN..((k + 1) * RUN).min(t.len())]);
        k * RUN
    }
}

const RUN: usize = 4096;

/// The slot's padded table in the field.
pub fn slot_table(tensors: &dyn SmallTensors, slot: usize, num_vars: usize) -> Vec<Fr> {
    let mut out = vec![Fr::from(0u64); 1 << num_vars];
    let mut buf = Vec::new();
    for k in 0..tensors.runs(slot) {
        let start = tensors.run(slot, k, &mut buf);
        for (o, v) in out[start..start + buf.len()].iter_mut().zip(&buf) {
            *o = from_i64(*v);
        }
    }
    out
}

/// Where a claim's fold lies: its rows and their weights, and the claim's
/// column point `b`.
pub fn place_claim(
    layout: &StackLayout,
    slot: usize,
    point: &[Fr],
    col_vars: usize,
) -> (usize, Vec<Fr>, Vec<Fr>) {
    let n = layout.size(slot);
    let first_row = layout.offset(slot) >> col_vars;
    if n >= col_vars {
        // The slot fills whole rows; its position bits pick them.
        let row_eq = crate::poly::eq_table(&point[col_vars..]);
        (first_row, row_eq, point[..col_vars].to_vec())
    } else {
        // The slot lies in one row, at a column offset its low position
        // bits give.
        let p = layout.point(slot, point);
        (first_row, vec![Fr::from(1u64)], p[..col_vars].to_vec())
    }
}

/// `F = Σ_i row_eq[i]·S[first_row + i]`: the row fold of the stack's slots.
pub fn fold_rows(
    tensors: &dyn SmallTensors,
    layout: &StackLayout,
    first_row: usize,
    row_eq: &[Fr],
    col_vars: usize,
) -> Vec<Fr> {
    let cols = 1usize << col_vars;
    let (lo, hi) = (
        first_row << col_vars,
        (first_row + row_eq.len()) << col_vars,
    );
    let work: Vec<(usize, usize)> = (0..layout.len())
        .filter(|&s| {
            let o = layout.offset(s);
            o < hi && o + (1usize << layout.size(s)) > lo
        })
        .flat_map(|s| (0..tensors.runs(s)).map(move |k| (s, k)))
        .collect();
    work.par_iter()
        .with_min_len(4)
        .fold(
            || (vec![Fr::from(0u64); cols], Vec::new()),
            |(mut out, mut buf), &(s, k)| {
                let start = layout.offset(s) + tensors.run(s, k, &mut buf);
                for (j, &v) in buf.iter().enumerate() {
                    let at = start + j;
                    if v == 0 || at < lo || at >= hi {
                        continue;
                    }
                    out[at & (cols - 1)] += row_eq[(at >> col_vars) - first_row] * from_i64(v);
                }
                (out, buf)
            },
        )
        .map(|(out, _)| out)
        .reduce(
            || vec![Fr::from(0u64); cols],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// A claim on a key stack: its matrix (in the group's list), slot and claim.
pub struct FoldClaim<'a, V> {
    pub matrix: usize,
    pub slot: usize,
    pub claim: &'a EvaluationClaim<V>,
}

/// A group's distinct folds and, per fold, its claims' weights `γ^k` and
/// column points: the same on both sides, from the absorbed claims.
pub struct FoldPlan {
    pub folds: Vec<Fold>,
    /// Per fold: `(γ^k, b_k)` of each claim on it.
    pub columns: Vec<Vec<(Fr, Vec<Fr>)>>,
    /// Per claim, in order: its `γ^k`.
    pub weights: Vec<Fr>,
}

/// Absorbs a group's claims (values through `absorb_value`), draws `γ`,
/// and places every claim. Claims on the same row of a small tensor share
/// one fold.
pub fn plan_group<V>(
    col_vars: usize,
    layouts: &[&StackLayout],
    claims: &[FoldClaim<'_, V>],
    absorb_value: impl Fn(&mut Transcript, &V),
    t: &mut Transcript,
) -> FoldPlan {
    t.append_bytes(b"openings", b"folds");
    t.append_u64(b"openings-cols", col_vars as u64);
    for c in claims {
        t.append_u64(b"openings-matrix", c.matrix as u64);
        t.append_u64(b"openings-slot", c.slot as u64);
        t.append_scalars(b"openings-point", &c.claim.point);
        absorb_value(t, &c.claim.value);
    }
    let gamma = t.challenge_scalar(b"openings-gamma");
    let mut plan = FoldPlan {
        folds: Vec::new(),
        columns: Vec::new(),
        weights: Vec::with_capacity(claims.len()),
    };
    let mut single_rows = std::collections::HashMap::new();
    let mut power = Fr::from(1u64);
    for c in claims {
        let (first_row, row_eq, b) =
            place_claim(layouts[c.matrix], c.slot, &c.claim.point, col_vars);
        let fold = Fold {
            matrix: c.matrix,
            first_row,
            row_eq,
        };
        let d = if fold.row_eq.len() == 1 {
            *single_rows.entry((c.matrix, first_row)).or_insert_with(|| {
                plan.folds.push(fold);
                plan.columns.push(Vec::new());
                plan.folds.len() - 1
            })
        } else {
            plan.folds.push(fold);
            plan.columns.push(Vec::new());
            plan.folds.len() - 1
        };
        plan.columns[d].push((power, b));
        plan.weights.push(power);
        power *= gamma;
    }
    plan
}

impl FoldPlan {
    /// `E_d = Σ_k γ^k·eq(b_k, ·)`: the prover's column tables.
    pub fn column_tables(&self, backend: &dyn Backend, col_vars: usize) -> Vec<Vec<Fr>> {
        self.columns
            .iter()
            .map(|cs| {
                let mut e = vec![Fr::from(0u64); 1 << col_vars];
                for (w, b) in cs {
                    backend.axpy(&mut e, *w, &backend.eq_table(b));
                }
                e
            })
            .collect()
    }

    /// `E_d(r)`: the verifier's.
    pub fn column_weight(&self, d: usize, r: &[Fr]) -> Fr {
        self.columns[d]
            .iter()
            .map(|(w, b)| *w * eq_eval(b, r))
            .sum()
    }
}
