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
use crate::sumcheck::{self, EvaluationClaim, SumcheckProof};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

#[derive(Clone, Debug, PartialEq)]
pub struct MultiPointProof {
    pub sumcheck: SumcheckProof,
    /// The prover's claim `f(r)`.
    pub value: Fr,
}

impl Wire for MultiPointProof {
    const MIN_BYTES: usize = 4 + 32;

    fn write(&self, w: &mut Writer) {
        self.sumcheck.write(w);
        w.put(&self.value);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            sumcheck: r.get()?,
            value: r.get()?,
        })
    }
}

fn check(num_vars: usize, points: &[Vec<Fr>], values: &[Fr]) -> Result<(), ClaimError> {
    if points.is_empty() {
        return Err(ClaimError::Empty);
    }
    if points.len() != values.len() {
        return Err(ClaimError::LengthMismatch {
            points: points.len(),
            values: values.len(),
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
fn absorb_claims(points: &[Vec<Fr>], values: &[Fr], transcript: &mut Transcript) -> Vec<Fr> {
    transcript.append_bytes(b"multipoint", b"begin");
    transcript.append_u64(b"multipoint-count", points.len() as u64);
    for (p, v) in points.iter().zip(values) {
        transcript.append_scalars(b"multipoint-point", p);
        transcript.append_scalar(b"multipoint-value", v);
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

/// Reduces `table(points[j]) = values[j]` for all `j` to one claim.
pub fn prove_multipoint(
    backend: &dyn Backend,
    table: &[Fr],
    points: &[Vec<Fr>],
    values: &[Fr],
    transcript: &mut Transcript,
) -> Result<(MultiPointProof, EvaluationClaim), ClaimError> {
    assert!(table.len().is_power_of_two());
    let num_vars = table.len().trailing_zeros() as usize;
    check(num_vars, points, values)?;
    let betas = absorb_claims(points, values, transcript);
    let mut g = vec![Fr::from(0u64); table.len()];
    for (p, b) in points.iter().zip(&betas) {
        backend.axpy(&mut g, *b, &backend.eq_table(p));
    }
    let sum: Fr = values.iter().zip(&betas).map(|(v, b)| *v * b).sum();
    let sop = SumOfProducts::product(2);
    let (proof, out) = sumcheck::prove(backend, vec![table.to_vec(), g], &sop, sum, transcript);
    let value = out.final_values[0];
    transcript.append_scalar(b"multipoint-final", &value);
    Ok((
        MultiPointProof {
            sumcheck: proof,
            value,
        },
        EvaluationClaim {
            point: out.point,
            value,
        },
    ))
}

/// Verifies the reduction; returns the one claim `f(point) = value` that the
/// caller must still discharge (open the commitment, or pass it on).
pub fn verify_multipoint(
    num_vars: usize,
    points: &[Vec<Fr>],
    values: &[Fr],
    proof: &MultiPointProof,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim, ClaimError> {
    check(num_vars, points, values)?;
    let betas = absorb_claims(points, values, transcript);
    let sum: Fr = values.iter().zip(&betas).map(|(v, b)| *v * b).sum();
    let sop = SumOfProducts::product(2);
    let reduced = sumcheck::verify(num_vars, &sop, sum, &proof.sumcheck, transcript)?;
    transcript.append_scalar(b"multipoint-final", &proof.value);
    let g_at_r: Fr = points
        .iter()
        .zip(&betas)
        .map(|(p, b)| *b * eq_eval(p, &reduced.point))
        .sum();
    if reduced.value != proof.value * g_at_r {
        return Err(ClaimError::FinalCheck);
    }
    Ok(EvaluationClaim {
        point: reduced.point,
        value: proof.value,
    })
}
