//! zkllm: zero-knowledge proofs that a committed, quantized large language model
//! produced a given output.
//!
//! The crate is layered one way only (see `STYLE.md` in the design notes):
//! `field → poly → wire → transcript → commit → sumcheck → claims`, with
//! [`backend`] holding the hot kernels every protocol calls through a trait so
//! that GPU implementations slot in without touching protocol code.
//!
//! The front half: [`import`] (ONNX through tract, lowered to the provable
//! graph [`ir`]; tract's types stay inside it) → [`quant`] (fixed-point rules
//! and the quantize step) → [`witness`] (exact integer inference).

pub mod artifacts;
pub mod backend;
pub mod circuit;
pub mod claims;
pub mod commit;
pub mod error;
pub mod field;
pub mod import;
pub mod ir;
pub mod pipeline;
pub mod poly;
pub mod protocols;
pub mod quant;
pub mod sumcheck;
pub mod tap;
pub mod tokenize;
pub mod transcript;
pub mod wire;
pub mod witness;
pub mod zk;

pub use error::Error;
pub use field::{Fr, G1Affine, G1Projective};

/// Version of the proof format and of the Fiat–Shamir domain separation.
/// Absorbed first into every transcript, written into every artifact header.
pub const PROTOCOL_VERSION: u32 = 1;
