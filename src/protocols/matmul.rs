//! Matrix products `C[h] = A[h]·B[h]` over a batch of `h` (heads), proven by
//! Thaler's sumcheck: `C̃(u_j, u_i, u_h) = Σ_{s,h} eq(u_h, h)·Ã(s, u_i, h)·B̃(u_j, s, h)`.
//!
//! Prover work is `O(b·(mk + kn))`: partially evaluate `A` at the row point and
//! `B` at the column point, then one sumcheck over `log k + log b` variables.
//! The claim on `C` becomes one claim on `A` and one on `B`; whether those are
//! commitment openings (weights) or claims handed to earlier ops
//! (activations, as in `Q·Kᵀ`) is the caller's business.

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::{eq_eval, SumOfProducts};
use crate::sumcheck::{self, EvaluationClaim, SumcheckProof};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

const GADGET: &str = "matmul";

/// Log2 of the padded sizes: `A` is `[b, m, k]`, `B` is `[b, k, n]`, `C` is `[b, m, n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatMulShape {
    pub log_b: usize,
    pub log_m: usize,
    pub log_k: usize,
    pub log_n: usize,
}

impl MatMulShape {
    pub fn c_vars(&self) -> usize {
        self.log_b + self.log_m + self.log_n
    }
    pub fn a_vars(&self) -> usize {
        self.log_b + self.log_m + self.log_k
    }
    pub fn b_vars(&self) -> usize {
        self.log_b + self.log_k + self.log_n
    }

    /// Splits a point on `C` into `(u_j, u_i, u_h)`.
    fn split<'a>(&self, u: &'a [Fr]) -> (&'a [Fr], &'a [Fr], &'a [Fr]) {
        let (u_j, rest) = u.split_at(self.log_n);
        let (u_i, u_h) = rest.split_at(self.log_m);
        (u_j, u_i, u_h)
    }

    fn sop(&self) -> SumOfProducts {
        SumOfProducts::product(if self.log_b > 0 { 3 } else { 2 })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatMulProof {
    pub sumcheck: SumcheckProof,
    /// `Ã` and `B̃` at the points of the returned claims.
    pub a_value: Fr,
    pub b_value: Fr,
}

impl Wire for MatMulProof {
    const MIN_BYTES: usize = 4 + 64;
    fn write(&self, w: &mut Writer) {
        self.sumcheck.write(w);
        w.put(&self.a_value);
        w.put(&self.b_value);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            sumcheck: r.get()?,
            a_value: r.get()?,
            b_value: r.get()?,
        })
    }
}

/// The claims on the operands a matmul proof reduces to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatMulClaims {
    pub a: EvaluationClaim,
    pub b: EvaluationClaim,
}

fn absorb_shape(t: &mut Transcript, shape: &MatMulShape) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    for v in [shape.log_b, shape.log_m, shape.log_k, shape.log_n] {
        t.append_u64(b"matmul-shape", v as u64);
    }
}

fn operand_claims(shape: &MatMulShape, u: &[Fr], r: &[Fr], a: Fr, b: Fr) -> MatMulClaims {
    let (u_j, u_i, _) = shape.split(u);
    let (r_s, r_h) = r.split_at(shape.log_k);
    MatMulClaims {
        a: EvaluationClaim {
            point: [r_s, u_i, r_h].concat(),
            value: a,
        },
        b: EvaluationClaim {
            point: [u_j, r_s, r_h].concat(),
            value: b,
        },
    }
}

/// Proves the claim `c` on `C = A·B` (tables padded to the shape).
pub fn prove(
    backend: &dyn Backend,
    shape: &MatMulShape,
    a: &[Fr],
    b: &[Fr],
    c: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (MatMulProof, MatMulClaims) {
    assert_eq!(a.len(), 1 << shape.a_vars(), "A has the wrong size");
    assert_eq!(b.len(), 1 << shape.b_vars(), "B has the wrong size");
    assert_eq!(
        c.point.len(),
        shape.c_vars(),
        "claim point has the wrong size"
    );
    absorb_shape(transcript, shape);
    let (u_j, u_i, u_h) = shape.split(&c.point);
    let (nb, m, k, n) = (
        1 << shape.log_b,
        1 << shape.log_m,
        1 << shape.log_k,
        1 << shape.log_n,
    );
    // a_tab[h][s] = Ã(s, u_i, h); b_tab[h][s] = B̃(u_j, s, h).
    let a_tab = backend.fold_axis(a, nb, m, k, &backend.eq_table(u_i));
    let b_tab = backend.fold_axis(b, nb * k, n, 1, &backend.eq_table(u_j));
    let mut tables = vec![a_tab, b_tab];
    if shape.log_b > 0 {
        let eq_h = backend.eq_table(u_h);
        tables.push(
            eq_h.iter()
                .flat_map(|e| std::iter::repeat_n(*e, k))
                .collect(),
        );
    }
    let (sumcheck, out) = sumcheck::prove(backend, tables, &shape.sop(), c.value, transcript);
    let (a_value, b_value) = (out.final_values[0], out.final_values[1]);
    absorb_values(transcript, &a_value, &b_value);
    let claims = operand_claims(shape, &c.point, &out.point, a_value, b_value);
    (
        MatMulProof {
            sumcheck,
            a_value,
            b_value,
        },
        claims,
    )
}

fn absorb_values(t: &mut Transcript, a: &Fr, b: &Fr) {
    t.append_scalar(b"matmul-a", a);
    t.append_scalar(b"matmul-b", b);
}

/// Verifies `proof` for the claim `c` on `C`; returns the claims on `A` and
/// `B`, which the caller must discharge.
pub fn verify(
    shape: &MatMulShape,
    c: &EvaluationClaim,
    proof: &MatMulProof,
    transcript: &mut Transcript,
) -> Result<MatMulClaims, ProtocolError> {
    if c.point.len() != shape.c_vars() {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "claim point has the wrong dimension",
        });
    }
    absorb_shape(transcript, shape);
    let num_vars = shape.log_k + shape.log_b;
    let reduced = sumcheck::verify(num_vars, &shape.sop(), c.value, &proof.sumcheck, transcript)
        .map_err(ProtocolError::sumcheck(GADGET))?;
    absorb_values(transcript, &proof.a_value, &proof.b_value);
    let (_, _, u_h) = shape.split(&c.point);
    let r_h = &reduced.point[shape.log_k..];
    let expected = eq_eval(u_h, r_h) * proof.a_value * proof.b_value;
    if expected != reduced.value {
        return Err(ProtocolError::FinalCheck { gadget: GADGET });
    }
    Ok(operand_claims(
        shape,
        &c.point,
        &reduced.point,
        proof.a_value,
        proof.b_value,
    ))
}
