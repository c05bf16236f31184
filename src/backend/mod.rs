//! Compute backends: the hot kernels behind a trait.
//!
//! Protocols call these through `&dyn Backend`, so CUDA and wgpu
//! implementations can be added without touching protocol code; the backend
//! is chosen at run time and features only decide what is linked. Every
//! backend must give bit-identical results (proofs are byte-identical across
//! backends for the same input and seed).
//!
//! [`Reference`] is the obviously-right sequential version of every kernel;
//! [`Cpu`] is the parallel one. `tests/backend_equivalence.rs` checks that
//! they agree, and any new backend joins that test.

mod cpu;
mod msm;
mod reference;

pub use cpu::Cpu;
pub use msm::msm_small_pippenger;
pub use reference::Reference;

use crate::field::{Fr, G1Affine, G1Projective};
use crate::poly::SumOfProducts;

pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;

    /// `Σ_i scalars[i]·bases[i]`; `bases` may be longer than `scalars`.
    fn msm(&self, bases: &[G1Affine], scalars: &[Fr]) -> G1Projective;

    /// MSM with signed machine-integer scalars (quantized tensors): far fewer
    /// Pippenger windows than full 255-bit scalars.
    fn msm_small(&self, bases: &[G1Affine], scalars: &[i64]) -> G1Projective;

    /// One MSM per row of `row_len` scalars against `bases[..row_len]`.
    fn msm_rows(&self, bases: &[G1Affine], scalars: &[Fr], row_len: usize) -> Vec<G1Projective>;

    /// [`Backend::msm_rows`] for signed machine-integer scalars.
    fn msm_rows_small(
        &self,
        bases: &[G1Affine],
        scalars: &[i64],
        row_len: usize,
    ) -> Vec<G1Projective>;

    /// The table of `eq(point, x)` over the hypercube (see [`crate::poly`]).
    fn eq_table(&self, point: &[Fr]) -> Vec<Fr>;

    /// Binds the low variable of `table` to `r`, halving it.
    fn fold_low(&self, table: &mut Vec<Fr>, r: Fr);

    /// Evaluates the multilinear extension of `table` at `point`.
    fn evaluate(&self, table: &[Fr], point: &[Fr]) -> Fr;

    fn inner_product(&self, a: &[Fr], b: &[Fr]) -> Fr;

    /// Evaluations at `t = 0, 1, …, sop.degree()` of the sumcheck round
    /// polynomial `g(t) = Σ_{x'} sop(f_0(t, x'), f_1(t, x'), …)`, where `t`
    /// replaces the low variable of every table.
    fn round_evals(&self, tables: &[Vec<Fr>], sop: &SumOfProducts) -> Vec<Fr>;

    /// Contracts the middle axis of a `[outer, mid, inner]` table with
    /// `weights` (length `mid`): `out[o][i] = Σ_m weights[m]·table[o][m][i]`.
    /// This is a partial evaluation when `weights` is an eq table.
    fn fold_axis(
        &self,
        table: &[Fr],
        outer: usize,
        mid: usize,
        inner: usize,
        weights: &[Fr],
    ) -> Vec<Fr>;

    /// Inverts every non-zero entry in place.
    fn batch_inverse(&self, values: &mut [Fr]);

    /// `y ← y + a·x`.
    fn axpy(&self, y: &mut [Fr], a: Fr, x: &[Fr]);
}

/// The default backend (parallel CPU).
pub fn default_backend() -> &'static dyn Backend {
    &Cpu
}
