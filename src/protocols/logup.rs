//! GKR for sums of fractions (Papini–Haböck, "Improving logarithmic
//! derivative lookups using GKR", 2023): proves `Σ_i p_i/q_i = P/Q` for
//! leaves `(p, q)` without committing to any inverse.
//!
//! Leaves form a binary tree; a parent combines its children (the top index
//! bit: entry `i` and `i + half`) as `p = p₀q₁ + p₁q₀`, `q = q₀q₁`, so each
//! layer is kept as its two halves and they are the next sumcheck's tables
//! as they are. Top-down, a claim on layer `k` at `ρ` becomes, by one
//! eq-weighted sumcheck of degree 3, a claim on layer `k+1` at `(r, μ)`
//! (`μ` its top variable). The result is the root `(P, Q)` and one claim on each
//! of the leaf tables `p̃(ρ)`, `q̃(ρ)`, which the caller must check (they are
//! what ties the tree to the lookup).
//!
//! Many trees are proven at once, aligned at the root: every tree still
//! descending at depth `k` shares that depth's one sumcheck (its claim is
//! `Σ_t λ^{2t}·p̃_t(ρ) + λ^{2t+1}·q̃_t(ρ)` over the trees still active, so
//! `ρ` is common to all of them), and a tree of `n` leaf variables leaves at
//! depth `n` with its leaf claims. A proof over `T` trees of depth `n`
//! sends `n − 1` sumchecks, not `T·(n − 1)`: one round message per round
//! for all of them, and in a hidden proof one relation proof per depth.
//! Soundness: a false claim on any one tree survives the batching with
//! probability at most `2T/|F|` per depth (a polynomial of degree `< 2T`
//! in `λ`), on top of each sumcheck's own error.

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::{eq_eval, SumOfProducts};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::{prove_instance, verify_instance, Clear, Instance, Mode, ProverCtx, VerifierCtx};

const GADGET: &str = "logup-gkr";

/// One tree's top: layer 1's two fractions and the root's products.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeTop<M: Mode = Clear> {
    /// Layer 1's two fractions `p[0], p[1], q[0], q[1]` (a one-leaf tree:
    /// `p, q`).
    pub values: Vec<M::Sent>,
    /// The root's products `p₀q₁`, `p₁q₀`, `q₀q₁` (none for one leaf).
    pub root: Vec<M::Product>,
}

impl<M: Mode> Wire for TreeTop<M> {
    const MIN_BYTES: usize = 8;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.values);
        w.put_seq(&self.root);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            values: r.get_seq("fraction tree top")?,
            root: r.get_seq("fraction tree root products")?,
        })
    }
}

/// Fraction trees proven together: per tree its top, and per depth one
/// batched layer sumcheck (its final values: each active tree's
/// `p₀, p₁, q₀, q₁`, in tree order).
#[derive(Clone, Debug, PartialEq)]
pub struct FractionTreesProof<M: Mode = Clear> {
    pub tops: Vec<TreeTop<M>>,
    pub layers: Vec<Instance<M>>,
}

impl<M: Mode> Wire for FractionTreesProof<M> {
    const MIN_BYTES: usize = 8;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.tops);
        w.put_seq(&self.layers);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            tops: r.get_seq("fraction tree tops")?,
            layers: r.get_seq("fraction tree layers")?,
        })
    }
}

/// What the verifier learns of one tree: the root fraction and the leaf
/// claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractionTreeClaims<V = Fr> {
    pub root_p: V,
    pub root_q: V,
    pub point: Vec<Fr>,
    pub leaf_p: V,
    pub leaf_q: V,
}

/// The shape of depth's batched sumcheck over `active` trees:
/// `Σ_t eq·(λ^{2t}·(p₀q₁ + p₁q₀) + λ^{2t+1}·q₀q₁)` over tables
/// `[eq, p₀, p₁, q₀, q₁ of tree 0, …]`.
fn layer_sop(lambda: Fr, active: usize) -> SumOfProducts {
    let mut terms = Vec::with_capacity(3 * active);
    let mut c = Fr::from(1u64);
    for t in 0..active {
        let b = 1 + 4 * t;
        terms.push((c, vec![0, b, b + 3]));
        terms.push((c, vec![0, b + 1, b + 2]));
        terms.push((c * lambda, vec![0, b + 2, b + 3]));
        c *= lambda * lambda;
    }
    SumOfProducts::new(1 + 4 * active, terms)
}

/// The batched claim `Σ_t λ^{2t}·p_t + λ^{2t+1}·q_t` as (coefficient, value).
fn layer_claim<V: Clone>(lambda: Fr, claims: &[(V, V)]) -> Vec<(Fr, V)> {
    let mut c = Fr::from(1u64);
    let mut terms = Vec::with_capacity(2 * claims.len());
    for (p, q) in claims {
        terms.push((c, p.clone()));
        terms.push((c * lambda, q.clone()));
        c *= lambda * lambda;
    }
    terms
}

