//! Element-wise products `C = A_0 ∘ A_1 ∘ … ∘ A_{k−1}` (k ≤ 4) by an
//! eq-weighted sumcheck: `C̃(u) = Σ_x eq(u, x)·Π_i Ã_i(x)`. The claim on `C`
//! becomes one claim on every factor at a common random point.
//!
//! Note: `C̃(u) = Π_i Ã_i(u)` is false off the hypercube, so checking the
//! product at the claim's point directly would be unsound; the sumcheck is
//! what makes it an identity of tables.

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::{eq_eval, SumOfProducts};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::zk::{prove_instance, verify_instance, Clear, Instance, Mode, ProverCtx, VerifierCtx};

const GADGET: &str = "hadamard";
pub const MAX_FACTORS: usize = 4;

/// The sumcheck over `eq(u, ·)·Π_i A_i` and each factor's value at its
/// point (in the clear or hidden, by the mode).
pub type HadamardProof<M = Clear> = Instance<M>;

fn begin(t: &mut Transcript, factors: usize, num_vars: usize) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"hadamard-factors", factors as u64);
    t.append_u64(b"hadamard-vars", num_vars as u64);
}

fn at<V>(point: &[Fr], values: Vec<V>) -> Vec<EvaluationClaim<V>> {
    values
        .into_iter()
        .map(|value| EvaluationClaim {
            point: point.to_vec(),
            value,
        })
        .collect()
}

/// Proves the claim `c` on the product of `factors` (equal-length tables)
/// in the clear. See [`prove_in`].
pub fn prove(
    backend: &dyn Backend,
    factors: &[&[Fr]],
    c: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (HadamardProof, Vec<EvaluationClaim>) {
    prove_in::<Clear>(&mut ProverCtx::clear(), backend, factors, c, transcript)
}

/// Proves the claim `c` on the product of `factors`; returns one claim per
/// factor at a common point.
pub fn prove_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    factors: &[&[Fr]],
    c: &EvaluationClaim<M::Known>,
    transcript: &mut Transcript,
) -> (HadamardProof<M>, Vec<EvaluationClaim<M::Known>>) {
    let k = factors.len();
    assert!((1..=MAX_FACTORS).contains(&k), "1 to 4 factors");
    let num_vars = c.point.len();
    assert!(factors.iter().all(|f| f.len() == 1 << num_vars));
    begin(transcript, k, num_vars);
    let mut tables = vec![backend.eq_table(&c.point)];
    tables.extend(factors.iter().map(|f| f.to_vec()));
    let sop = SumOfProducts::product(k + 1);
    let public: Vec<bool> = (0..=k).map(|i| i == 0).collect();
    let (proof, point, values) =
        prove_instance::<M>(ctx, backend, tables, &sop, c.value, &public, transcript);
    (proof, at(&point, values))
}

/// Verifies in the clear. See [`verify_in`].
pub fn verify(
    factors: usize,
    c: &EvaluationClaim,
    proof: &HadamardProof,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim>, ProtocolError> {
    verify_in::<Clear>(&mut VerifierCtx::clear(), factors, c, proof, transcript)
}

/// Verifies; returns one claim per factor for the caller to discharge.
pub fn verify_in<M: Mode>(
    ctx: &mut VerifierCtx,
    factors: usize,
    c: &EvaluationClaim<M::Value>,
    proof: &HadamardProof<M>,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim<M::Value>>, ProtocolError> {
    assert!((1..=MAX_FACTORS).contains(&factors), "1 to 4 factors");
    let num_vars = c.point.len();
    begin(transcript, factors, num_vars);
    let sop = SumOfProducts::product(factors + 1);
    let public = |r: &[Fr]| {
        let mut p = vec![Some(eq_eval(&c.point, r))];
        p.resize(factors + 1, None);
        p
    };
    let (point, values) = verify_instance::<M>(
        ctx,
        num_vars,
        &sop,
        c.value.clone(),
        public,
        proof,
        transcript,
    )
    .map_err(ProtocolError::instance(GADGET))?;
    Ok(at(&point, values))
}
