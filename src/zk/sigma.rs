//! Σ-protocols on value commitments (Wahby et al., Hyrax, S&P 2018, §A):
//! a batched proof that commitments open to zero, and the proof of product.
//!
//! Both are honest-verifier zero-knowledge with a simulator that picks the
//! challenge first ([`simulate_zero`], [`simulate_product`]); made
//! non-interactive by the transcript, whose challenge comes after the
//! commitments the statement and the first message consist of.

use ark_ec::CurveGroup;
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};

use super::checks::Checks;
use super::lc::Lc;
use super::pedersen::{Pedersen, Secret};
use crate::field::{Fr, G1Affine, G1Projective};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

/// Proof that `Σ λ^i·Z_i` is a multiple of `H` alone: a Schnorr proof
/// `(A, z)` with `z·H = A + e·Σ λ^i·Z_i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeroProof {
    pub a: G1Affine,
    pub z: Fr,
}

impl Wire for ZeroProof {
    const MIN_BYTES: usize = 48 + 32;
    fn write(&self, w: &mut Writer) {
        w.put(&self.a);
        w.put(&self.z);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            a: r.get()?,
            z: r.get()?,
        })
    }
}

/// Prover: commitments (given by their secrets) that must open to zero.
#[derive(Default)]
pub struct ZeroProver {
    secrets: Vec<Secret>,
}

/// Verifier: the same commitments, kept symbolic.
#[derive(Default)]
pub struct ZeroVerifier {
    points: Vec<Lc>,
}

/// The combination weights `1, λ, λ², …`, drawn after every commitment the
/// zero claims are made of has been absorbed. If some `Z_i` has a non-zero
/// `U` component, `Σ λ^i·Z_i` has one but for at most `n − 1` values of `λ`.
fn powers(t: &mut Transcript, n: usize) -> Vec<Fr> {
    t.append_bytes(b"zero-claims", b"begin");
    t.append_u64(b"zero-claims-count", n as u64);
    let lambda = t.challenge_scalar(b"zero-claims-weight");
    let mut out = Vec::with_capacity(n);
    let mut p = Fr::from(1u64);
    for _ in 0..n {
        out.push(p);
        p *= lambda;
    }
    out
}

fn schnorr_challenge(t: &mut Transcript, a: &G1Affine) -> Fr {
    t.append_point(b"zero-claims-schnorr", a);
    t.challenge_scalar(b"zero-claims-challenge")
}

impl ZeroProver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the commitment with secret `s` opens to zero (for an
    /// honest prover it does; a false one makes the proof fail).
    pub fn require_zero(&mut self, s: Secret) {
        self.secrets.push(s);
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn prove<R: RngCore + CryptoRng>(
        self,
        ped: &Pedersen,
        t: &mut Transcript,
        rng: &mut R,
    ) -> ZeroProof {
        let w = powers(t, self.secrets.len());
        let blind: Fr = self.secrets.iter().zip(&w).map(|(s, w)| s.blind * w).sum();
        let k = Fr::rand(rng);
        let a = (ped.h * k).into_affine();
        let e = schnorr_challenge(t, &a);
        ZeroProof {
            a,
            z: k + e * blind,
        }
    }
}

impl ZeroVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn require_zero(&mut self, p: Lc) {
        self.points.push(p);
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Records `z·H − A − e·Σ λ^i·Z_i = 0` in `checks`.
    pub fn verify(
        self,
        ped: &Pedersen,
        proof: &ZeroProof,
        t: &mut Transcript,
        checks: &mut Checks,
    ) {
        let w = powers(t, self.points.len());
        let e = schnorr_challenge(t, &proof.a);
        let mut terms = vec![(proof.z, ped.h), (-Fr::from(1u64), proof.a)];
        for (p, w) in self.points.iter().zip(w) {
            terms.extend(p.terms.iter().map(|(k, q)| (-e * w * k, *q)));
        }
        checks.require_zero("commitments that must open to zero", terms);
    }
}

/// The HVZK simulator of the zero proof for combined point `z_star` and a
/// chosen challenge `e`: `(A, z)` with `z` uniform and `A = z·H − e·Z*`,
/// distributed exactly as an honest proof (where `z = k + e·ρ*`, `k`
/// uniform).
pub fn simulate_zero<R: RngCore + CryptoRng>(
    ped: &Pedersen,
    z_star: G1Projective,
    e: Fr,
    rng: &mut R,
) -> ZeroProof {
    let z = Fr::rand(rng);
    ZeroProof {
        a: (ped.h * z - z_star * e).into_affine(),
        z,
    }
}

/// Whether `(A, z)` is an accepting zero proof of `z_star` for challenge `e`.
pub fn zero_accepts(ped: &Pedersen, z_star: G1Projective, e: Fr, proof: &ZeroProof) -> bool {
    ped.h * proof.z == G1Projective::from(proof.a) + z_star * e
}

/// Proof that `Z` commits to the product of the values `X` and `Y` commit
/// to: three commitments and five masked responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductProof {
    pub alpha: G1Affine,
    pub beta: G1Affine,
    pub delta: G1Affine,
    pub z: [Fr; 5],
}

