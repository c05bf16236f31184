//! The verifier's hidden values, kept symbolic.
//!
//! A hidden claim is a linear combination of points the proof sent (and of
//! the generators): `Σ c_i·P_i`. The verifier combines claims with field
//! arithmetic only and never computes a group element on the way; every
//! equation it needs ends in [`super::Checks`], whose one multi-scalar
//! multiplication evaluates all of them at once. A derived claim is never
//! absorbed into the transcript — it is a function of points that were, as
//! they arrived, and of challenges.

use ark_ec::{CurveGroup, VariableBaseMSM};

use crate::field::{Fr, G1Affine, G1Projective};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lc {
    pub terms: Vec<(Fr, G1Affine)>,
}

impl Lc {
    pub fn point(p: G1Affine) -> Self {
        Self {
            terms: vec![(Fr::from(1u64), p)],
        }
    }

    pub fn scaled(&self, c: Fr) -> Self {
        Self {
            terms: self.terms.iter().map(|(k, p)| (*k * c, *p)).collect(),
        }
    }

    /// `Σ c_j·v_j`. Terms on the same point are merged when the combination
    /// grows past a few terms, so chains of claims stay short.
    pub fn combine<'a>(terms: impl IntoIterator<Item = (Fr, &'a Lc)>) -> Self {
        let mut out: Vec<(Fr, G1Affine)> = Vec::new();
        for (c, v) in terms {
            out.extend(v.terms.iter().map(|(k, p)| (*k * c, *p)));
        }
        if out.len() > 8 {
            out = merge_terms(out);
        }
        Self { terms: out }
    }

    /// The group element (tests, and the openings, which need points).
    pub fn eval(&self) -> G1Projective {
        let (scalars, points): (Vec<Fr>, Vec<G1Affine>) = self.terms.iter().copied().unzip();
        G1Projective::msm_unchecked(&points, &scalars)
    }

    pub fn eval_affine(&self) -> G1Affine {
        self.eval().into_affine()
    }
}

/// `terms` with the coefficients of equal points added: one term per
/// distinct point (in an order fixed by the points alone).
pub(crate) fn merge_terms(mut terms: Vec<(Fr, G1Affine)>) -> Vec<(Fr, G1Affine)> {
    terms.sort_unstable_by_key(|(_, p)| point_key(p));
    let mut merged: Vec<(Fr, G1Affine)> = Vec::with_capacity(terms.len());
    for (k, p) in terms {
        match merged.last_mut() {
            Some((km, pm)) if *pm == p => *km += k,
            _ => merged.push((k, p)),
        }
    }
    merged
}

/// A sort key equal for equal points: the coordinates' internal
/// (Montgomery) limbs, which are canonical, so no conversion is needed.
fn point_key(p: &G1Affine) -> ([u64; 6], [u64; 6], bool) {
    (p.x.0 .0, p.y.0 .0, p.infinity)
}

impl std::ops::Sub for &Lc {
    type Output = Lc;
    fn sub(self, o: &Lc) -> Lc {
        Lc::combine([(Fr::from(1u64), self), (-Fr::from(1u64), o)])
    }
}
