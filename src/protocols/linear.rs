//! Linear ops — add, subtract, residual, multiply by a public constant, and
//! any public linear combination `C = Σ_k c_k·A_k` of same-shaped tensors —
//! cost no sumcheck: the MLE is linear, so `C̃(u) = Σ_k c_k·Ã_k(u)`. The
//! prover states each `Ã_k(u)`; the verifier checks the combination and
//! passes the stated values on as claims, which later gadgets or openings
//! must discharge. Broadcasting a vector over rows is in
//! [`broadcast_rows_verify`].

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::eq_eval;
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::{Clear, Mode, ProverCtx, VerifierCtx};

const GADGET: &str = "linear";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearProof<M: Mode = Clear> {
    /// `Ã_k(u)` for every input (in the clear or committed).
    pub values: Vec<M::Sent>,
}

impl<M: Mode> Wire for LinearProof<M> {
    const MIN_BYTES: usize = 4;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.values);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            values: r.get_seq("linear input values")?,
        })
    }
}

fn absorb<M: Mode>(t: &mut Transcript, coeffs: &[Fr], values: &[M::Sent]) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_scalars(b"linear-coeffs", coeffs);
    t.append_u64(b"linear-values", values.len() as u64);
    for v in values {
        M::absorb_sent(t, b"linear-values", v);
    }
}

fn claims<V: Clone>(point: &[Fr], values: &[V]) -> Vec<EvaluationClaim<V>> {
    values
        .iter()
        .map(|v| EvaluationClaim {
            point: point.to_vec(),
            value: v.clone(),
        })
        .collect()
}

/// Proves `c` on `Σ_k coeffs[k]·inputs[k]` in the clear. See [`prove_in`].
pub fn prove(
    backend: &dyn Backend,
    coeffs: &[Fr],
    inputs: &[&[Fr]],
    c: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (LinearProof, Vec<EvaluationClaim>) {
    prove_in::<Clear>(
        &mut ProverCtx::clear(),
        backend,
        coeffs,
        inputs,
        c,
        transcript,
    )
}

/// Proves `c` on `Σ_k coeffs[k]·inputs[k]`: states each input's value at
/// the claim's point (hidden: committed, their combination equal to the
/// claim by the zero proof).
pub fn prove_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    coeffs: &[Fr],
    inputs: &[&[Fr]],
    c: &EvaluationClaim<M::Known>,
    transcript: &mut Transcript,
) -> (LinearProof<M>, Vec<EvaluationClaim<M::Known>>) {
    assert_eq!(coeffs.len(), inputs.len());
    let known: Vec<M::Known> = inputs
        .iter()
        .map(|a| M::fresh(ctx, backend.evaluate(a, &c.point)))
        .collect();
    let sent: Vec<M::Sent> = known.iter().map(|k| M::send(ctx, k)).collect();
    absorb::<M>(transcript, coeffs, &sent);
    let terms: Vec<(Fr, M::Known)> = coeffs.iter().copied().zip(known.iter().copied()).collect();
    M::prove_equal(ctx, &M::combine_known(&terms), &c.value);
    (LinearProof { values: sent }, claims(&c.point, &known))
}

/// Verifies in the clear. See [`verify_in`].
pub fn verify(
    coeffs: &[Fr],
    c: &EvaluationClaim,
    proof: &LinearProof,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim>, ProtocolError> {
    verify_in::<Clear>(&mut VerifierCtx::clear(), coeffs, c, proof, transcript)
}

/// Verifies; returns one claim per input.
pub fn verify_in<M: Mode>(
    ctx: &mut VerifierCtx,
    coeffs: &[Fr],
    c: &EvaluationClaim<M::Value>,
    proof: &LinearProof<M>,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim<M::Value>>, ProtocolError> {
    if proof.values.len() != coeffs.len() {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of input values",
        });
    }
    absorb::<M>(transcript, coeffs, &proof.values);
    let values: Vec<M::Value> = proof.values.iter().map(M::received).collect();
    let terms: Vec<(Fr, M::Value)> = coeffs.iter().copied().zip(values.iter().cloned()).collect();
    if !M::require_equal(ctx, &M::combine(&terms), &c.value) {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "input values do not combine to the output claim",
        });
    }
    Ok(claims(&c.point, &values))
}

/// `Σ_{i < len} eq(r, i)`: the MLE of the indicator of the first `len`
/// hypercube points, in `O(n)`.
pub fn prefix_indicator(r: &[Fr], len: usize) -> Fr {
    let n = r.len();
    assert!(len <= 1 << n);
    if len == 1 << n {
        return Fr::from(1u64);
    }
    // Walk from the top variable down.
    let mut acc = Fr::from(1u64);
    let mut total = Fr::from(0u64);
    for b in (0..n).rev() {
        let one = Fr::from(1u64);
        if (len >> b) & 1 == 1 {
            // All points with this bit 0 (and the higher bits equal to len's) are below len.
            total += acc * (one - r[b]);
            acc *= r[b];
        } else {
            acc *= one - r[b];
        }
    }
    total
}

/// A claim on `C[i][j] = v[j]` for `i < rows` (rows past `rows` are padding
/// zeros; `v` has `2^log_inner` entries) becomes a claim on `v`:
/// `C̃(u_j, u_i) = ṽ(u_j)·Σ_{i<rows} eq(u_i, i)`. Needs no prover message.
pub fn broadcast_rows_verify(
    log_inner: usize,
    rows: usize,
    c: &EvaluationClaim,
) -> Result<EvaluationClaim, ProtocolError> {
    let (u_j, u_i) = c.point.split_at(log_inner.min(c.point.len()));
    let weight = prefix_indicator(u_i, rows);
    let inv = ark_ff::Field::inverse(&weight).ok_or(ProtocolError::Rejected {
        gadget: "broadcast",
        what: "degenerate claim point",
    })?;
    Ok(EvaluationClaim {
        point: u_j.to_vec(),
        value: c.value * inv,
    })
}

/// `eq` of a point with an integer index (bit `b` of `index` pairs with `r[b]`).
pub fn eq_index(r: &[Fr], index: usize) -> Fr {
    let bits: Vec<Fr> = (0..r.len())
        .map(|b| Fr::from(((index >> b) & 1) as u64))
        .collect();
    eq_eval(r, &bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poly::eq_table;

    #[test]
    fn prefix_indicator_matches_table_sum() {
        let r: Vec<Fr> = (0..5).map(|i| Fr::from(3 * i as u64 + 2)).collect();
        let table = eq_table(&r);
        for len in 0..=32 {
            let expected: Fr = table[..len].iter().sum();
            assert_eq!(prefix_indicator(&r, len), expected, "len {len}");
        }
    }
}
