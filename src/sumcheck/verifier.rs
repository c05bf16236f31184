use super::claim::EvaluationClaim;
use super::codec::{Plain, RoundCodec};
use super::error::SumcheckError;
use super::proof::SumcheckProof;
use super::{absorb_statement, MAX_DEGREE};
use crate::field::Fr;
use crate::poly::SumOfProducts;
use crate::transcript::Transcript;

/// Verifies a sumcheck with round messages in the clear. See [`verify_with`].
pub fn verify(
    num_vars: usize,
    sop: &SumOfProducts,
    claimed_sum: Fr,
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim, SumcheckError> {
    verify_with::<Plain>(num_vars, sop, claimed_sum, proof, transcript)
}

/// Checks every round of `proof` against the statement (`num_vars`, the
/// shape `sop` and the claimed sum), all fixed by the caller, never by the
/// proof.
///
/// # Soundness
/// Returns the reduced claim *without* checking it: the caller must verify
/// that `sop` evaluated on the tables at `claim.point` equals `claim.value`
/// (see [`EvaluationClaim`]).
pub fn verify_with<C: RoundCodec>(
    num_vars: usize,
    sop: &SumOfProducts,
    claimed_sum: C::Claim,
    proof: &SumcheckProof<C>,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim<C::Claim>, SumcheckError> {
    let degree = sop.degree();
    assert!(degree <= MAX_DEGREE, "sumcheck degree too high");
    if proof.rounds.len() != num_vars {
        return Err(SumcheckError::WrongRoundCount {
            expected: num_vars,
            found: proof.rounds.len(),
        });
    }
    absorb_statement(transcript, num_vars, sop);
    C::absorb_claim(&claimed_sum, transcript);
    let mut claim = claimed_sum;
    let mut point = Vec::with_capacity(num_vars);
    for (i, round) in proof.rounds.iter().enumerate() {
        let (r, next) = C::receive(&claim, round, i, degree, transcript)?;
        point.push(r);
        claim = next;
    }
    Ok(EvaluationClaim {
        point,
        value: claim,
    })
}
