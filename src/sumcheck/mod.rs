//! The sumcheck protocol for sums of products of multilinear tables,
//! `Σ_{x ∈ {0,1}^n} Σ_t c_t·Π_{k ∈ t} f_k(x)` (an `eq(r, x)` factor is one more
//! table), degree ≤ [`MAX_DEGREE`] per variable.
//!
//! Split by role: [`claim`] (what the verifier hands back), [`proof`] (the
//! messages), [`prover`], [`verifier`], [`codec`] (how a round message travels:
//! in the clear, or — later — committed for zero knowledge), [`error`].
//! Variables are bound low first, so the returned point is in the crate's
//! usual coordinate order (see [`crate::poly`]).

pub mod claim;
pub mod codec;
pub mod error;
pub mod proof;
pub mod prover;
pub mod verifier;

pub use claim::EvaluationClaim;
pub use codec::{Plain, RoundCodec};
pub use error::SumcheckError;
pub use proof::{RoundPoly, SumcheckProof};
pub use prover::{prove, prove_with, ProverOutput};
pub use verifier::{verify, verify_with};

use crate::field::Fr;
use crate::poly::SumOfProducts;
use crate::transcript::Transcript;

/// Largest degree per variable any gadget needs (eq · four factors).
pub const MAX_DEGREE: usize = 6;

/// Absorbs the statement's shape. Shared by prover and verifier; the codec
/// absorbs the claimed sum right after, before the first challenge.
pub(crate) fn absorb_statement(transcript: &mut Transcript, num_vars: usize, sop: &SumOfProducts) {
    transcript.append_bytes(b"sumcheck", b"begin");
    transcript.append_u64(b"sumcheck-num-vars", num_vars as u64);
    transcript.append_u64(b"sumcheck-degree", sop.degree() as u64);
    transcript.append_u64(b"sumcheck-terms", sop.terms().len() as u64);
    for (c, factors) in sop.terms() {
        transcript.append_scalar(b"sumcheck-term-coeff", c);
        // Two bytes per table index: a batched shape (many lookup trees) has
        // more than 256 tables, and an index must not alias another.
        let ids: Vec<u8> = (factors.iter())
            .flat_map(|&k| u16::try_from(k).expect("at most 2^16 tables").to_le_bytes())
            .collect();
        transcript.append_bytes(b"sumcheck-term-factors", &ids);
    }
}

/// The round challenge, drawn after the round message was absorbed.
pub(crate) fn round_challenge(transcript: &mut Transcript) -> Fr {
    transcript.challenge_scalar(b"sumcheck-challenge")
}

/// The Lagrange weights `L_j(r)` of the nodes `0, 1, …, n − 1`: a
/// polynomial of degree `n − 1` with values `v_j` there is `Σ_j L_j(r)·v_j`
/// at `r` (so committed values interpolate homomorphically).
pub fn lagrange_weights(n: usize, r: Fr) -> Vec<Fr> {
    (0..n)
        .map(|i| {
            let mut num = Fr::from(1u64);
            let mut den = Fr::from(1u64);
            for j in 0..n {
                if i != j {
                    num *= r - Fr::from(j as u64);
                    den *= crate::field::from_i64(i as i64 - j as i64);
                }
            }
            num * ark_ff::Field::inverse(&den).expect("distinct nodes")
        })
        .collect()
}

/// Evaluates the polynomial of degree `evals.len() − 1` given by its values at
/// `0, 1, …` at the point `r` (Lagrange interpolation).
pub fn interpolate(evals: &[Fr], r: Fr) -> Fr {
    lagrange_weights(evals.len(), r)
        .iter()
        .zip(evals)
        .map(|(w, v)| *w * v)
        .sum()
}
