//! Commitments: Hyrax over hiding Pedersen row commitments.
//!
//! - [`generators`]: nothing-up-my-sleeve generators by hash-to-curve.
//! - [`hyrax`]: commit to a table as a matrix of row commitments; open it at
//!   a point by folding rows (verifier) and an inner-product argument.
//! - [`ipa`]: the blinded, log-size Bulletproofs inner-product argument that
//!   proves an opening without revealing the folded row.

mod error;
pub mod generators;
pub mod hyrax;
pub mod ipa;

pub use error::PcsError;
pub use generators::Generators;
pub use hyrax::{Fold, Hyrax, HyraxCommitment, HyraxHint, HyraxOpening, RowWidth};
pub use ipa::IpaProof;
