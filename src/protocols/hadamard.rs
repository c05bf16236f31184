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
use crate::sumcheck::{self, EvaluationClaim, SumcheckProof};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

const GADGET: &str = "hadamard";
pub const MAX_FACTORS: usize = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct HadamardProof {
    pub sumcheck: SumcheckProof,
    /// Each factor at the final point.
    pub values: Vec<Fr>,
}

impl Wire for HadamardProof {
    const MIN_BYTES: usize = 8;
    fn write(&self, w: &mut Writer) {
        self.sumcheck.write(w);
        w.put_seq(&self.values);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            sumcheck: r.get()?,
            values: r.get_seq("hadamard factor values")?,
        })
    }
}

fn begin(t: &mut Transcript, factors: usize, num_vars: usize) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"hadamard-factors", factors as u64);
    t.append_u64(b"hadamard-vars", num_vars as u64);
}

/// Proves the claim `c` on the product of `factors` (equal-length tables).
pub fn prove(
    backend: &dyn Backend,
    factors: &[&[Fr]],
    c: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (HadamardProof, Vec<EvaluationClaim>) {
    let k = factors.len();
    assert!((1..=MAX_FACTORS).contains(&k), "1 to 4 factors");
    let num_vars = c.point.len();
    assert!(factors.iter().all(|f| f.len() == 1 << num_vars));
    begin(transcript, k, num_vars);
    let mut tables = vec![backend.eq_table(&c.point)];
    tables.extend(factors.iter().map(|f| f.to_vec()));
    let sop = SumOfProducts::product(k + 1);
    let (sumcheck, out) = sumcheck::prove(backend, tables, &sop, c.value, transcript);
    let values = out.final_values[1..].to_vec();
    transcript.append_scalars(b"hadamard-values", &values);
    let claims = values
        .iter()
        .map(|v| EvaluationClaim {
            point: out.point.clone(),
            value: *v,
        })
        .collect();
    (HadamardProof { sumcheck, values }, claims)
}

/// Verifies; returns one claim per factor for the caller to discharge.
pub fn verify(
    factors: usize,
    c: &EvaluationClaim,
    proof: &HadamardProof,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim>, ProtocolError> {
    assert!((1..=MAX_FACTORS).contains(&factors), "1 to 4 factors");
    if proof.values.len() != factors {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of factor values",
        });
    }
    let num_vars = c.point.len();
    begin(transcript, factors, num_vars);
    let sop = SumOfProducts::product(factors + 1);
    let reduced = sumcheck::verify(num_vars, &sop, c.value, &proof.sumcheck, transcript)
        .map_err(ProtocolError::sumcheck(GADGET))?;
    transcript.append_scalars(b"hadamard-values", &proof.values);
    let expected = eq_eval(&c.point, &reduced.point) * proof.values.iter().product::<Fr>();
    if expected != reduced.value {
        return Err(ProtocolError::FinalCheck { gadget: GADGET });
    }
    Ok(proof
        .values
        .iter()
        .map(|v| EvaluationClaim {
            point: reduced.point.clone(),
            value: *v,
        })
        .collect())
}