/// Claims on the child layer at `(μ, r)` from the four child values:
/// `p₀ + μ·(p₁ − p₀)`, `q₀ + μ·(q₁ − q₀)`.
fn descend<V: Clone>(c: &[V], mu: Fr, combine: impl Fn(&[(Fr, V)]) -> V) -> (V, V) {
    let one = Fr::from(1u64);
    (
        combine(&[(one - mu, c[0].clone()), (mu, c[1].clone())]),
        combine(&[(one - mu, c[2].clone()), (mu, c[3].clone())]),
    )
}

fn begin<M: Mode>(t: &mut Transcript, depths: &[usize], tops: &[TreeTop<M>]) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"logup-trees", depths.len() as u64);
    for (&n, top) in depths.iter().zip(tops) {
        t.append_u64(b"logup-vars", n as u64);
        t.append_u64(b"logup-top", top.values.len() as u64);
        for v in &top.values {
            M::absorb_sent(t, b"logup-top", v);
        }
    }
}

/// The number of top values and root products of a tree of `n` variables.
fn top_counts(n: usize) -> (usize, usize) {
    if n == 0 {
        (2, 0)
    } else {
        (4, 3)
    }
}

/// Proves the fraction sum of each tree's leaves `(p, q)` (per tree, equal
/// power-of-two lengths; trees may differ in size). Returns one set of
/// claims per tree, in order.
pub fn prove_fraction_trees_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    leaves: Vec<(Vec<Fr>, Vec<Fr>)>,
    transcript: &mut Transcript,
) -> (FractionTreesProof<M>, Vec<FractionTreeClaims<M::Known>>) {
    let one = Fr::from(1u64);
    // layers[t][k]: tree t's layer of 2^(k+1) entries (the leaves last); a
    // one-leaf tree has its one leaf as layers[t][0].
    let depths: Vec<usize> = leaves
        .iter()
        .map(|(p, q)| {
            assert_eq!(p.len(), q.len());
            assert!(p.len().is_power_of_two());
            p.len().trailing_zeros() as usize
        })
        .collect();
    let mut layers: Vec<Vec<Halves>> = leaves.into_iter().map(build_layers).collect();
    let max_depth = depths.iter().copied().max().unwrap_or(0);

    let top_known: Vec<Vec<M::Known>> = layers
        .iter()
        .map(|l| {
            let h = &l[0];
            let v: Vec<Fr> = (h.p[0].iter().chain(&h.p[1]))
                .chain(h.q[0].iter().chain(&h.q[1]))
                .copied()
                .collect();
            v.into_iter().map(|v| M::fresh(ctx, v)).collect()
        })
        .collect();
    let mut tops: Vec<TreeTop<M>> = top_known
        .iter()
        .map(|k| TreeTop {
            values: k.iter().map(|k| M::send(ctx, k)).collect(),
            root: vec![],
        })
        .collect();
    begin::<M>(transcript, &depths, &tops);

    let mut claims: Vec<Option<FractionTreeClaims<M::Known>>> = vec![None; depths.len()];
    let mut roots = Vec::with_capacity(depths.len());
    for (t, top) in top_known.iter().enumerate() {
        if depths[t] == 0 {
            roots.push((top[0], top[1]));
            claims[t] = Some(FractionTreeClaims {
                root_p: top[0],
                root_q: top[1],
                point: vec![],
                leaf_p: top[0],
                leaf_q: top[1],
            });
            continue;
        }
        let (p0q1, m0) = M::prove_product(ctx, &top[0], &top[3], transcript);
        let (p1q0, m1) = M::prove_product(ctx, &top[1], &top[2], transcript);
        let (q0q1, m2) = M::prove_product(ctx, &top[2], &top[3], transcript);
        tops[t].root = vec![m0, m1, m2];
        roots.push((M::combine_known(&[(one, p0q1), (one, p1q0)]), q0q1));
    }
    if max_depth == 0 {
        let claims = claims
            .into_iter()
            .map(|c| c.expect("a one-leaf tree"))
            .collect();
        return (
            FractionTreesProof {
                tops,
                layers: vec![],
            },
            claims,
        );
    }

    // The running claim on each tree's layer at `point`.
    let mu = transcript.challenge_scalar(b"logup-mu");
    let mut point = vec![mu];
    let mut running: Vec<Option<(M::Known, M::Known)>> = (0..depths.len())
        .map(|t| (depths[t] > 0).then(|| descend(&top_known[t], mu, M::combine_known)))
        .collect();
    let finish = |claims: &mut [Option<FractionTreeClaims<M::Known>>],
                  t: usize,
                  point: &[Fr],
                  (p, q): (M::Known, M::Known)| {
        claims[t] = Some(FractionTreeClaims {
            root_p: roots[t].0,
            root_q: roots[t].1,
            point: point.to_vec(),
            leaf_p: p,
            leaf_q: q,
        });
    };
    for t in 0..depths.len() {
        if depths[t] == 1 {
            finish(&mut claims, t, &point, running[t].expect("active"));
        }
    }
    let mut proofs = Vec::with_capacity(max_depth - 1);
    for k in 1..max_depth {
        // Claims on the parent layers (2^k entries) at `point`; the children
        // are each active tree's layer k.
        let active: Vec<usize> = (0..depths.len()).filter(|&t| depths[t] > k).collect();
        let lambda = transcript.challenge_scalar(b"logup-lambda");
        let mut tables = Vec::with_capacity(1 + 4 * active.len());
        tables.push(backend.eq_table(&point));
        for &t in &active {
            // The children's halves are the tables themselves: no copy.
            let Halves {
                p: [p0, p1],
                q: [q0, q1],
            } = std::mem::take(&mut layers[t][k]);
            tables.extend([p0, p1, q0, q1]);
        }
        let parents: Vec<(M::Known, M::Known)> = active
            .iter()
            .map(|&t| running[t].expect("active"))
            .collect();
        let claim = M::combine_known(&layer_claim(lambda, &parents));
        let mut public = vec![false; tables.len()];
        public[0] = true;
        let (layer, r, children) = prove_instance::<M>(
            ctx,
            backend,
            tables,
            &layer_sop(lambda, active.len()),
            claim,
            &public,
            transcript,
        );
        let mu = transcript.challenge_scalar(b"logup-mu");
        point = r.into_iter().chain(std::iter::once(mu)).collect();
        for (i, &t) in active.iter().enumerate() {
            let next = descend(&children[4 * i..4 * i + 4], mu, M::combine_known);
            running[t] = Some(next);
            if depths[t] == k + 1 {
                finish(&mut claims, t, &point, next);
            }
        }
        proofs.push(layer);
    }
    let claims = claims
        .into_iter()
        .map(|c| c.expect("every tree finished"))
        .collect();
    (
        FractionTreesProof {
            tops,
            layers: proofs,
        },
        claims,
    )
}

