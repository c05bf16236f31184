//! Zero knowledge: value commitments, Σ-protocols and the committed
//! sumcheck (the Hyrax construction, Wahby et al., S&P 2018, §4 and §A).
//!
//! # Construction
//! Every value that would travel in the clear is a Pedersen commitment
//! `v·U + ρ·H` with a fresh uniform blind ([`pedersen`]). A sumcheck sends
//! commitments to its round polynomials' values and the verifier reduces the
//! committed claim homomorphically ([`sumcheck::Committed`]); the final
//! relation between the committed table values is closed by one proof of
//! a polynomial relation ([`relation`]) and one batched proof that a list
//! of commitments opens to zero ([`sigma`], which also has the proof of
//! product used at a logUp root). The verifier keeps hidden claims symbolic ([`lc`]) and
//! checks every group equation it needs in one random-weighted
//! multi-scalar multiplication ([`checks`]). [`mode`] is the seam every
//! gadget is written over, once for both modes.
//!
//! # What is hidden
//! Round messages, final values, relation coefficients and products are
//! perfectly hiding commitments (uniform points whatever the witness). The Σ-protocol
//! responses are `mask + challenge·witness` with a fresh uniform mask, so
//! uniform. The challenges are transcript outputs.
//!
//! # Simulator
//! Given the challenges (it programs the transcript), the simulator commits
//! to zeros in place of every value, and produces each Σ-proof with
//! [`sigma::simulate_zero`] / [`sigma::simulate_product`] /
//! [`relation::simulate_relation`]: responses
//! uniform, first messages solved from the verification equations. Its
//! output has the distribution of an honest proof.
//!
//! # Soundness
//! Binding of the commitments (no known relation between `U`, `H` and the
//! vector generators: hash-to-curve) fixes one value per commitment, so the
//! committed sumcheck is the plain one run on values the prover cannot
//! change afterwards; the Σ-protocols are special-sound; the batched zero
//! proof fails unless every combined commitment opens to zero, except with
//! probability `n/|Fr|` over its weight; the batched group check fails
//! unless every equation holds, except with probability `1/|Fr|`.

pub mod checks;
pub mod lc;
pub mod mode;
pub mod pedersen;
pub mod record;
pub mod relation;
pub mod sigma;
pub mod sumcheck;

pub use checks::Checks;
pub use lc::Lc;
pub use mode::{
    prove_instance, verify_instance, Clear, Hidden, Instance, Mode, ProverCtx, VerifierCtx,
};
pub use pedersen::{Pedersen, Secret};
pub use sigma::{ProductProof, ZeroProof, ZeroProver, ZeroVerifier};
pub use sumcheck::{Committed, CommittedRound, FinalProof};
