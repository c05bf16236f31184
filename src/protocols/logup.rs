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
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::{prove_instance, verify_instance, Clear, Instance, Mode, ProverCtx, VerifierCtx};

const GADGET: &str = "logup-gkr";

/// One layer: the sumcheck and the child layer's `p₀, p₁, q₀, q₁` at its
/// point (the instance's final values).
pub type FractionLayerProof<M = Clear> = Instance<M>;

#[derive(Clone, Debug, PartialEq)]
pub struct FractionTreeProof<M: Mode = Clear> {
    /// Layer 1's two fractions `p[0], p[1], q[0], q[1]` (a one-leaf tree:
    /// `p, q`).
    pub top: Vec<M::Sent>,
    /// The root's products `p₀q₁`, `p₁q₀`, `q₀q₁` (none for one leaf).
    pub root: Vec<M::Product>,
    pub layers: Vec<FractionLayerProof<M>>,
}

impl<M: Mode> Wire for FractionTreeProof<M> {
    const MIN_BYTES: usize = 12;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.top);
        w.put_seq(&self.root);
        w.put_seq(&self.layers);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            top: r.get_seq("fraction tree top")?,
            root: r.get_seq("fraction tree root products")?,
            layers: r.get_seq("fraction tree layers")?,
        })
    }
}

/// What the verifier learns: the root fraction and the leaf claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractionTreeClaims<V = Fr> {
    pub root_p: V,
    pub root_q: V,
    pub point: Vec<Fr>,
    pub leaf_p: V,
    pub leaf_q: V,
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

const LAYER_PUBLIC: [bool; 5] = [true, false, false, false, false];

/// Claims on the child layer at `(μ, r)` from the four child values:
/// `p₀ + μ·(p₁ − p₀)`, `q₀ + μ·(q₁ − q₀)`.
fn descend<V: Clone>(c: &[V], mu: Fr, combine: impl Fn(&[(Fr, V)]) -> V) -> (V, V) {
    let one = Fr::from(1u64);
    (
        combine(&[(one - mu, c[0].clone()), (mu, c[1].clone())]),
        combine(&[(one - mu, c[2].clone()), (mu, c[3].clone())]),
    )
}

fn begin<M: Mode>(t: &mut Transcript, num_vars: usize, top: &[M::Sent]) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"logup-vars", num_vars as u64);
    t.append_u64(b"logup-top", top.len() as u64);
    for v in top {
        M::absorb_sent(t, b"logup-top", v);
    }
}

/// Proves the fraction sum of the leaves `(p, q)` in the clear. See
/// [`prove_fraction_tree_in`].
pub fn prove_fraction_tree(
    backend: &dyn Backend,
    p: Vec<Fr>,
    q: Vec<Fr>,
    transcript: &mut Transcript,
) -> (FractionTreeProof, FractionTreeClaims) {
    prove_fraction_tree_in::<Clear>(&mut ProverCtx::clear(), backend, p, q, transcript)
}

/// Proves the fraction sum of the leaves `(p, q)` (equal power-of-two lengths).
pub fn prove_fraction_tree_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    p: Vec<Fr>,
    q: Vec<Fr>,
    transcript: &mut Transcript,
) -> (FractionTreeProof<M>, FractionTreeClaims<M::Known>) {
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
    let top_values: Vec<Fr> = if n == 0 {
        vec![layers[0].0[0], layers[0].1[0]]
    } else {
        vec![
            layers[0].0[0],
            layers[0].0[1],
            layers[0].1[0],
            layers[0].1[1],
        ]
    };
    let top: Vec<M::Known> = top_values.iter().map(|v| M::fresh(ctx, *v)).collect();
    let sent: Vec<M::Sent> = top.iter().map(|k| M::send(ctx, k)).collect();
    begin::<M>(transcript, n, &sent);
    if n == 0 {
        let claims = FractionTreeClaims {
            root_p: top[0],
            root_q: top[1],
            point: vec![],
            leaf_p: top[0],
            leaf_q: top[1],
        };
        let proof = FractionTreeProof {
            top: sent,
            root: vec![],
            layers: vec![],
        };
        return (proof, claims);
    }
    let (p0q1, m0) = M::prove_product(ctx, &top[0], &top[3], transcript);
    let (p1q0, m1) = M::prove_product(ctx, &top[1], &top[2], transcript);
    let (q0q1, m2) = M::prove_product(ctx, &top[2], &top[3], transcript);
    let one = Fr::from(1u64);
    let root_p = M::combine_known(&[(one, p0q1), (one, p1q0)]);
    let mu = transcript.challenge_scalar(b"logup-mu");
    let mut point = vec![mu];
    let (mut claim_p, mut claim_q) = descend(&top, mu, M::combine_known);
    let mut proofs = Vec::with_capacity(n - 1);
    for (lp, lq) in layers.iter().skip(1) {
        // Claim on the parent layer (2^k entries) at `point`; children are (lp, lq).
        let lambda = transcript.challenge_scalar(b"logup-lambda");
        let (p0, p1) = split_even_odd(lp);
        let (q0, q1) = split_even_odd(lq);
        let tables = vec![backend.eq_table(&point), p0, p1, q0, q1];
        let claim = M::combine_known(&[(one, claim_p), (lambda, claim_q)]);
        let (layer, r, children) = prove_instance::<M>(
            ctx,
            backend,
            tables,
            &layer_sop(lambda),
            claim,
            &LAYER_PUBLIC,
            transcript,
        );
        let mu = transcript.challenge_scalar(b"logup-mu");
        (claim_p, claim_q) = descend(&children, mu, M::combine_known);
        point = std::iter::once(mu).chain(r).collect();
        proofs.push(layer);
    }
    let claims = FractionTreeClaims {
        root_p,
        root_q: q0q1,
        point,
        leaf_p: claim_p,
        leaf_q: claim_q,
    };
    let proof = FractionTreeProof {
        top: sent,
        root: vec![m0, m1, m2],
        layers: proofs,
    };
    (proof, claims)
}

