//! One Σ-protocol for a polynomial relation among committed values:
//! `v = Σ_t c_t · Π_{k∈S_t} f_k`, where `v` and every `f_k` are hidden in
//! Pedersen commitments `C` and `F_k` and the `c_t` are public.
//!
//! It closes every committed sumcheck's end ([`super::sumcheck::prove_final`])
//! in place of a chain of partial-product commitments with one proof of
//! product each (3 points and 5 scalars per step, plus the partial
//! product's commitment): here each committed value gets one mask `A_k`,
//! and the relation `d` points for the lower coefficients, `d` the largest
//! term degree. A logUp layer (`p0·q1 + p1·q0 + λ·q0·q1` over four values)
//! sends 6 points and 9 scalars instead of 12 and 15.
//!
//! The protocol, with `d_t = |S_t|` and challenge `e`:
//! - the prover masks each value, `A_k = a_k·U + ρ_k·H`;
//! - `Σ_t c_t·e^{d−d_t}·Π_{k∈S_t} (a_k + e·f_k) = Σ_{i≤d} e^i·m_i` as a
//!   polynomial in `e`, with the top coefficient `m_d = Σ_t c_t Π f_k = v`;
//!   the prover commits the lower ones, `T_i = m_i·U + τ_i·H` for `i < d`,
//!   before `e`;
//! - it answers `z_k = a_k + e·f_k`, `s_k = ρ_k + e·r_k` and
//!   `z_τ = e^d·r_C + Σ_i e^i·τ_i`;
//! - the verifier checks `z_k·U + s_k·H = A_k + e·F_k` for every `k`, and
//!   `L·U + z_τ·H = e^d·C + Σ_i e^i·T_i` with
//!   `L = Σ_t c_t·e^{d−d_t}·Π_{k∈S_t} z_k`.
//!
//! Special soundness: two accepting transcripts open every `F_k`; `d + 1`
//! of them make `Σ_t c_t e^{d−d_t} Π (a_k + e f_k) − e^d·v − Σ e^i m_i` a
//! polynomial of degree `≤ d` with `d + 1` roots, so zero, and its top
//! coefficient says `Σ_t c_t Π f_k = v`. Soundness error `d/|Fr|` per
//! challenge. Honest-verifier ZK: `z_k`, `s_k`, `z_τ` are uniform, the
//! `T_i` for `i ≥ 1` are uniform points, and `A_k` and `T_0` are fixed by
//! the equations ([`simulate_relation`]).

use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};

use super::checks::Checks;
use super::lc::Lc;
use super::pedersen::{Pedersen, Secret};
use crate::field::{Fr, G1Affine, G1Projective};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

/// The public shape: terms `(c_t, S_t)` over `num_values` committed values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    pub num_values: usize,
    pub terms: Vec<(Fr, Vec<usize>)>,
}

impl Relation {
    /// The largest term degree `d` (at least 1, so every proof has a
    /// challenge-dependent equation).
    pub fn degree(&self) -> usize {
        self.terms
            .iter()
            .map(|(_, s)| s.len())
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// `Σ_t c_t Π_{k∈S_t} x_k`.
    pub fn evaluate(&self, x: &[Fr]) -> Fr {
        self.terms
            .iter()
            .map(|(c, s)| *c * s.iter().map(|&k| x[k]).product::<Fr>())
            .sum()
    }
}

/// A proof of a [`Relation`]: a mask per value, `d` coefficient
/// commitments, and `2·num_values + 1` responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationProof {
    pub masks: Vec<G1Affine>,
    pub coeffs: Vec<G1Affine>,
    pub z: Vec<Fr>,
    pub s: Vec<Fr>,
    pub z_tau: Fr,
}

impl Wire for RelationProof {
    const MIN_BYTES: usize = 4 * 4 + 32;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.masks);
        w.put_seq(&self.coeffs);
        w.put_seq(&self.z);
        w.put_seq(&self.s);
        w.put(&self.z_tau);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            masks: r.get_seq("relation masks")?,
            coeffs: r.get_seq("relation coefficients")?,
            z: r.get_seq("relation responses")?,
            s: r.get_seq("relation blind responses")?,
            z_tau: r.get()?,
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RelationError {
    #[error("relation proof has {found} {what}, the relation needs {expected}")]
    Shape {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("relation term refers to value {index} of {count}")]
    BadTerm { index: usize, count: usize },
}

fn check_terms(rel: &Relation) -> Result<(), RelationError> {
    for (_, s) in &rel.terms {
        if let Some(&index) = s.iter().find(|&&k| k >= rel.num_values) {
            return Err(RelationError::BadTerm {
                index,
                count: rel.num_values,
            });
        }
    }
    Ok(())
}

