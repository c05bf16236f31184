//! How round messages travel between prover and verifier.
//!
//! The protocols are generic over a [`RoundCodec`]: [`Plain`] sends each round
//! polynomial in the clear and the verifier tracks the running claim as a
//! scalar. A zero-knowledge codec (committed round polynomials with
//! Σ-protocol checks, the verifier tracking a commitment) implements the same
//! trait with `Claim` a commitment, so callers do not change.

use std::fmt::Debug;

use super::error::SumcheckError;
use super::proof::RoundPoly;
use super::{interpolate, round_challenge};
use crate::field::Fr;
use crate::transcript::Transcript;
use crate::wire::Wire;

pub trait RoundCodec {
    /// What the verifier tracks from round to round.
    type Claim: Clone + Debug + PartialEq;
    /// One round's message as it appears in the proof.
    type Round: Wire + Clone + Debug + PartialEq;

    /// Prover: encodes the round polynomial given by its values at
    /// `0, 1, …, d` and absorbs the message.
    fn send(&mut self, evals: &[Fr], transcript: &mut Transcript) -> Self::Round;

    /// Verifier: checks `round` against `claim` (degree `degree`), absorbs it,
    /// draws the challenge, and returns it with the claim reduced to it.
    fn receive(
        claim: &Self::Claim,
        round: &Self::Round,
        round_index: usize,
        degree: usize,
        transcript: &mut Transcript,
    ) -> Result<(Fr, Self::Claim), SumcheckError>;

    /// Prover: the round's challenge `r`, once drawn (a committed codec
    /// derives the next claim's blind from it).
    fn bind(&mut self, _r: Fr) {}

    /// Prover: the claim as the verifier will see it, for the claimed sum.
    fn claim(&mut self, sum: Fr) -> Self::Claim;

    /// Absorbs the claimed sum (both sides, before the first challenge).
    fn absorb_claim(claim: &Self::Claim, transcript: &mut Transcript);
}

/// Round polynomials in the clear (not zero-knowledge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plain;

fn absorb_round(transcript: &mut Transcript, evals: &[Fr]) {
    transcript.append_scalars(b"sumcheck-round", evals);
}

impl RoundCodec for Plain {
    type Claim = Fr;
    type Round = RoundPoly;

    fn send(&mut self, evals: &[Fr], transcript: &mut Transcript) -> RoundPoly {
        absorb_round(transcript, evals);
        RoundPoly(evals.to_vec())
    }

    fn receive(
        claim: &Fr,
        round: &RoundPoly,
        round_index: usize,
        degree: usize,
        transcript: &mut Transcript,
    ) -> Result<(Fr, Fr), SumcheckError> {
        let evals = &round.0;
        if evals.len() != degree + 1 {
            return Err(SumcheckError::WrongDegree {
                round: round_index,
                degree,
                found: evals.len(),
            });
        }
        absorb_round(transcript, evals);
        if evals[0] + evals[1] != *claim {
            return Err(SumcheckError::RoundSumMismatch { round: round_index });
        }
        let r = round_challenge(transcript);
        Ok((r, interpolate(evals, r)))
    }

    fn claim(&mut self, sum: Fr) -> Fr {
        sum
    }

    fn absorb_claim(claim: &Fr, transcript: &mut Transcript) {
        transcript.append_scalar(b"sumcheck-claim", claim);
    }
}
