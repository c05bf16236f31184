//! Multilinear polynomials given by their evaluation tables.
//!
//! Convention used by the whole crate: entry `i` of a table of `2^n` values is
//! the evaluation at the Boolean point whose variable `x_j` is bit `j` of `i`.
//! `x_0` (the least significant bit) is the "low" variable; sumchecks bind the
//! low variable first, so a sumcheck's challenge vector is a point in the same
//! order. Tensors are flattened row-major, so the column index occupies the
//! low variables and the row index the high ones.
//!
//! The functions here are the simple, obviously-right versions; the parallel
//! kernels live in [`crate::backend`] and are tested against these.

mod dense;
mod eq;
mod sop;

pub use dense::{fold_low_in_place as dense_fold_low, pad_to_power_of_two, DenseMle};
pub use eq::{eq_eval, eq_table};
pub use sop::SumOfProducts;

/// Number of variables of the smallest hypercube holding `len` entries
/// (`len = 0` and `len = 1` both give 0).
pub fn num_vars_for(len: usize) -> usize {
    len.max(1).next_power_of_two().trailing_zeros() as usize
}