/// Coefficients (lowest first) of `Π_k (a_k + e·f_k)` as a polynomial in `e`.
fn linear_product(factors: impl Iterator<Item = (Fr, Fr)>) -> Vec<Fr> {
    let mut poly = vec![Fr::from(1u64)];
    for (a, f) in factors {
        let mut next = vec![Fr::zero(); poly.len() + 1];
        for (i, p) in poly.iter().enumerate() {
            next[i] += *p * a;
            next[i + 1] += *p * f;
        }
        poly = next;
    }
    poly
}

fn absorb(t: &mut Transcript, masks: &[G1Affine], coeffs: &[G1Affine]) -> Fr {
    t.append_points(b"relation-masks", masks);
    t.append_points(b"relation-coefficients", coeffs);
    t.challenge_scalar(b"relation-challenge")
}

/// Proves `claim.value = rel.evaluate(values)` for commitments the
/// transcript has already absorbed.
pub fn prove_relation<R: RngCore + CryptoRng>(
    ped: &Pedersen,
    rel: &Relation,
    values: &[Secret],
    claim: &Secret,
    t: &mut Transcript,
    rng: &mut R,
) -> RelationProof {
    assert_eq!(values.len(), rel.num_values, "one secret per value");
    check_terms(rel).expect("the prover's relation is well formed");
    let d = rel.degree();
    let a: Vec<Fr> = (0..values.len()).map(|_| Fr::rand(rng)).collect();
    let rho: Vec<Fr> = (0..values.len()).map(|_| Fr::rand(rng)).collect();
    // m_i = Σ_t c_t · [e^i] e^{d−d_t} Π (a_k + e f_k), for i < d.
    let mut m = vec![Fr::zero(); d + 1];
    for (c, s) in &rel.terms {
        let poly = linear_product(s.iter().map(|&k| (a[k], values[k].value)));
        let shift = d - s.len();
        for (i, p) in poly.iter().enumerate() {
            m[i + shift] += *c * p;
        }
    }
    // m[d] is the relation's value; a forging prover's differs from the
    // claim's, and the claim equation refuses it.
    // Secrets, so that the zero-knowledge tests' recorder lists them.
    let lower: Vec<Secret> = (0..d).map(|i| Secret::fresh(m[i], rng)).collect();
    let masks = G1Projective::normalize_batch(
        &a.iter()
            .zip(&rho)
            .map(|(a, r)| ped.u * a + ped.h * r)
            .collect::<Vec<_>>(),
    );
    let coeffs =
        G1Projective::normalize_batch(&lower.iter().map(|m| ped.commit(m)).collect::<Vec<_>>());
    let e = absorb(t, &masks, &coeffs);
    let z = a
        .iter()
        .zip(values)
        .map(|(a, v)| *a + e * v.value)
        .collect();
    let s = rho
        .iter()
        .zip(values)
        .map(|(r, v)| *r + e * v.blind)
        .collect();
    let mut z_tau = e.pow([d as u64]) * claim.blind;
    let mut e_i = Fr::from(1u64);
    for m in &lower {
        z_tau += e_i * m.blind;
        e_i *= e;
    }
    RelationProof {
        masks,
        coeffs,
        z,
        s,
        z_tau,
    }
}

/// `L = Σ_t c_t·e^{d−d_t}·Π_{k∈S_t} z_k`: the relation on the responses.
fn combined_response(rel: &Relation, z: &[Fr], e: Fr) -> Fr {
    let d = rel.degree();
    rel.terms
        .iter()
        .map(|(c, s)| *c * e.pow([(d - s.len()) as u64]) * s.iter().map(|&k| z[k]).product::<Fr>())
        .sum()
}

/// The proof's group equations for challenge `e`: one per value, and the
/// relation's.
fn equations(
    ped: &Pedersen,
    rel: &Relation,
    values: &[Lc],
    claim: &Lc,
    p: &RelationProof,
    e: Fr,
) -> Vec<(&'static str, Vec<(Fr, G1Affine)>)> {
    let one = Fr::from(1u64);
    let mut out = Vec::with_capacity(values.len() + 1);
    for (k, f) in values.iter().enumerate() {
        let mut eq = vec![(p.z[k], ped.u), (p.s[k], ped.h), (-one, p.masks[k])];
        eq.extend(f.terms.iter().map(|(c, q)| (-e * c, *q)));
        out.push(("relation: a value's mask", eq));
    }
    let d = rel.degree();
    let l = combined_response(rel, &p.z, e);
    let e_d = e.pow([d as u64]);
    let mut eq = vec![(l, ped.u), (p.z_tau, ped.h)];
    eq.extend(claim.terms.iter().map(|(c, q)| (-e_d * c, *q)));
    let mut e_i = one;
    for t_i in &p.coeffs {
        eq.push((-e_i, *t_i));
        e_i *= e;
    }
    out.push(("relation: the claim", eq));
    out
}

