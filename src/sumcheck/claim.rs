use crate::field::Fr;

/// What a sumcheck verifier hands back: the sum was reduced to the claim that
/// the summand, evaluated at `point`, equals `value`.
///
/// # Soundness
/// The sumcheck verifier does **not** check this claim. The caller must
/// discharge it: compute `sop(f_0(point), f_1(point), …)` from values it trusts
/// (its own evaluation of public tables such as `eq`, commitment openings, or
/// claims it hands to the previous gadget) and compare with `value`. Skipping
/// that check makes the whole sumcheck meaningless.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvaluationClaim<C = Fr> {
    pub point: Vec<Fr>,
    pub value: C,
}
