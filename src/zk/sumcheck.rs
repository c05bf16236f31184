//! The sumcheck with committed round polynomials and a committed result
//! (Hyrax, §4), over the same prover loop and verifier loop as the plain
//! one: only the [`RoundCodec`] differs.
//!
//! Round `i` sends commitments to `g_i(0), g_i(2), …, g_i(d)`. The verifier
//! never sees a value: it derives `Com(g_i(1)) = C_{i−1} − Com(g_i(0))`, so
//! `g_i(0) + g_i(1)` equals the running claim by construction, and the next
//! claim `C_i = Σ_j L_j(r_i)·Com(g_i(j))` by interpolating commitments.
//! A prover bound to its commitments is bound to one polynomial per round
//! with the right sum: the plain protocol's soundness, under the binding of
//! Pedersen commitments (discrete log in G1).
//!
//! The sumcheck ends in `C_n`, a commitment to `Σ_t c_t·Π_{k∈t} f_k(r)`.
//! [`prove_final`] commits to every table's value `f_k(r)` that the
//! verifier cannot compute (the public ones, such as `eq`, it evaluates).
//! The terms with at most one committed factor are linear in those
//! commitments; the rest are proven by one [`super::relation`] proof that
//! `C_n − (linear terms)` commits to their sum (a mask per value it uses and
//! `d` coefficient commitments, instead of a committed partial product and a
//! proof of product per multiplication). When no term is nonlinear,
//! `C_n − (linear terms)` goes to the batched zero proof. The committed
//! `f_k(r)` are the claims handed on.

use ark_ec::CurveGroup;
use ark_std::rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::checks::Checks;
use super::lc::Lc;
use super::pedersen::{combine, Pedersen, Secret};
use super::relation::{prove_relation, verify_relation, Relation, RelationError, RelationProof};
use super::sigma::{ZeroProver, ZeroVerifier};
use crate::field::{Fr, G1Affine, G1Projective};
use crate::poly::SumOfProducts;
use crate::sumcheck::{lagrange_weights, round_challenge, RoundCodec, SumcheckError};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

/// One round: commitments to `g(0), g(2), …, g(d)` (`g(1)` is implied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedRound(pub Vec<G1Affine>);

impl Wire for CommittedRound {
    const MIN_BYTES: usize = 4;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let pts: Vec<G1Affine> = r.get_seq("committed sumcheck round")?;
        if pts.len() > crate::sumcheck::MAX_DEGREE {
            return Err(WireError::Invalid {
                what: "committed sumcheck round (degree too high)",
            });
        }
        Ok(CommittedRound(pts))
    }
}

/// The committed codec. The prover's state: the running claim's secret and
/// the current round's secrets; its blinds come from a ChaCha20 generator
/// seeded from the caller's (the operating system's) generator.
pub struct Committed {
    ped: Pedersen,
    rng: ChaCha20Rng,
    claim: Secret,
    round: Vec<Secret>,
}

impl Committed {
    /// Prover: a sumcheck whose claimed sum is committed with secret `claim`.
    pub fn new<R: RngCore + CryptoRng>(ped: Pedersen, claim: Secret, rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self {
            ped,
            rng: ChaCha20Rng::from_seed(seed),
            claim,
            round: Vec::new(),
        }
    }

    /// The secret of the claim the rounds reduced to (after the last round:
    /// the commitment the verifier ends with).
    pub fn claim_secret(&self) -> Secret {
        self.claim
    }
}

fn absorb_round(t: &mut Transcript, pts: &[G1Affine]) {
    t.append_points(b"sumcheck-round-commitments", pts);
}

impl RoundCodec for Committed {
    type Claim = Lc;
    type Round = CommittedRound;

    fn send(&mut self, evals: &[Fr], t: &mut Transcript) -> CommittedRound {
        let s0 = Secret::fresh(evals[0], &mut self.rng);
        // An honest prover's `g(0) + g(1)` is the claim; a cheating one's
        // implied `g(1)` is not the value it folded, and the final check fails.
        let s1 = self.claim - s0;
        let mut secrets = vec![s0, s1];
        secrets.extend(evals[2..].iter().map(|v| Secret::fresh(*v, &mut self.rng)));
        let coms: Vec<G1Projective> = std::iter::once(&secrets[0])
            .chain(&secrets[2..])
            .map(|s| self.ped.commit(s))
            .collect();
        let pts = G1Projective::normalize_batch(&coms);
        absorb_round(t, &pts);
        self.round = secrets;
        CommittedRound(pts)
    }

    fn bind(&mut self, r: Fr) {
        let w = lagrange_weights(self.round.len(), r);
        let terms: Vec<(Fr, Secret)> = w.into_iter().zip(self.round.drain(..)).collect();
        self.claim = combine(&terms);
    }

