//! GKR for sums of fractions (Papini–Haböck, "Improving logarithmic
//! derivative lookups using GKR", 2023): proves `Σ_i p_i/q_i = P/Q` for
//! leaves `(p, q)` without committing to any inverse.
//!
//! Leaves form a binary tree; a parent combines its children (the low index
//! bit) as `p = p₀q₁ + p₁q₀`, `q = q₀q₁`. Top-down, a claim on layer `k` at
//! `ρ` becomes, by one eq-weighted sumcheck of degree 3 (`λ` batches the two
//! relations), a claim on layer `k+1` at `(μ, r)`. The result is the root
//! `(P, Q)` and one claim on each of the leaf tables `p̃(ρ)`, `q̃(ρ)`, which
//! the caller must check (they are what ties the tree to the lookup).

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::{eq_eval, SumOfProducts};
use crate::sumcheck::{self, SumcheckProof};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

const GADGET: &str = "logup-gkr";

#[derive(Clone, Debug, PartialEq)]
pub struct FractionLayerProof {
    pub sumcheck: SumcheckProof,
    /// `p₀, p₁, q₀, q₁` of the child layer at the sumcheck point.
    pub children: [Fr; 4],
}

#[derive(Clone, Debug, PartialEq)]
pub struct FractionTreeProof {
    /// Layer 1's two fractions `p[0], p[1], q[0], q[1]` (for a one-leaf tree: `p, q, 0, 0`).
    pub top: [Fr; 4],
    pub layers: Vec<FractionLayerProof>,
}

fn put4(w: &mut Writer, v: &[Fr; 4]) {
    for x in v {
        w.put(x);
    }
}

fn get4(r: &mut Reader<'_>) -> Result<[Fr; 4], WireError> {
    Ok([r.get()?, r.get()?, r.get()?, r.get()?])
}

impl Wire for FractionLayerProof {
    const MIN_BYTES: usize = 4 + 128;
    fn write(&self, w: &mut Writer) {
        self.sumcheck.write(w);
        put4(w, &self.children);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            sumcheck: r.get()?,
            children: get4(r)?,
        })
    }
}

impl Wire for FractionTreeProof {
    const MIN_BYTES: usize = 128 + 4;
    fn write(&self, w: &mut Writer) {
        put4(w, &self.top);
        w.put_seq(&self.layers);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            top: get4(r)?,
            layers: r.get_seq("fraction tree layers")?,
        })
    }
}

/// What the verifier learns: the root fraction and the leaf claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractionTreeClaims {
    pub root_p: Fr,
    pub root_q: Fr,
    pub point: Vec<Fr>,
    pub leaf_p: Fr,
    pub leaf_q: Fr,
}

/// The shape of every layer sumcheck: `eq·(p₀q₁ + p₁q₀ + λ·q₀q₁)` over tables
/// `[eq, p₀, p₁, q₀, q₁]`.
fn layer_sop(lambda: Fr) -> SumOfProducts {
    SumOfProducts::new(
        5,
        vec![
            (Fr::from(1u64), vec![0, 1, 4]),
            (Fr::from(1u64), vec![0, 2, 3]),
            (lambda, vec![0, 3, 4]),
        ],
    )
}

fn combine_children(c: &[Fr; 4], lambda: Fr) -> Fr {
    let [p0, p1, q0, q1] = *c;
    p0 * q1 + p1 * q0 + lambda * q0 * q1
}

/// Claims on the child layer at `(μ, r)` from the four child values.
fn descend(c: &[Fr; 4], mu: Fr) -> (Fr, Fr) {
    let [p0, p1, q0, q1] = *c;
    (p0 + mu * (p1 - p0), q0 + mu * (q1 - q0))
}

fn begin(t: &mut Transcript, num_vars: usize, top: &[Fr; 4]) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"logup-vars", num_vars as u64);
    t.append_scalars(b"logup-top", top);
}