/// Verifies fraction trees of `depths` leaf variables (in the prover's
/// order); returns one set of claims per tree.
///
/// # Soundness
/// The caller must check each tree's `leaf_p`/`leaf_q` against its leaf
/// tables at `point` and use `(root_p, root_q)` in its sum check (with
/// `root_q ≠ 0`).
pub fn verify_fraction_trees_in<M: Mode>(
    ctx: &mut VerifierCtx,
    depths: &[usize],
    proof: &FractionTreesProof<M>,
    transcript: &mut Transcript,
) -> Result<Vec<FractionTreeClaims<M::Value>>, ProtocolError> {
    let max_depth = depths.iter().copied().max().unwrap_or(0);
    let shaped = proof.tops.len() == depths.len()
        && proof.layers.len() == max_depth.saturating_sub(1)
        && (depths.iter().zip(&proof.tops))
            .all(|(&n, top)| (top.values.len(), top.root.len()) == top_counts(n));
    if !shaped {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of trees, layers, top values or root products",
        });
    }
    begin::<M>(transcript, depths, &proof.tops);
    let one = Fr::from(1u64);
    let tops: Vec<Vec<M::Value>> = (proof.tops.iter())
        .map(|top| top.values.iter().map(M::received).collect())
        .collect();
    let mut claims: Vec<Option<FractionTreeClaims<M::Value>>> = vec![None; depths.len()];
    let mut roots = Vec::with_capacity(depths.len());
    for (t, top) in tops.iter().enumerate() {
        if depths[t] == 0 {
            roots.push((top[0].clone(), top[1].clone()));
            claims[t] = Some(FractionTreeClaims {
                root_p: top[0].clone(),
                root_q: top[1].clone(),
                point: vec![],
                leaf_p: top[0].clone(),
                leaf_q: top[1].clone(),
            });
            continue;
        }
        let pr = &proof.tops[t].root;
        let p0q1 = M::verify_product(ctx, &top[0], &top[3], &pr[0], transcript);
        let p1q0 = M::verify_product(ctx, &top[1], &top[2], &pr[1], transcript);
        let q0q1 = M::verify_product(ctx, &top[2], &top[3], &pr[2], transcript);
        roots.push((M::combine(&[(one, p0q1), (one, p1q0)]), q0q1));
    }
    if max_depth == 0 {
        return Ok(claims
            .into_iter()
            .map(|c| c.expect("a one-leaf tree"))
            .collect());
    }
    let mu = transcript.challenge_scalar(b"logup-mu");
    let mut point = vec![mu];
    let mut running: Vec<Option<(M::Value, M::Value)>> = (0..depths.len())
        .map(|t| (depths[t] > 0).then(|| descend(&tops[t], mu, M::combine)))
        .collect();
    let finish = |claims: &mut [Option<FractionTreeClaims<M::Value>>],
                  t: usize,
                  point: &[Fr],
                  (p, q): (M::Value, M::Value)| {
        claims[t] = Some(FractionTreeClaims {
            root_p: roots[t].0.clone(),
            root_q: roots[t].1.clone(),
            point: point.to_vec(),
            leaf_p: p,
            leaf_q: q,
        });
    };
    for t in 0..depths.len() {
        if depths[t] == 1 {
            let c = running[t].clone().expect("active");
            finish(&mut claims, t, &point, c);
        }
    }
    for (k, layer) in (1..max_depth).zip(&proof.layers) {
        let active: Vec<usize> = (0..depths.len()).filter(|&t| depths[t] > k).collect();
        let lambda = transcript.challenge_scalar(b"logup-lambda");
        let parents: Vec<(M::Value, M::Value)> = (active.iter())
            .map(|&t| running[t].clone().expect("active"))
            .collect();
        let claim = M::combine(&layer_claim(lambda, &parents));
        let parent = point.clone();
        let num_tables = 1 + 4 * active.len();
        let public = |r: &[Fr]| {
            let mut p = vec![Some(eq_eval(&parent, r))];
            p.resize(num_tables, None);
            p
        };
        let (r, children) = verify_instance::<M>(
            ctx,
            point.len(),
            &layer_sop(lambda, active.len()),
            claim,
            public,
            layer,
            transcript,
        )
        .map_err(ProtocolError::instance(GADGET))?;
        let mu = transcript.challenge_scalar(b"logup-mu");
        point = r.into_iter().chain(std::iter::once(mu)).collect();
        for (i, &t) in active.iter().enumerate() {
            let next = descend(&children[4 * i..4 * i + 4], mu, M::combine);
            running[t] = Some(next.clone());
            if depths[t] == k + 1 {
                finish(&mut claims, t, &point, next);
            }
        }
    }
    Ok(claims
        .into_iter()
        .map(|c| c.expect("every tree finished"))
        .collect())
}