fn check_shape(rel: &Relation, p: &RelationProof) -> Result<(), RelationError> {
    check_terms(rel)?;
    let n = rel.num_values;
    for (what, expected, found) in [
        ("masks", n, p.masks.len()),
        ("coefficient commitments", rel.degree(), p.coeffs.len()),
        ("responses", n, p.z.len()),
        ("blind responses", n, p.s.len()),
    ] {
        if expected != found {
            return Err(RelationError::Shape {
                what,
                expected,
                found,
            });
        }
    }
    Ok(())
}

/// Records the equations of a proof that `claim = rel(values)` in `checks`;
/// `values` and `claim` must be in the transcript already (as the prover's).
pub fn verify_relation(
    ped: &Pedersen,
    rel: &Relation,
    values: &[Lc],
    claim: &Lc,
    proof: &RelationProof,
    t: &mut Transcript,
    checks: &mut Checks,
) -> Result<(), RelationError> {
    check_shape(rel, proof)?;
    if values.len() != rel.num_values {
        return Err(RelationError::Shape {
            what: "value commitments",
            expected: rel.num_values,
            found: values.len(),
        });
    }
    let e = absorb(t, &proof.masks, &proof.coeffs);
    for (what, eq) in equations(ped, rel, values, claim, proof, e) {
        checks.require_zero(what, eq);
    }
    Ok(())
}

/// Whether a relation proof's equations hold for challenge `e`.
pub fn relation_accepts(
    ped: &Pedersen,
    rel: &Relation,
    values: &[G1Affine],
    claim: G1Affine,
    proof: &RelationProof,
    e: Fr,
) -> bool {
    if check_shape(rel, proof).is_err() || values.len() != rel.num_values {
        return false;
    }
    let values: Vec<Lc> = values.iter().map(|p| Lc::point(*p)).collect();
    equations(ped, rel, &values, &Lc::point(claim), proof, e)
        .iter()
        .all(|(_, eq)| {
            let (s, p): (Vec<Fr>, Vec<G1Affine>) = eq.iter().copied().unzip();
            G1Projective::msm_unchecked(&p, &s).is_zero()
        })
}