/// Proves the fraction sum of the leaves `(p, q)` (equal power-of-two lengths).
pub fn prove_fraction_tree(
    backend: &dyn Backend,
    p: Vec<Fr>,
    q: Vec<Fr>,
    transcript: &mut Transcript,
) -> (FractionTreeProof, FractionTreeClaims) {
    assert_eq!(p.len(), q.len());
    assert!(p.len().is_power_of_two());
    let n = p.len().trailing_zeros() as usize;
    // layers[k] = layer with 2^(k+1) entries, k = 0..n-1; layers[n-1] = leaves.
    let mut layers: Vec<(Vec<Fr>, Vec<Fr>)> = vec![(p, q)];
    while layers.last().unwrap().0.len() > 2 {
        let (lp, lq) = layers.last().unwrap();
        let (np, nq) = combine_layer(lp, lq);
        layers.push((np, nq));
    }
    layers.reverse();
    if n == 0 {
        let (p, q) = (layers[0].0[0], layers[0].1[0]);
        let top = [p, q, Fr::from(0u64), Fr::from(0u64)];
        begin(transcript, 0, &top);
        let claims = FractionTreeClaims {
            root_p: p,
            root_q: q,
            point: vec![],
            leaf_p: p,
            leaf_q: q,
        };
        return (
            FractionTreeProof {
                top,
                layers: vec![],
            },
            claims,
        );
    }
    let top = [
        layers[0].0[0],
        layers[0].0[1],
        layers[0].1[0],
        layers[0].1[1],
    ];
    begin(transcript, n, &top);
    let root_p = top[0] * top[3] + top[1] * top[2];
    let root_q = top[2] * top[3];
    let mu = transcript.challenge_scalar(b"logup-mu");
    let mut point = vec![mu];
    let (mut claim_p, mut claim_q) = descend(&top, mu);
    let mut proofs = Vec::with_capacity(n - 1);
    for (lp, lq) in layers.iter().skip(1) {
        // Claim on the parent layer (2^k entries) at `point`; children are (lp, lq).
        let lambda = transcript.challenge_scalar(b"logup-lambda");
        let (p0, p1) = split_even_odd(lp);
        let (q0, q1) = split_even_odd(lq);
        let tables = vec![backend.eq_table(&point), p0, p1, q0, q1];
        let sop = layer_sop(lambda);
        let (sumcheck, out) = sumcheck::prove(
            backend,
            tables,
            &sop,
            claim_p + lambda * claim_q,
            transcript,
        );
        let children = [
            out.final_values[1],
            out.final_values[2],
            out.final_values[3],
            out.final_values[4],
        ];
        transcript.append_scalars(b"logup-children", &children);
        let mu = transcript.challenge_scalar(b"logup-mu");
        (claim_p, claim_q) = descend(&children, mu);
        point = std::iter::once(mu).chain(out.point).collect();
        proofs.push(FractionLayerProof { sumcheck, children });
    }
    let claims = FractionTreeClaims {
        root_p,
        root_q,
        point,
        leaf_p: claim_p,
        leaf_q: claim_q,
    };
    (
        FractionTreeProof {
            top,
            layers: proofs,
        },
        claims,
    )
}

/// Verifies a fraction tree over `num_vars` leaf variables.
///
/// # Soundness
/// The caller must check `leaf_p`/`leaf_q` against the leaf tables at
/// `point` and use `(root_p, root_q)` in its sum check (with `root_q ≠ 0`).
pub fn verify_fraction_tree(
    num_vars: usize,
    proof: &FractionTreeProof,
    transcript: &mut Transcript,
) -> Result<FractionTreeClaims, ProtocolError> {
    if proof.layers.len() != num_vars.saturating_sub(1) {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of layers",
        });
    }
    begin(transcript, num_vars, &proof.top);
    let top = proof.top;
    if num_vars == 0 {
        return Ok(FractionTreeClaims {
            root_p: top[0],
            root_q: top[1],
            point: vec![],
            leaf_p: top[0],
            leaf_q: top[1],
        });
    }
    let root_p = top[0] * top[3] + top[1] * top[2];
    let root_q = top[2] * top[3];
    let mu = transcript.challenge_scalar(b"logup-mu");
    let mut point = vec![mu];
    let (mut claim_p, mut claim_q) = descend(&top, mu);
    for layer in &proof.layers {
        let lambda = transcript.challenge_scalar(b"logup-lambda");
        let sop = layer_sop(lambda);
        let reduced = sumcheck::verify(
            point.len(),
            &sop,
            claim_p + lambda * claim_q,
            &layer.sumcheck,
            transcript,
        )
        .map_err(ProtocolError::sumcheck(GADGET))?;
        transcript.append_scalars(b"logup-children", &layer.children);
        let expected = eq_eval(&point, &reduced.point) * combine_children(&layer.children, lambda);
        if expected != reduced.value {
            return Err(ProtocolError::FinalCheck { gadget: GADGET });
        }
        let mu = transcript.challenge_scalar(b"logup-mu");
        (claim_p, claim_q) = descend(&layer.children, mu);
        point = std::iter::once(mu).chain(reduced.point).collect();
    }
    Ok(FractionTreeClaims {
        root_p,
        root_q,
        point,
        leaf_p: claim_p,
        leaf_q: claim_q,
    })
}

fn split_even_odd(v: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
    (
        v.iter().step_by(2).copied().collect(),
        v.iter().skip(1).step_by(2).copied().collect(),
    )
}

fn combine_layer(p: &[Fr], q: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
    use rayon::prelude::*;
    p.par_chunks_exact(2)
        .zip(q.par_chunks_exact(2))
        .map(|(p, q)| (p[0] * q[1] + p[1] * q[0], q[0] * q[1]))
        .unzip()
}
