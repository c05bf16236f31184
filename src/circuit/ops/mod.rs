//! One module per op: each op's prover half (on [`prover::Walk`]) and
//! verifier half (on [`verifier::Walk`]) side by side, written once over
//! [`crate::zk::Mode`] for the clear and the zero-knowledge proof. The walks
//! in [`super::prover`] and [`super::verifier`] only dispatch: they hold the
//! claim stack, the transcript, the openings and the steps, and hand each
//! node's claim to its op here. Shared claim arithmetic (which points and
//! coefficients an op's claims map to) is in [`super::claim_maps`], used by
//! both halves.
//!
//! [`prover::Walk`]: super::prover
//! [`verifier::Walk`]: super::verifier

mod argmax;
mod elementwise;
mod embedding;
mod matmul;
pub(in crate::circuit) mod rescale;
mod rotary;
mod select;
mod softmax;