/// Verifies a fraction tree in the clear. See [`verify_fraction_tree_in`].
pub fn verify_fraction_tree(
    num_vars: usize,
    proof: &FractionTreeProof,
    transcript: &mut Transcript,
) -> Result<FractionTreeClaims, ProtocolError> {
    verify_fraction_tree_in::<Clear>(&mut VerifierCtx::clear(), num_vars, proof, transcript)
}

/// Verifies a fraction tree over `num_vars` leaf variables.
///
/// # Soundness
/// The caller must check `leaf_p`/`leaf_q` against the leaf tables at
/// `point` and use `(root_p, root_q)` in its sum check (with `root_q ≠ 0`).
pub fn verify_fraction_tree_in<M: Mode>(
    ctx: &mut VerifierCtx,
    num_vars: usize,
    proof: &FractionTreeProof<M>,
    transcript: &mut Transcript,
) -> Result<FractionTreeClaims<M::Value>, ProtocolError> {
    let (tops, roots) = if num_vars == 0 { (2, 0) } else { (4, 3) };
    if proof.layers.len() != num_vars.saturating_sub(1)
        || proof.top.len() != tops
        || proof.root.len() != roots
    {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of layers, top values or root products",
        });
    }
    begin::<M>(transcript, num_vars, &proof.top);
    let top: Vec<M::Value> = proof.top.iter().map(M::received).collect();
    if num_vars == 0 {
        return Ok(FractionTreeClaims {
            root_p: top[0].clone(),
            root_q: top[1].clone(),
            point: vec![],
            leaf_p: top[0].clone(),
            leaf_q: top[1].clone(),
        });
    }
    let p0q1 = M::verify_product(ctx, &top[0], &top[3], &proof.root[0], transcript);
    let p1q0 = M::verify_product(ctx, &top[1], &top[2], &proof.root[1], transcript);
    let q0q1 = M::verify_product(ctx, &top[2], &top[3], &proof.root[2], transcript);
    let one = Fr::from(1u64);
    let root_p = M::combine(&[(one, p0q1), (one, p1q0)]);
    let mu = transcript.challenge_scalar(b"logup-mu");
    let mut point = vec![mu];
    let (mut claim_p, mut claim_q) = descend(&top, mu, M::combine);
    for layer in &proof.layers {
        let lambda = transcript.challenge_scalar(b"logup-lambda");
        let claim = M::combine(&[(one, claim_p), (lambda, claim_q)]);
        let parent = point.clone();
        let public = |r: &[Fr]| {
            let mut p = vec![Some(eq_eval(&parent, r))];
            p.resize(5, None);
            p
        };
        let (r, children) = verify_instance::<M>(
            ctx,
            point.len(),
            &layer_sop(lambda),
            claim,
            public,
            layer,
            transcript,
        )
        .map_err(ProtocolError::instance(GADGET))?;
        let mu = transcript.challenge_scalar(b"logup-mu");
        (claim_p, claim_q) = descend(&children, mu, M::combine);
        point = std::iter::once(mu).chain(r).collect();
    }
    Ok(FractionTreeClaims {
        root_p,
        root_q: q0q1,
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
