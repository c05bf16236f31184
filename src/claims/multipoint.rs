//! Many points → one point, by a degree-2 sumcheck.
//!
//! With `β` drawn after every claim is absorbed,
//! `Σ_j β^j·y_j = Σ_x f(x)·g(x)` where `g = Σ_j β^j·eq(u_j, ·)`. A sumcheck
//! reduces this to `f(r)·g(r)`; the verifier computes `g(r)` itself and is
//! left with the single claim `f(r) = y`, which the caller discharges.

use super::ClaimError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::{eq_eval, SumOfProducts};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::zk::mode::InstanceError;
use crate::zk::{prove_instance, verify_instance, Clear, Instance, Mode, ProverCtx, VerifierCtx};

/// The sumcheck over `f·g` and the prover's `f(r)` (in the clear or hidden).
pub type MultiPointProof<M = Clear> = Instance<M>;

fn check(num_vars: usize, points: &[Vec<Fr>], values: usize) -> Result<(), ClaimError> {
    if points.is_empty() {
        return Err(ClaimError::Empty);
    }
    if points.len() != values {
        return Err(ClaimError::LengthMismatch {
            points: points.len(),
            values,
        });
    }
    for p in points {
        if p.len() != num_vars {
            return Err(ClaimError::WrongDimension {
                expected: num_vars,
                found: p.len(),
            });
        }
    }
    Ok(())
}

/// Absorbs the claims and returns the powers `β^j`.
fn absorb_claims<V>(
    points: &[Vec<Fr>],
    values: &[V],
    absorb_value: impl Fn(&mut Transcript, &V),
    transcript: &mut Transcript,
) -> Vec<Fr> {
    transcript.append_bytes(b"multipoint", b"begin");
    transcript.append_u64(b"multipoint-count", points.len() as u64);
    for (p, v) in points.iter().zip(values) {
        transcript.append_scalars(b"multipoint-point", p);
        absorb_value(transcript, v);
    }
    let beta = transcript.challenge_scalar(b"multipoint-beta");
    let mut powers = Vec::with_capacity(points.len());
    let mut p = Fr::from(1u64);
    for _ in 0..points.len() {
        powers.push(p);
        p *= beta;
    }
    powers
}

/// Reduces `table(points[j]) = values[j]` for all `j` to one claim, in the
/// clear. See [`prove_multipoint_in`].
pub fn prove_multipoint(
    backend: &dyn Backend,
    table: &[Fr],
    points: &[Vec<Fr>],
    values: &[Fr],
    transcript: &mut Transcript,
) -> Result<(MultiPointProof, EvaluationClaim), ClaimError> {
    prove_multipoint_in::<Clear>(
        &mut ProverCtx::clear(),
        backend,
        table,
        points,
        values,
        transcript,
    )
}

/// Reduces `table(points[j]) = values[j]` for all `j` to one claim.
pub fn prove_multipoint_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    table: &[Fr],
    points: &[Vec<Fr>],
    values: &[M::Known],
    transcript: &mut Transcript,
) -> Result<(MultiPointProof<M>, EvaluationClaim<M::Known>), ClaimError> {
    assert!(table.len().is_power_of_two());
    let num_vars = table.len().trailing_zeros() as usize;
    check(num_vars, points, values.len())?;
    let betas = absorb_claims(
        points,
        values,
        |t, v| M::absorb_known(ctx, t, b"multipoint-value", v),
        transcript,
    );
    let mut g = vec![Fr::from(0u64); table.len()];
    for (p, b) in points.iter().zip(&betas) {
        backend.axpy(&mut g, *b, &backend.eq_table(p));
    }
    let terms: Vec<(Fr, M::Known)> = betas.iter().copied().zip(values.iter().copied()).collect();
    let sum = M::combine_known(&terms);
    let sop = SumOfProducts::product(2);
    let (proof, point, handed) = prove_instance::<M>(
        ctx,
        backend,
        vec![table.to_vec(), g],
        &sop,
        sum,
        &[false, true],
        transcript,
    );
    Ok((
        proof,
        EvaluationClaim {
            point,
            value: handed[0],
        },
    ))
}

/// Verifies the reduction in the clear. See [`verify_multipoint_in`].
pub fn verify_multipoint(
    num_vars: usize,
    points: &[Vec<Fr>],
    values: &[Fr],
    proof: &MultiPointProof,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim, ClaimError> {
    verify_multipoint_in::<Clear>(
        &mut VerifierCtx::clear(),
        num_vars,
        points,
        values,
        proof,
        transcript,
    )
}

/// Verifies the reduction; returns the one claim `f(point) = value` that the
/// caller must still discharge (open the commitment, or pass it on).
pub fn verify_multipoint_in<M: Mode>(
    ctx: &mut VerifierCtx,
    num_vars: usize,
    points: &[Vec<Fr>],
    values: &[M::Value],
    proof: &MultiPointProof<M>,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim<M::Value>, ClaimError> {
    check(num_vars, points, values.len())?;
    let betas = absorb_claims(
        points,
        values,
        |t, v| M::absorb(t, b"multipoint-value", v),
        transcript,
    );
    let terms: Vec<(Fr, M::Value)> = betas.iter().copied().zip(values.iter().cloned()).collect();
    let sum = M::combine(&terms);
    let sop = SumOfProducts::product(2);
    let public = |r: &[Fr]| {
        let g: Fr = points
            .iter()
            .zip(&betas)
            .map(|(p, b)| *b * eq_eval(p, r))
            .sum();
        vec![None, Some(g)]
    };
    let (point, mut handed) =
        verify_instance::<M>(ctx, num_vars, &sop, sum, public, proof, transcript).map_err(|e| {
            match e {
                InstanceError::Sumcheck(e) => ClaimError::Sumcheck(e),
                InstanceError::Final(_) => ClaimError::FinalCheck,
            }
        })?;
    Ok(EvaluationClaim {
        point,
        value: handed.pop().expect("one value"),
    })
}
