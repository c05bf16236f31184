//! Claim batching: several evaluation claims on one table reduced to one.
//!
//! A tensor used by many ops collects claims `f(u_j) = y_j` at different
//! points; [`multipoint`] reduces them to a single claim `f(r) = y` so the
//! tensor is opened (or handed to the op before it) once.

pub mod batch;
pub mod folds;
pub mod multipoint;
pub mod stack;

pub use batch::{
    commit_stack, BatchOpeningProof, OpeningError, OpeningProver, OpeningVerifier, Replay, TensorId,
};
pub use folds::SmallTensors;
pub use multipoint::{
    prove_multipoint, prove_multipoint_in, verify_multipoint, verify_multipoint_in, MultiPointProof,
};
pub use stack::StackLayout;

use thiserror::Error;

use crate::sumcheck::SumcheckError;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ClaimError {
    #[error("no claims to reduce")]
    Empty,
    #[error("{points} points but {values} values")]
    LengthMismatch { points: usize, values: usize },
    #[error("claim point has {found} coordinates, the table has {expected} variables")]
    WrongDimension { expected: usize, found: usize },
    #[error("multi-point reduction: {0}")]
    Sumcheck(#[from] SumcheckError),
    #[error("multi-point reduction: final check failed")]
    FinalCheck,
}
