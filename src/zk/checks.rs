//! Group equations the verifier collects and checks at once.
//!
//! Every Σ-protocol check is an equation `Σ_j s_j·P_j = 0` in G1. The
//! verifier records each one and, at the end, checks `Σ_i w_i·(equation i)`
//! for independent uniform weights `w_i` of its own: one multi-scalar
//! multiplication for all of them. If any equation's G1 part fails, the
//! combination's G1 part is nonzero except with probability `1/|Fr|` over
//! the weights (they are the verifier's private coins, drawn after the proof
//! is fixed), so batching costs no soundness beyond that. (A proof's points
//! are not subgroup-checked; only the G1 part of an equation bears on
//! soundness, and a torsion part can only make it fail: see
//! `wire::PointCheck`.)

use ark_ec::VariableBaseMSM;
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};

use crate::field::{Fr, G1Affine, G1Projective};

/// The verifier's pending group equations, each named for the error.
#[derive(Default)]
pub struct Checks {
    equations: Vec<(&'static str, Vec<(Fr, G1Affine)>)>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `Σ s_j·P_j = 0`.
    pub fn require_zero(&mut self, what: &'static str, terms: Vec<(Fr, G1Affine)>) {
        self.equations.push((what, terms));
    }

    pub fn len(&self) -> usize {
        self.equations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.equations.is_empty()
    }

    /// Checks every recorded equation with one multi-scalar multiplication.
    /// On failure, checks them one by one to name the first that fails
    /// (only a cheating prover pays for that).
    pub fn verify<R: RngCore + CryptoRng>(self, rng: &mut R) -> Result<(), &'static str> {
        let total: usize = self.equations.iter().map(|(_, t)| t.len()).sum();
        let mut terms: Vec<(Fr, G1Affine)> = Vec::with_capacity(total);
        for (_, eq) in &self.equations {
            let w = Fr::rand(rng);
            terms.extend(eq.iter().map(|(s, p)| (*s * w, *p)));
        }
        // A point appears in many equations (a round commitment in every
        // claim derived from it, the generators in all): one term each.
        let terms = super::lc::merge_terms(terms);
        let (scalars, points): (Vec<Fr>, Vec<G1Affine>) = terms.into_iter().unzip();
        if G1Projective::msm_unchecked(&points, &scalars).is_zero() {
            return Ok(());
        }
        for (what, terms) in &self.equations {
            let (s, p): (Vec<Fr>, Vec<G1Affine>) = terms.iter().copied().unzip();
            if !G1Projective::msm_unchecked(&p, &s).is_zero() {
                return Err(what);
            }
        }
        Err("batched group check")
    }
}
