//! A zero-knowledge inner-product argument (Bulletproofs folding with
//! blinded cross terms, closed by a Schnorr proof), as used by Hyrax.
//!
//! Statement: `C = ⟨t, G⟩ + ρ·H` and `⟨t, b⟩ = y` for public `C`, `b`, and
//! `y` public or committed (`Y = y·U + ρ_y·H`, see [`Claimed`]).
//! Every folding challenge is drawn from the transcript after the cross terms
//! it folds — never taken from the evaluation point, which the prover knows
//! in advance (the reference zkLLM code does that, and it is forgeable).
//! The cross terms carry fresh blinds and the last step is a Schnorr proof of
//! knowledge of the folded scalar and blind, so the proof reveals nothing
//! about `t` beyond `y`. Proof size: `2·log n + 1` points and 2 scalars.

use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;

use super::error::PcsError;
use super::generators::Generators;
use crate::backend::Backend;
use crate::field::{Fr, G1Affine, G1Projective};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpaProof {
    pub l: Vec<G1Affine>,
    pub r: Vec<G1Affine>,
    /// Schnorr commitment `d·(G* + b*·U') + s·H`.
    pub a: G1Affine,
    pub z1: Fr,
    pub z2: Fr,
}

impl Wire for IpaProof {
    const MIN_BYTES: usize = 8 + 48 + 64;

    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.l);
        w.put_seq(&self.r);
        w.put(&self.a);
        w.put(&self.z1);
        w.put(&self.z2);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let l: Vec<G1Affine> = r.get_seq("IPA left cross terms")?;
        let rr = r.get_seq_exact("IPA right cross terms", l.len())?;
        Ok(Self {
            l,
            r: rr,
            a: r.get()?,
            z1: r.get()?,
            z2: r.get()?,
        })
    }
}

/// The inner product the argument proves: public, or committed as
/// `Y = y·U + ρ_y·H` (zero knowledge: the opened value stays hidden).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claimed {
    Public(Fr),
    Committed(G1Projective),
}

/// Absorbs the statement and derives `U' = x·U`; returns `U'` and `x`.
/// With a public `y` the argument proves `C + y·U'`; with a committed one
/// `C + x·Y = ⟨t, G⟩ + y·U' + (ρ + x·ρ_y)·H`, the same relation.
fn begin(
    gens: &Generators,
    commitment: &G1Projective,
    n: usize,
    y: &Claimed,
    transcript: &mut Transcript,
) -> (G1Projective, Fr) {
    transcript.append_bytes(b"ipa", b"begin");
    transcript.append_u64(b"ipa-len", n as u64);
    transcript.append_projective(b"ipa-commitment", commitment);
    match y {
        Claimed::Public(y) => transcript.append_scalar(b"ipa-value", y),
        Claimed::Committed(c) => transcript.append_projective(b"ipa-value-commitment", c),
    }
    let x = transcript.challenge_nonzero(b"ipa-u-scale");
    (gens.u * x, x)
}

/// The statement's point `C + y·U'` (public) or `C + x·Y` (committed).
fn statement_point(commitment: &G1Projective, u: G1Projective, x: Fr, y: &Claimed) -> G1Projective {
    match y {
        Claimed::Public(y) => *commitment + u * y,
        Claimed::Committed(c) => *commitment + *c * x,
    }
}

fn absorb_cross_terms(transcript: &mut Transcript, l: &G1Affine, r: &G1Affine) -> Fr {
    transcript.append_point(b"ipa-L", l);
    transcript.append_point(b"ipa-R", r);
    transcript.challenge_nonzero(b"ipa-fold")
}

fn schnorr_challenge(transcript: &mut Transcript, a: &G1Affine) -> Fr {
    transcript.append_point(b"ipa-schnorr", a);
    transcript.challenge_scalar(b"ipa-schnorr-challenge")
}

/// Proves `commitment = ⟨t, G⟩ + blind·H` and `⟨t, b⟩ = y`.
#[allow(clippy::too_many_arguments)]
pub fn prove<R: RngCore + CryptoRng>(
    backend: &dyn Backend,
    gens: &Generators,
    commitment: &G1Projective,
    t: Vec<Fr>,
    blind: Fr,
    b: Vec<Fr>,
    y: Fr,
    transcript: &mut Transcript,
    rng: &mut R,
) -> IpaProof {
    prove_claimed(
        backend,
        gens,
        commitment,
        t,
        blind,
        b,
        (Claimed::Public(y), Fr::from(0u64)),
        transcript,
        rng,
    )
}