/// The HVZK simulator for a chosen challenge `e`: uniform responses and
/// coefficient commitments `T_1..`, with `A_k` and `T_0` solved from the
/// equations — the distribution of honest proofs, whose responses are
/// uniform masks and whose `T_i` (`i ≥ 1`) are uniformly blinded.
pub fn simulate_relation<R: RngCore + CryptoRng>(
    ped: &Pedersen,
    rel: &Relation,
    values: &[G1Affine],
    claim: G1Affine,
    e: Fr,
    rng: &mut R,
) -> RelationProof {
    let n = rel.num_values;
    let d = rel.degree();
    let z: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
    let s: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
    let z_tau = Fr::rand(rng);
    let masks = G1Projective::normalize_batch(
        &(0..n)
            .map(|k| ped.u * z[k] + ped.h * s[k] - values[k] * e)
            .collect::<Vec<_>>(),
    );
    let mut coeffs: Vec<G1Affine> = (0..d)
        .map(|_| (ped.u * Fr::rand(rng) + ped.h * Fr::rand(rng)).into_affine())
        .collect();
    let l = combined_response(rel, &z, e);
    // T_0 = L·U + z_τ·H − e^d·C − Σ_{i≥1} e^i·T_i.
    let mut t0 = ped.u * l + ped.h * z_tau - claim * e.pow([d as u64]);
    let mut e_i = e;
    for t_i in &coeffs[1..] {
        t0 -= *t_i * e_i;
        e_i *= e;
    }
    coeffs[0] = t0.into_affine();
    RelationProof {
        masks,
        coeffs,
        z,
        s,
        z_tau,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::Generators;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    /// The logUp layer's final relation: `p = p_L·q_R + p_R·q_L` scaled by
    /// a public eq factor, and `q = q_L·q_R`, folded with a public weight,
    /// plus a cubic term and a constant to exercise the shift.
    fn relation() -> Relation {
        let c = |x: u64| Fr::from(x);
        Relation {
            num_values: 4,
            terms: vec![
                (c(3), vec![0, 3]),
                (c(3), vec![1, 2]),
                (c(7), vec![2, 3]),
                (c(5), vec![0, 1, 2]),
                (c(11), vec![]),
            ],
        }
    }

    fn setup(shift: Fr, seed: u64) -> (Pedersen, Vec<Secret>, Secret, StdRng) {
        let ped = Pedersen::new(&Generators::new("relation-test", 1));
        let mut rng = StdRng::seed_from_u64(seed);
        let values: Vec<Secret> = (0..4)
            .map(|_| Secret::fresh(Fr::rand(&mut rng), &mut rng))
            .collect();
        let v = relation().evaluate(&values.iter().map(|s| s.value).collect::<Vec<_>>());
        let claim = Secret::fresh(v + shift, &mut rng);
        (ped, values, claim, rng)
    }

    fn verify(
        ped: &Pedersen,
        rel: &Relation,
        values: &[Secret],
        claim: &Secret,
        p: &RelationProof,
    ) -> Result<(), String> {
        let lcs: Vec<Lc> = values
            .iter()
            .map(|s| Lc::point(ped.commit(s).into_affine()))
            .collect();
        let c = Lc::point(ped.commit(claim).into_affine());
        let mut t = Transcript::new(b"relation");
        let mut checks = Checks::new();
        verify_relation(ped, rel, &lcs, &c, p, &mut t, &mut checks).map_err(|e| e.to_string())?;
        checks
            .verify(&mut StdRng::seed_from_u64(9))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn honest_relation_proofs_verify() {
        let (ped, values, claim, mut rng) = setup(Fr::zero(), 1);
        let rel = relation();
        let mut t = Transcript::new(b"relation");
        let p = prove_relation(&ped, &rel, &values, &claim, &mut t, &mut rng);
        assert_eq!(verify(&ped, &rel, &values, &claim, &p), Ok(()));
        // 4 masks + 3 coefficient commitments: the three products of the
        // chain this replaces would be 9 points plus 3 partial products.
        assert_eq!((p.masks.len(), p.coeffs.len()), (4, 3));
        let bytes = p.to_bytes();
        assert_eq!(RelationProof::from_bytes(&bytes).unwrap(), p);
    }

    /// A false claim (`v + 1`), proven as an honest prover would except
    /// that `m_d` is not the claim: the relation's equation refuses it.
    #[test]
    fn a_false_claim_is_refused_by_the_relation_equation() {
        let (ped, values, claim, mut rng) = setup(Fr::from(1u64), 2);
        let rel = relation();
        let mut t = Transcript::new(b"relation");
        // The prover's messages depend on the claim only through `z_τ`'s
        // blind: prove for the true value under the false claim's blind
        // (which also keeps clear of the prover's honesty assertion).
        let truth = Secret {
            value: rel.evaluate(&values.iter().map(|s| s.value).collect::<Vec<_>>()),
            blind: claim.blind,
        };
        let p = prove_relation(&ped, &rel, &values, &truth, &mut t, &mut rng);
        assert_eq!(
            verify(&ped, &rel, &values, &claim, &p),
            Err("relation: the claim".into())
        );
    }

    /// The claim is true but the prover answers for another value of `f_0`
    /// than the one committed: a value's mask equation refuses it.
    #[test]
    fn a_response_for_another_witness_is_refused_by_its_mask_equation() {
        let (ped, values, claim, mut rng) = setup(Fr::zero(), 3);
        let rel = relation();
        let mut t = Transcript::new(b"relation");
        let mut p = prove_relation(&ped, &rel, &values, &claim, &mut t, &mut rng);
        p.z[0] += Fr::from(1u64);
        assert_eq!(
            verify(&ped, &rel, &values, &claim, &p),
            Err("relation: a value's mask".into())
        );
        // Swapped commitments (f_0's and f_1's) are refused too.
        let mut t = Transcript::new(b"relation");
        let p = prove_relation(&ped, &rel, &values, &claim, &mut t, &mut rng);
        let mut swapped = values.clone();
        swapped.swap(0, 1);
        assert!(verify(&ped, &rel, &swapped, &claim, &p).is_err());
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let (ped, values, claim, mut rng) = setup(Fr::zero(), 4);
        let rel = relation();
        let mut t = Transcript::new(b"relation");
        let mut p = prove_relation(&ped, &rel, &values, &claim, &mut t, &mut rng);
        p.coeffs.pop();
        let e = verify(&ped, &rel, &values, &claim, &p).unwrap_err();
        assert!(e.contains("coefficient commitments"), "{e}");
        let mut bad = rel.clone();
        bad.terms[0].1.push(9);
        let e = verify(&ped, &bad, &values, &claim, &p).unwrap_err();
        assert!(e.contains("value 9 of 4"), "{e}");
    }

    #[test]
    fn the_simulator_produces_accepting_transcripts() {
        let (ped, values, claim, mut rng) = setup(Fr::from(5u64), 5);
        let rel = relation();
        let pts: Vec<G1Affine> = values.iter().map(|s| ped.commit(s).into_affine()).collect();
        // A false claim, no witness: the simulator still accepts for its `e`.
        let c = ped.commit(&claim).into_affine();
        let e = Fr::rand(&mut rng);
        let p = simulate_relation(&ped, &rel, &pts, c, e, &mut rng);
        assert!(relation_accepts(&ped, &rel, &pts, c, &p, e));
        assert!(!relation_accepts(
            &ped,
            &rel,
            &pts,
            c,
            &p,
            e + Fr::from(1u64)
        ));
    }
}
