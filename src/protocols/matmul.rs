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
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::zk::{prove_instance, verify_instance, Clear, Instance, Mode, ProverCtx, VerifierCtx};

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
    pub fn split<'a>(&self, u: &'a [Fr]) -> (&'a [Fr], &'a [Fr], &'a [Fr]) {
        let (u_j, rest) = u.split_at(self.log_n);
        let (u_i, u_h) = rest.split_at(self.log_m);
        (u_j, u_i, u_h)
    }

    fn sop(&self) -> SumOfProducts {
        SumOfProducts::product(if self.log_b > 0 { 3 } else { 2 })
    }
}

/// The sumcheck over `Ã(·, u_i, ·)·B̃(u_j, ·, ·)` (times `eq(u_h, ·)` over a
/// batch) and the operands' values at its point, `[Ã, B̃]`.
pub type MatMulProof<M = Clear> = Instance<M>;

/// The claims on the operands a matmul proof reduces to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatMulClaims<V = Fr> {
    pub a: EvaluationClaim<V>,
    pub b: EvaluationClaim<V>,
}

fn absorb_shape(t: &mut Transcript, shape: &MatMulShape) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    for v in [shape.log_b, shape.log_m, shape.log_k, shape.log_n] {
        t.append_u64(b"matmul-shape", v as u64);
    }
}

fn operand_claims<V>(shape: &MatMulShape, u: &[Fr], r: &[Fr], a: V, b: V) -> MatMulClaims<V> {
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

/// Proves the claim `c` on `C = A·B` in the clear. See [`prove_in`].
pub fn prove(
    backend: &dyn Backend,
    shape: &MatMulShape,
    a: &[Fr],
    b: &[Fr],
    c: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (MatMulProof, MatMulClaims) {
    prove_in::<Clear>(&mut ProverCtx::clear(), backend, shape, a, b, c, transcript)
}

/// Proves the claim `c` on `C = A·B` (tables padded to the shape).
pub fn prove_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    shape: &MatMulShape,
    a: &[Fr],
    b: &[Fr],
    c: &EvaluationClaim<M::Known>,
    transcript: &mut Transcript,
) -> (MatMulProof<M>, MatMulClaims<M::Known>) {
    assert_eq!(a.len(), 1 << shape.a_vars(), "A has the wrong size");
    assert_eq!(b.len(), 1 << shape.b_vars(), "B has the wrong size");
    assert_eq!(
        c.point.len(),
        shape.c_vars(),
        "claim point has the wrong size"
    );
    let (u_j, u_i, _) = shape.split(&c.point);
    let (nb, m, k, n) = (
        1 << shape.log_b,
        1 << shape.log_m,
        1 << shape.log_k,
        1 << shape.log_n,
    );
    // a_tab[h][s] = Ã(s, u_i, h); b_tab[h][s] = B̃(u_j, s, h).
    let a_tab = backend.fold_axis(a, nb, m, k, &backend.eq_table(u_i));
    let b_tab = backend.fold_axis(b, nb * k, n, 1, &backend.eq_table(u_j));
    prove_folded_in::<M>(ctx, backend, shape, a_tab, b_tab, c, transcript)
}

/// [`prove_in`] from the operands already folded at the claim's point:
/// `a_tab[h][s] = Ã(s, u_i, h)` and `b_tab[h][s] = B̃(u_j, s, h)` (what a
/// caller holding an operand as small integers computes without lifting
/// it to the field).
pub fn prove_folded_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    shape: &MatMulShape,
    a_tab: Vec<Fr>,
    b_tab: Vec<Fr>,
    c: &EvaluationClaim<M::Known>,
    transcript: &mut Transcript,
) -> (MatMulProof<M>, MatMulClaims<M::Known>) {
    assert_eq!(
        c.point.len(),
        shape.c_vars(),
        "claim point has the wrong size"
    );
    let folded = 1usize << (shape.log_b + shape.log_k);
    assert_eq!(a_tab.len(), folded, "folded A has the wrong size");
    assert_eq!(b_tab.len(), folded, "folded B has the wrong size");
    absorb_shape(transcript, shape);
    let (_, _, u_h) = shape.split(&c.point);
    let k = 1usize << shape.log_k;
    let mut tables = vec![a_tab, b_tab];
    if shape.log_b > 0 {
        let eq_h = backend.eq_table(u_h);
        tables.push(
            eq_h.iter()
                .flat_map(|e| std::iter::repeat_n(*e, k))
                .collect(),
        );
    }
    let public = [false, false, true];
    let sop = shape.sop();
    let (proof, point, values) = prove_instance::<M>(
        ctx,
        backend,
        tables,
        &sop,
        c.value,
        &public[..sop.num_tables()],
        transcript,
    );
    let claims = operand_claims(shape, &c.point, &point, values[0], values[1]);
    (proof, claims)
}

/// Verifies in the clear. See [`verify_in`].
pub fn verify(
    shape: &MatMulShape,
    c: &EvaluationClaim,
    proof: &MatMulProof,
    transcript: &mut Transcript,
) -> Result<MatMulClaims, ProtocolError> {
    verify_in::<Clear>(&mut VerifierCtx::clear(), shape, c, proof, transcript)
}

/// Verifies `proof` for the claim `c` on `C`; returns the claims on `A` and
/// `B`, which the caller must discharge.
pub fn verify_in<M: Mode>(
    ctx: &mut VerifierCtx,
    shape: &MatMulShape,
    c: &EvaluationClaim<M::Value>,
    proof: &MatMulProof<M>,
    transcript: &mut Transcript,
) -> Result<MatMulClaims<M::Value>, ProtocolError> {
    if c.point.len() != shape.c_vars() {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "claim point has the wrong dimension",
        });
    }
    absorb_shape(transcript, shape);
    let num_vars = shape.log_k + shape.log_b;
    let sop = shape.sop();
    let (_, _, u_h) = shape.split(&c.point);
    let public = |r: &[Fr]| {
        let mut p = vec![None, None];
        if sop.num_tables() == 3 {
            p.push(Some(eq_eval(u_h, &r[shape.log_k..])));
        }
        p
    };
    let (point, mut values) = verify_instance::<M>(
        ctx,
        num_vars,
        &sop,
        c.value.clone(),
        public,
        proof,
        transcript,
    )
    .map_err(ProtocolError::instance(GADGET))?;
    let b = values.pop().expect("two operand values");
    let a = values.pop().expect("two operand values");
    Ok(operand_claims(shape, &c.point, &point, a, b))
}