/// Proves `commitment = ⟨t, G⟩ + blind·H` and that `⟨t, b⟩` is the value
/// `y` states: public, or committed with blind `y.1`.
#[allow(clippy::too_many_arguments)]
pub fn prove_claimed<R: RngCore + CryptoRng>(
    backend: &dyn Backend,
    gens: &Generators,
    commitment: &G1Projective,
    mut t: Vec<Fr>,
    mut blind: Fr,
    mut b: Vec<Fr>,
    y: (Claimed, Fr),
    transcript: &mut Transcript,
    rng: &mut R,
) -> IpaProof {
    let n = t.len();
    assert!(n.is_power_of_two() && b.len() == n && gens.g.len() >= n);
    let (u, x) = begin(gens, commitment, n, &y.0, transcript);
    if matches!(y.0, Claimed::Committed(_)) {
        blind += x * y.1;
    }
    // The folded generators are kept as `scale · g`: a fold
    // `g_lo·c⁻¹ + g_hi·c = c⁻¹·(g_lo + g_hi·c²)` then costs one scalar
    // multiplication per pair instead of two, and `scale` goes into the
    // scalars of the cross terms.
    let mut g: Vec<G1Affine> = gens.g[..n].to_vec();
    let mut scale = Fr::from(1u64);
    let (mut ls, mut rs) = (Vec::new(), Vec::new());
    while t.len() > 1 {
        let m = t.len() / 2;
        let (t_lo, t_hi) = t.split_at(m);
        let (b_lo, b_hi) = b.split_at(m);
        let (g_lo, g_hi) = g.split_at(m);
        let (bl, br) = (Fr::rand(rng), Fr::rand(rng));
        let scaled = |v: &[Fr]| -> Vec<Fr> { v.par_iter().map(|x| *x * scale).collect() };
        let l =
            backend.msm(g_hi, &scaled(t_lo)) + u * backend.inner_product(t_lo, b_hi) + gens.h * bl;
        let r =
            backend.msm(g_lo, &scaled(t_hi)) + u * backend.inner_product(t_hi, b_lo) + gens.h * br;
        let lr = G1Projective::normalize_batch(&[l, r]);
        let c = absorb_cross_terms(transcript, &lr[0], &lr[1]);
        let ci = c.inverse().expect("challenge is non-zero");
        let t_new: Vec<Fr> = t_lo
            .par_iter()
            .zip(t_hi)
            .map(|(lo, hi)| c * lo + ci * hi)
            .collect();
        let b_new: Vec<Fr> = b_lo
            .par_iter()
            .zip(b_hi)
            .map(|(lo, hi)| ci * lo + c * hi)
            .collect();
        let c2 = c.square();
        let g_new: Vec<G1Projective> = g_lo
            .par_iter()
            .zip(g_hi)
            .map(|(lo, hi)| *hi * c2 + lo)
            .collect();
        scale *= ci;
        blind += c2 * bl + ci.square() * br;
        t = t_new;
        b = b_new;
        g = G1Projective::normalize_batch(&g_new);
        ls.push(lr[0]);
        rs.push(lr[1]);
    }
    let base = g[0] * scale + u * b[0];
    let (d, s) = (Fr::rand(rng), Fr::rand(rng));
    let a = (base * d + gens.h * s).into_affine();
    let e = schnorr_challenge(transcript, &a);
    IpaProof {
        l: ls,
        r: rs,
        a,
        z1: d + e * t[0],
        z2: s + e * blind,
    }
}

/// Checks an [`IpaProof`] for `commitment`, public vector `b` and value `y`.
pub fn verify(
    backend: &dyn Backend,
    gens: &Generators,
    commitment: &G1Projective,
    b: &[Fr],
    y: Fr,
    proof: &IpaProof,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    verify_claimed(
        backend,
        gens,
        commitment,
        b,
        &Claimed::Public(y),
        proof,
        transcript,
    )
}

/// Checks an [`IpaProof`] for `commitment`, public vector `b` and the
/// value `y` states (public or committed).
pub fn verify_claimed(
    backend: &dyn Backend,
    gens: &Generators,
    commitment: &G1Projective,
    b: &[Fr],
    y: &Claimed,
    proof: &IpaProof,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let n = b.len();
    assert!(n.is_power_of_two());
    if gens.g.len() < n {
        return Err(PcsError::NotEnoughGenerators {
            needed: n,
            available: gens.g.len(),
        });
    }
    let rounds = n.trailing_zeros() as usize;
    if proof.l.len() != rounds || proof.r.len() != rounds {
        return Err(PcsError::WrongRoundCount {
            expected: rounds,
            found: proof.l.len(),
        });
    }
    let (u, x) = begin(gens, commitment, n, y, transcript);
    let challenges: Vec<Fr> = proof
        .l
        .iter()
        .zip(&proof.r)
        .map(|(l, r)| absorb_cross_terms(transcript, l, r))
        .collect();
    let mut inverses = challenges.clone();
    backend.batch_inverse(&mut inverses);

    // s_i = Π_j (bit of i folded in round j ? c_j : c_j⁻¹); round j folds
    // the highest remaining bit, i.e. bit (rounds − 1 − j).
    let mut s = vec![Fr::from(1u64)];
    for bit in 0..rounds {
        let j = rounds - 1 - bit;
        let (c, ci) = (challenges[j], inverses[j]);
        let mut next = vec![Fr::from(0u64); s.len() * 2];
        let half = s.len();
        for (i, v) in s.iter().enumerate() {
            next[i] = *v * ci;
            next[i + half] = *v * c;
        }
        s = next;
    }
    let g_final = backend.msm(&gens.g[..n], &s);
    let b_final = backend.inner_product(&s, b);

    // P_final = C + y·U' + Σ_j (c_j²·L_j + c_j⁻²·R_j)
    let mut bases: Vec<G1Affine> = Vec::with_capacity(2 * rounds);
    let mut scalars: Vec<Fr> = Vec::with_capacity(2 * rounds);
    for j in 0..rounds {
        bases.push(proof.l[j]);
        scalars.push(challenges[j].square());
        bases.push(proof.r[j]);
        scalars.push(inverses[j].square());
    }
    let p_final =
        statement_point(commitment, u, x, y) + G1Projective::msm_unchecked(&bases, &scalars);

    let e = schnorr_challenge(transcript, &proof.a);
    let lhs = (g_final + u * b_final) * proof.z1 + gens.h * proof.z2;
    let rhs = p_final * e + proof.a;
    if lhs == rhs {
        Ok(())
    } else {
        Err(PcsError::OpeningRejected)
    }
}