    fn receive(
        claim: &Lc,
        round: &CommittedRound,
        round_index: usize,
        degree: usize,
        t: &mut Transcript,
    ) -> Result<(Fr, Lc), SumcheckError> {
        if round.0.len() != degree {
            return Err(SumcheckError::WrongDegree {
                round: round_index,
                degree,
                found: round.0.len() + 1,
            });
        }
        absorb_round(t, &round.0);
        let r = round_challenge(t);
        // C_next = w_0·C_0 + w_1·(C − C_0) + Σ_{j≥2} w_j·C_j, kept symbolic.
        let w = lagrange_weights(degree + 1, r);
        let mut next = claim.scaled(w[1]);
        next.terms.push((w[0] - w[1], round.0[0]));
        next.terms
            .extend(round.0[1..].iter().zip(&w[2..]).map(|(p, wj)| (*wj, *p)));
        Ok((r, Lc::combine([(Fr::from(1u64), &next)])))
    }

    fn claim(&mut self, sum: Fr) -> Lc {
        let _ = sum; // the claim's secret was given to [`Committed::new`]
        Lc::point(self.ped.commit(&self.claim).into_affine())
    }

    /// Nothing: a committed claim is a combination of points absorbed as
    /// they arrived (see [`super::lc`]).
    fn absorb_claim(_: &Lc, _: &mut Transcript) {}
}

/// The end of a committed sumcheck: commitments to the tables' values the
/// verifier does not compute, and one [`RelationProof`] that the claim is
/// the shape's polynomial in them (absent when that polynomial is linear in
/// the committed values: the batched zero proof closes it then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalProof {
    /// One per non-public table, in table order.
    pub values: Vec<G1Affine>,
    /// Present exactly when a term of the shape has two or more committed
    /// factors (the verifier derives this from the shape).
    pub relation: Option<RelationProof>,
}

impl Wire for FinalProof {
    const MIN_BYTES: usize = 5;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.values);
        w.put_option(self.relation.as_ref());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let values = r.get_seq("final value commitments")?;
        let relation = r.get_option("final relation flag")?;
        Ok(Self { values, relation })
    }
}

impl FinalProof {
    /// Every point the final step sends, in wire order.
    pub fn points(&self) -> Vec<G1Affine> {
        let mut out = self.values.clone();
        if let Some(p) = &self.relation {
            out.extend(&p.masks);
            out.extend(&p.coeffs);
        }
        out
    }

    /// Every scalar it sends: the relation's masked responses only.
    pub fn scalars(&self) -> Vec<Fr> {
        self.relation.as_ref().map_or_else(Vec::new, |p| {
            let mut out = p.z.clone();
            out.extend(&p.s);
            out.push(p.z_tau);
            out
        })
    }
}

/// A shape's polynomial at the point, split for the final step: the terms
/// with at most one committed factor (closed by the zero proof, linearly),
/// and the others as one [`Relation`] over the committed values they use.
struct FinalSplit {
    /// `(c, k)`: the coefficient times the public factors, and the one
    /// committed table (`None` for a constant term).
    linear: Vec<(Fr, Option<usize>)>,
    /// The relation and, per relation value, its table.
    relation: Option<(Relation, Vec<usize>)>,
}

impl FinalSplit {
    fn new(sop: &SumOfProducts, public: &[Option<Fr>]) -> Self {
        let mut linear = Vec::new();
        let mut nonlinear = Vec::new();
        for (c, factors) in sop.terms() {
            let mut coeff = *c;
            let mut committed = Vec::new();
            for &k in factors {
                match public[k] {
                    Some(v) => coeff *= v,
                    None => committed.push(k),
                }
            }
            match committed.len() {
                0 => linear.push((coeff, None)),
                1 => linear.push((coeff, Some(committed[0]))),
                _ => nonlinear.push((coeff, committed)),
            }
        }
        if nonlinear.is_empty() {
            return Self {
                linear,
                relation: None,
            };
        }
        let mut tables: Vec<usize> = nonlinear.iter().flat_map(|(_, f)| f.clone()).collect();
        tables.sort_unstable();
        tables.dedup();
        let index = |k: &usize| tables.binary_search(k).expect("a relation table");
        let terms = nonlinear
            .into_iter()
            .map(|(c, f)| (c, f.iter().map(index).collect()))
            .collect();
        let relation = Relation {
            num_values: tables.len(),
            terms,
        };
        Self {
            linear,
            relation: Some((relation, tables)),
        }
    }
}

