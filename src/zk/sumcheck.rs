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
//! verifier cannot compute (the public ones, such as `eq`, it evaluates),
//! commits to the partial products of each term, proves each product
//! ([`super::sigma::ProductProof`]), and leaves `C_n − Σ_t (term)` to the
//! batched zero proof. The committed `f_k(r)` are the claims handed on.

use ark_ec::CurveGroup;
use ark_std::rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::checks::Checks;
use super::lc::Lc;
use super::pedersen::{combine, Pedersen, Secret};
use super::sigma::{prove_product, verify_product, ProductProof, ZeroProver, ZeroVerifier};
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
/// verifier does not compute, to each term's partial products, and the
/// product proofs linking them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalProof {
    /// One per non-public table, in table order.
    pub values: Vec<G1Affine>,
    /// One per product step (see [`product_steps`]).
    pub products: Vec<G1Affine>,
    pub product_proofs: Vec<ProductProof>,
}

impl Wire for FinalProof {
    const MIN_BYTES: usize = 12;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.values);
        w.put_seq(&self.products);
        w.put_seq(&self.product_proofs);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let values = r.get_seq("final value commitments")?;
        let products: Vec<G1Affine> = r.get_seq("partial product commitments")?;
        let product_proofs = r.get_seq_exact("product proofs", products.len())?;
        Ok(Self {
            values,
            products,
            product_proofs,
        })
    }
}

/// Per term: its coefficient times the public factors' product, and the
/// committed factors (table indices). A term with `m ≥ 2` committed factors
/// takes `m − 1` product steps.
fn split_terms(sop: &SumOfProducts, public: &[Option<Fr>]) -> Vec<(Fr, Vec<usize>)> {
    sop.terms()
        .iter()
        .map(|(c, factors)| {
            let mut coeff = *c;
            let mut committed = Vec::new();
            for &k in factors {
                match public[k] {
                    Some(v) => coeff *= v,
                    None => committed.push(k),
                }
            }
            (coeff, committed)
        })
        .collect()
}

/// Number of product steps [`prove_final`] proves for this shape.
pub fn product_steps(sop: &SumOfProducts, public: &[bool]) -> usize {
    sop.terms()
        .iter()
        .map(|(_, f)| f.iter().filter(|k| !public[**k]).count().saturating_sub(1))
        .sum()
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
    let mut secret_of: Vec<Option<Secret>> = vec![None; values.len()];
    for (k, v) in values.iter().enumerate() {
        if !public[k] {
            secret_of[k] = Some(Secret::fresh(*v, rng));
        }
    }
    let handed: Vec<Secret> = secret_of.iter().flatten().copied().collect();
    let value_pts =
        G1Projective::normalize_batch(&handed.iter().map(|s| ped.commit(s)).collect::<Vec<_>>());
    // Partial products, term by term: p_1 = f_a, p_2 = p_1·f_b, …
    let mut steps: Vec<(Secret, Secret, Secret)> = Vec::new();
    let mut terms: Vec<(Fr, Secret)> = Vec::new();
    for (coeff, committed) in split_terms(sop, &pub_vals) {
        let mut acc = match committed.first() {
            Some(k) => secret_of[*k].expect("committed"),
            None => Secret::public(Fr::from(1u64)),
        };
        for k in &committed[1.min(committed.len())..] {
            let f = secret_of[*k].expect("committed");
            let p = Secret::fresh(acc.value * f.value, rng);
            steps.push((acc, f, p));
            acc = p;
        }
        terms.push((coeff, acc));
    }
    let product_pts = G1Projective::normalize_batch(
        &steps
            .iter()
            .map(|(_, _, p)| ped.commit(p))
            .collect::<Vec<_>>(),
    );
    absorb_final(t, &value_pts, &product_pts);
    let product_proofs = steps
        .iter()
        .map(|(x, y, z)| prove_product(ped, x, y, z, t, rng))
        .collect();
    zeros.require_zero(final_claim - combine(&terms));
    (
        FinalProof {
            values: value_pts,
            products: product_pts,
            product_proofs,
        },
        handed,
    )
}

fn absorb_final(t: &mut Transcript, values: &[G1Affine], products: &[G1Affine]) {
    t.append_points(b"sumcheck-final-values", values);
    t.append_points(b"sumcheck-final-products", products);
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FinalError {
    #[error("{found} final value commitments, the shape has {expected} committed tables")]
    ValueCount { expected: usize, found: usize },
    #[error("{found} partial products, the shape needs {expected}")]
    ProductCount { expected: usize, found: usize },
}

/// Verifier: checks the shape of `proof`, records its product proofs in
/// `checks` and `C_n − Σ_t (term)` in `zeros`; returns the commitments to
/// the non-public tables' values (table order), the claims handed on.
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
    let mask: Vec<bool> = public.iter().map(|p| p.is_some()).collect();
    let steps = product_steps(sop, &mask);
    if proof.products.len() != steps || proof.product_proofs.len() != steps {
        return Err(FinalError::ProductCount {
            expected: steps,
            found: proof.products.len(),
        });
    }
    absorb_final(t, &proof.values, &proof.products);
    let mut com_of: Vec<Option<Lc>> = vec![None; public.len()];
    let mut it = proof.values.iter();
    for (k, p) in public.iter().enumerate() {
        if p.is_none() {
            com_of[k] = it.next().map(|a| Lc::point(*a));
        }
    }
    let one = Fr::from(1u64);
    let mut step = 0;
    let mut parts: Vec<(Fr, Lc)> = vec![(one, final_claim)];
    for (coeff, committed) in split_terms(sop, public) {
        let mut acc = match committed.first() {
            Some(k) => com_of[*k].clone().expect("committed"),
            None => Lc::point(ped.u),
        };
        for k in &committed[1.min(committed.len())..] {
            let f = com_of[*k].as_ref().expect("committed");
            let p = Lc::point(proof.products[step]);
            verify_product(ped, [&acc, f, &p], &proof.product_proofs[step], t, checks);
            acc = p;
            step += 1;
        }
        parts.push((-coeff, acc));
    }
    zeros.require_zero(Lc::combine(parts.iter().map(|(c, v)| (*c, v))));
    Ok(com_of.into_iter().flatten().collect())
}
