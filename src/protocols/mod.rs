//! Proven tensor operations. Each gadget reduces a claim on its output to
//! claims on its inputs; prover and verifier sit side by side in one file and
//! share the functions that fix the order of absorbs.
//!
//! Tensors are multilinear tables in the crate's layout (see [`crate::poly`]):
//! every dimension is zero-padded to a power of two on its own, the last
//! dimension takes the low variables.

pub mod hadamard;
pub mod index_map;
pub mod linear;
pub mod logup;
pub mod lookup;
pub mod matmul;
pub mod rescale;
pub mod tables;

use thiserror::Error;

use crate::claims::ClaimError;
use crate::commit::PcsError;
use crate::sumcheck::SumcheckError;
use crate::zk::mode::InstanceError;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("{gadget}: {source}")]
    Sumcheck {
        gadget: &'static str,
        source: SumcheckError,
    },
    #[error("{gadget}: the prover's final evaluations do not match the sumcheck")]
    FinalCheck { gadget: &'static str },
    #[error("{gadget}: {what}")]
    Malformed {
        gadget: &'static str,
        what: &'static str,
    },
    #[error("{gadget}: {what}")]
    Rejected {
        gadget: &'static str,
        what: &'static str,
    },
    #[error("{gadget}: witness error: {what}")]
    Witness { gadget: &'static str, what: String },
    #[error("opening: {0}")]
    Opening(#[from] PcsError),
    #[error("claim reduction: {0}")]
    Claim(#[from] ClaimError),
}

impl ProtocolError {
    /// A sumcheck instance's error as the gadget's.
    pub(crate) fn instance(gadget: &'static str) -> impl FnOnce(InstanceError) -> Self {
        move |e| match e {
            InstanceError::Sumcheck(source) => ProtocolError::Sumcheck { gadget, source },
            InstanceError::Final(_) => ProtocolError::FinalCheck { gadget },
        }
    }
}