impl Wire for ProductProof {
    const MIN_BYTES: usize = 3 * 48 + 5 * 32;
    fn write(&self, w: &mut Writer) {
        w.put(&self.alpha);
        w.put(&self.beta);
        w.put(&self.delta);
        for z in &self.z {
            w.put(z);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            alpha: r.get()?,
            beta: r.get()?,
            delta: r.get()?,
            z: [r.get()?, r.get()?, r.get()?, r.get()?, r.get()?],
        })
    }
}

fn product_challenge(t: &mut Transcript, p: &ProductProof) -> Fr {
    t.append_point(b"product-alpha", &p.alpha);
    t.append_point(b"product-beta", &p.beta);
    t.append_point(b"product-delta", &p.delta);
    t.challenge_scalar(b"product-challenge")
}

/// Proves `z.value = x.value · y.value` for commitments the transcript has
/// already absorbed.
pub fn prove_product<R: RngCore + CryptoRng>(
    ped: &Pedersen,
    x: &Secret,
    y: &Secret,
    z: &Secret,
    t: &mut Transcript,
    rng: &mut R,
) -> ProductProof {
    let b: [Fr; 5] = std::array::from_fn(|_| Fr::rand(rng));
    let x_com = ped.commit(x);
    let pts = G1Projective::normalize_batch(&[
        ped.u * b[0] + ped.h * b[1],
        ped.u * b[2] + ped.h * b[3],
        x_com * b[2] + ped.h * b[4],
    ]);
    let mut proof = ProductProof {
        alpha: pts[0],
        beta: pts[1],
        delta: pts[2],
        z: [Fr::from(0u64); 5],
    };
    let c = product_challenge(t, &proof);
    proof.z = [
        b[0] + c * x.value,
        b[1] + c * x.blind,
        b[2] + c * y.value,
        b[3] + c * y.blind,
        b[4] + c * (z.blind - x.blind * y.value),
    ];
    proof
}

/// The three equations of a product proof for challenge `c`:
/// `α + c·X = z1·U + z2·H`, `β + c·Y = z3·U + z4·H`, `δ + c·Z = z3·X + z5·H`.
fn product_equations(
    ped: &Pedersen,
    [x, y, z]: [&Lc; 3],
    p: &ProductProof,
    c: Fr,
) -> [Vec<(Fr, G1Affine)>; 3] {
    let one = Fr::from(1u64);
    fn scaled(v: &Lc, k: Fr) -> impl Iterator<Item = (Fr, G1Affine)> + '_ {
        v.terms.iter().map(move |(a, q)| (*a * k, *q))
    }
    let mut e1 = vec![(one, p.alpha), (-p.z[0], ped.u), (-p.z[1], ped.h)];
    e1.extend(scaled(x, c));
    let mut e2 = vec![(one, p.beta), (-p.z[2], ped.u), (-p.z[3], ped.h)];
    e2.extend(scaled(y, c));
    let mut e3 = vec![(one, p.delta), (-p.z[4], ped.h)];
    e3.extend(scaled(z, c));
    e3.extend(scaled(x, -p.z[2]));
    [e1, e2, e3]
}

/// Records the product proof's equations for `Z = X·Y` in `checks`.
pub fn verify_product(
    ped: &Pedersen,
    xyz: [&Lc; 3],
    proof: &ProductProof,
    t: &mut Transcript,
    checks: &mut Checks,
) {
    let c = product_challenge(t, proof);
    for eq in product_equations(ped, xyz, proof, c) {
        checks.require_zero("proof of product", eq);
    }
}

/// The HVZK simulator of the product proof for a chosen challenge `c`:
/// the five responses uniform, the three commitments solved from the
/// equations — the distribution of an honest proof, whose responses are
/// uniform masks `b_i + c·(witness)` and whose commitments are then fixed
/// by the same equations.
pub fn simulate_product<R: RngCore + CryptoRng>(
    ped: &Pedersen,
    [x, y, z]: [G1Projective; 3],
    c: Fr,
    rng: &mut R,
) -> ProductProof {
    let r: [Fr; 5] = std::array::from_fn(|_| Fr::rand(rng));
    let pts = G1Projective::normalize_batch(&[
        ped.u * r[0] + ped.h * r[1] - x * c,
        ped.u * r[2] + ped.h * r[3] - y * c,
        x * r[2] + ped.h * r[4] - z * c,
    ]);
    ProductProof {
        alpha: pts[0],
        beta: pts[1],
        delta: pts[2],
        z: r,
    }
}

/// Whether a product proof's equations hold for challenge `c`.
pub fn product_accepts(
    ped: &Pedersen,
    xyz: [G1Projective; 3],
    proof: &ProductProof,
    c: Fr,
) -> bool {
    let [x, y, z] = xyz.map(|p| Lc::point(p.into_affine()));
    product_equations(ped, [&x, &y, &z], proof, c)
        .iter()
        .all(|eq| {
            eq.iter()
                .map(|(s, p)| *p * s)
                .sum::<G1Projective>()
                .is_zero()
        })
}