/// One layer of a tree as its two halves (`p[0]` the entries whose top
/// index bit is 0, `p[1]` the others): the children of the parent layer's
/// entry `i` are `i` in each half, so a layer's sumcheck takes its halves
/// as tables without copying them. A one-leaf tree's leaf is its `p[0]`,
/// `q[0]`, with empty second halves.
#[derive(Default)]
struct Halves {
    p: [Vec<Fr>; 2],
    q: [Vec<Fr>; 2],
}

impl Halves {
    /// A layer's halves, the full vectors given up as they are split.
    fn split(mut p: Vec<Fr>, mut q: Vec<Fr>) -> Self {
        if p.len() < 2 {
            return Self {
                p: [p, vec![]],
                q: [q, vec![]],
            };
        }
        let h = p.len() / 2;
        let half = |v: &mut Vec<Fr>| {
            let hi = v.split_off(h);
            v.shrink_to_fit();
            hi
        };
        let (p1, q1) = (half(&mut p), half(&mut q));
        Self {
            p: [p, p1],
            q: [q, q1],
        }
    }

    /// The parent layer, `p = p₀q₁ + p₁q₀`, `q = q₀q₁` entry by entry over
    /// the halves, made directly as its own halves.
    fn parent(&self) -> Self {
        use rayon::prelude::*;
        let h = self.p[0].len();
        let make = |range: std::ops::Range<usize>| -> (Vec<Fr>, Vec<Fr>) {
            range
                .into_par_iter()
                .map(|i| {
                    let (p0, p1, q0, q1) = (self.p[0][i], self.p[1][i], self.q[0][i], self.q[1][i]);
                    (p0 * q1 + p1 * q0, q0 * q1)
                })
                .unzip()
        };
        let ((p0, q0), (p1, q1)) = (make(0..h / 2), make(h / 2..h));
        Self {
            p: [p0, p1],
            q: [q0, q1],
        }
    }
}

/// A tree's layers from the top (2 entries) down to the leaves, each as
/// its halves; a one-leaf tree is its leaf.
fn build_layers((p, q): (Vec<Fr>, Vec<Fr>)) -> Vec<Halves> {
    let mut layers = vec![Halves::split(p, q)];
    while layers.last().expect("one layer").p[0].len() > 1 {
        let next = layers.last().expect("one layer").parent();
        layers.push(next);
    }
    layers.reverse();
    layers
}