/// Prover: `final_claim` is the codec's [`Committed::claim_secret`] after
/// the last round, `values` every table's value at the point, `public`
/// which of them the verifier computes. Returns the proof and the secrets
/// of the non-public values (the claims handed on), in table order.
#[allow(clippy::too_many_arguments)]
pub fn prove_final<R: RngCore + CryptoRng>(
    ped: &Pedersen,
    sop: &SumOfProducts,
    values: &[Fr],
    public: &[bool],
    final_claim: Secret,
    zeros: &mut ZeroProver,
    t: &mut Transcript,
    rng: &mut R,
) -> (FinalProof, Vec<Secret>) {
    let pub_vals: Vec<Option<Fr>> = values
        .iter()
        .zip(public)
        .map(|(v, p)| p.then_some(*v))
        .collect();
    let secret_of: Vec<Option<Secret>> = values
        .iter()
        .zip(public)
        .map(|(v, p)| (!p).then(|| Secret::fresh(*v, rng)))
        .collect();
    let handed: Vec<Secret> = secret_of.iter().flatten().copied().collect();
    let value_pts =
        G1Projective::normalize_batch(&handed.iter().map(|s| ped.commit(s)).collect::<Vec<_>>());
    absorb_final(t, &value_pts);
    let split = FinalSplit::new(sop, &pub_vals);
    let one = Secret::public(Fr::from(1u64));
    let linear: Vec<(Fr, Secret)> = split
        .linear
        .iter()
        .map(|(c, k)| (*c, k.map_or(one, |k| secret_of[k].expect("committed"))))
        .collect();
    let rest = final_claim - combine(&linear);
    let relation = match &split.relation {
        None => {
            zeros.require_zero(rest);
            None
        }
        Some((rel, tables)) => {
            let vals: Vec<Secret> = tables
                .iter()
                .map(|k| secret_of[*k].expect("committed"))
                .collect();
            Some(prove_relation(ped, rel, &vals, &rest, t, rng))
        }
    };
    (
        FinalProof {
            values: value_pts,
            relation,
        },
        handed,
    )
}

fn absorb_final(t: &mut Transcript, values: &[G1Affine]) {
    t.append_points(b"sumcheck-final-values", values);
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FinalError {
    #[error("{found} final value commitments, the shape has {expected} committed tables")]
    ValueCount { expected: usize, found: usize },
    #[error("the shape's final step {}, the proof {}",
        if *expected { "needs a relation proof" } else { "is linear" },
        if *expected { "has none" } else { "has a relation proof" })]
    RelationPresence { expected: bool },
    #[error(transparent)]
    Relation(#[from] RelationError),
}

/// Verifier: checks the shape of `proof`, records its relation proof in
/// `checks` (or the linear remainder `C_n − Σ_t (term)` in `zeros`);
/// returns the commitments to the non-public tables' values (table order),
/// the claims handed on.
#[allow(clippy::too_many_arguments)]
pub fn verify_final(
    ped: &Pedersen,
    sop: &SumOfProducts,
    public: &[Option<Fr>],
    final_claim: Lc,
    proof: &FinalProof,
    zeros: &mut ZeroVerifier,
    checks: &mut Checks,
    t: &mut Transcript,
) -> Result<Vec<Lc>, FinalError> {
    let committed_count = public.iter().filter(|p| p.is_none()).count();
    if proof.values.len() != committed_count {
        return Err(FinalError::ValueCount {
            expected: committed_count,
            found: proof.values.len(),
        });
    }
    absorb_final(t, &proof.values);
    let mut com_of: Vec<Option<Lc>> = vec![None; public.len()];
    let mut it = proof.values.iter();
    for (k, p) in public.iter().enumerate() {
        if p.is_none() {
            com_of[k] = it.next().map(|a| Lc::point(*a));
        }
    }
    let split = FinalSplit::new(sop, public);
    let one = Lc::point(ped.u);
    let committed = |k: usize| com_of[k].as_ref().expect("committed");
    let mut parts: Vec<(Fr, &Lc)> = vec![(Fr::from(1u64), &final_claim)];
    for (c, k) in &split.linear {
        parts.push((-*c, k.map_or(&one, committed)));
    }
    let rest = Lc::combine(parts);
    match (&split.relation, &proof.relation) {
        (None, None) => zeros.require_zero(rest),
        (Some((rel, tables)), Some(p)) => {
            let vals: Vec<Lc> = tables.iter().map(|k| committed(*k).clone()).collect();
            verify_relation(ped, rel, &vals, &rest, p, t, checks)?;
        }
        (expected, _) => {
            return Err(FinalError::RelationPresence {
                expected: expected.is_some(),
            })
        }
    }
    Ok(com_of.into_iter().flatten().collect())
}
