//! Crate-level error: one variant per layer, each layer with its own `thiserror` enum.

use thiserror::Error;

use crate::claims::ClaimError;
use crate::commit::PcsError;
use crate::sumcheck::SumcheckError;
use crate::wire::WireError;

#[derive(Debug, Error)]
pub enum Error {
    #[error("sumcheck: {0}")]
    Sumcheck(#[from] SumcheckError),
    #[error("commitment: {0}")]
    Pcs(#[from] PcsError),
    #[error("claim reduction: {0}")]
    Claim(#[from] ClaimError),
    #[error("malformed bytes: {0}")]
    Wire(#[from] WireError),
}
