//! All claims on all committed tensors, settled by one opening per shape.
//!
//! Gadgets leave claims `f_i(u_k) = y_k` on committed tensors. For every
//! group of same-sized tensors, after the claims are absorbed and `γ` drawn,
//! `Σ_k γ^k·y_k = Σ_x Σ_i f_i(x)·g_i(x)` with `g_i = Σ_{k on i} γ^k·eq(u_k, ·)`;
//! one degree-2 sumcheck reduces every claim of the group to the values
//! `f_i(r)` at one point `r`, and one batched Hyrax opening proves them.
//!
//! A group holds at most [`MAX_GROUP_ENTRIES`] table entries (more same-sized
//! tensors make more groups): the sumcheck folds a copy of every table and
//! its `g`, and for a 135M-parameter model one group per size would need
//! more memory than the rest of the prover. The prover keeps small-integer
//! tensors as `i64` and lifts one group at a time into the field.

use std::borrow::Cow;
use std::collections::BTreeMap;

use ark_std::rand::{CryptoRng, RngCore};

use super::ClaimError;
use crate::backend::Backend;
use crate::commit::{Hyrax, HyraxCommitment, HyraxHint, HyraxOpening, PcsError};
use crate::field::Fr;
use crate::poly::{eq_eval, SumOfProducts};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::mode::InstanceError;
use crate::zk::{
    prove_instance, verify_instance, Clear, Instance, Mode, Pedersen, ProverCtx, VerifierCtx,
};

/// Index of a committed tensor in an [`OpeningProver`] / [`OpeningVerifier`].
pub type TensorId = usize;

/// One group's reduction (a sumcheck whose final values are the tensors'
/// values at one point, in the clear or hidden by the mode) and its opening.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupOpening<M: Mode = Clear> {
    pub reduction: Instance<M>,
    pub opening: HyraxOpening,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BatchOpeningProof<M: Mode = Clear> {
    pub groups: Vec<GroupOpening<M>>,
}

impl<M: Mode> Default for BatchOpeningProof<M> {
    fn default() -> Self {
        Self { groups: Vec::new() }
    }
}

impl<M: Mode> Wire for GroupOpening<M> {
    const MIN_BYTES: usize = 8 + HyraxOpening::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        self.reduction.write(w);
        self.opening.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            reduction: r.get()?,
            opening: r.get()?,
        })
    }
}

impl<M: Mode> Wire for BatchOpeningProof<M> {
    const MIN_BYTES: usize = 4;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.groups);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            groups: r.get_seq("opening groups")?,
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpeningError {
    #[error("claim on tensor {0}, which was never committed")]
    UnknownTensor(TensorId),
    #[error("claim on tensor {tensor} has a point of {found} coordinates, the tensor has {expected} variables")]
    WrongDimension {
        tensor: TensorId,
        expected: usize,
        found: usize,
    },
    #[error("proof has {found} opening groups, expected {expected}")]
    GroupCount { expected: usize, found: usize },
    #[error("group of {num_vars}-variable tensors: {why}")]
    Final { num_vars: usize, why: String },
    #[error("group of {num_vars}-variable tensors: {source}")]
    Reduction { num_vars: usize, source: ClaimError },
    #[error("group of {num_vars}-variable tensors: {source}")]
    Opening { num_vars: usize, source: PcsError },
}

/// The most table entries (tensors × `2^num_vars`) one group opens at once.
pub const MAX_GROUP_ENTRIES: usize = 1 << 24;

/// One group: its tensors' `num_vars` and, per tensor, the claims on it.
type Group<V> = (usize, BTreeMap<TensorId, Vec<EvaluationClaim<V>>>);

/// Claims grouped by tensor size, each size split into groups of at most
/// [`MAX_GROUP_ENTRIES`] entries, in a deterministic order both sides derive
/// from the same claim list and commitment sizes.
fn group_claims<V: Clone>(
    num_vars_of: impl Fn(TensorId) -> Option<usize>,
    claims: &[(TensorId, EvaluationClaim<V>)],
    max_entries: usize,
) -> Result<Vec<Group<V>>, OpeningError> {
    let by_size = claims_by_size(num_vars_of, claims)?;
    let mut groups = Vec::new();
    for (n, tensors) in by_size {
        let per_group = (max_entries >> n.min(63)).max(1);
        let mut current = BTreeMap::new();
        for (id, cs) in tensors {
            if current.len() == per_group {
                groups.push((n, std::mem::take(&mut current)));
            }
            current.insert(id, cs);
        }
        if !current.is_empty() {
            groups.push((n, current));
        }
    }
    Ok(groups)
}

type BySize<V> = BTreeMap<usize, BTreeMap<TensorId, Vec<EvaluationClaim<V>>>>;

/// `num_vars → tensor → claims`, checking every claim's dimension.
fn claims_by_size<V: Clone>(
    num_vars_of: impl Fn(TensorId) -> Option<usize>,
    claims: &[(TensorId, EvaluationClaim<V>)],
) -> Result<BySize<V>, OpeningError> {
    let mut groups: BySize<V> = BTreeMap::new();
    for (id, claim) in claims {
        let n = num_vars_of(*id).ok_or(OpeningError::UnknownTensor(*id))?;
        if claim.point.len() != n {
            return Err(OpeningError::WrongDimension {
                tensor: *id,
                expected: n,
                found: claim.point.len(),
            });
        }
        groups
            .entry(n)
            .or_default()
            .entry(*id)
            .or_default()
            .push(claim.clone());
    }
    Ok(groups)
}

/// Absorbs a group's claims (values through the mode); returns per tensor
/// the weights `γ^k` of its claims.
fn absorb_group<V>(
    num_vars: usize,
    group: &BTreeMap<TensorId, Vec<EvaluationClaim<V>>>,
    absorb_value: impl Fn(&mut Transcript, &V),
    t: &mut Transcript,
) -> Vec<Vec<Fr>> {
    t.append_bytes(b"openings", b"group");
    t.append_u64(b"openings-vars", num_vars as u64);
    for (id, claims) in group {
        t.append_u64(b"openings-tensor", *id as u64);
        for c in claims {
            t.append_scalars(b"openings-point", &c.point);
            absorb_value(t, &c.value);
        }
    }
    let gamma = t.challenge_scalar(b"openings-gamma");
    let mut power = Fr::from(1u64);
    group
        .values()
        .map(|claims| {
            claims
                .iter()
                .map(|_| {
                    let w = power;
                    power *= gamma;
                    w
                })
                .collect()
        })
        .collect()
}

/// `Σ_k γ^k·y_k` over a group's claims, as pairs for the mode's combination.
fn weighted<V: Clone>(
    group: &BTreeMap<TensorId, Vec<EvaluationClaim<V>>>,
    weights: &[Vec<Fr>],
) -> Vec<(Fr, V)> {
    group
        .values()
        .zip(weights)
        .flat_map(|(claims, w)| claims.iter().zip(w).map(|(c, wk)| (*wk, c.value.clone())))
        .collect()
}

fn group_sop(tensors: usize) -> SumOfProducts {
    let terms = (0..tensors)
        .map(|i| (Fr::from(1u64), vec![2 * i, 2 * i + 1]))
        .collect();
    SumOfProducts::new(2 * tensors, terms)
}

/// A committed tensor's padded table, as committed: small integers (the
/// witness, weights, multiplicities; 4× smaller than field elements) or
/// field elements.
enum Table {
    Small(Vec<i64>),
    Field(Vec<Fr>),
}

impl Table {
    fn len(&self) -> usize {
        match self {
            Table::Small(v) => v.len(),
            Table::Field(v) => v.len(),
        }
    }

    fn field(&self) -> Cow<'_, [Fr]> {
        match self {
            Table::Small(v) => Cow::Owned(crate::field::from_i64_slice(v)),
            Table::Field(v) => Cow::Borrowed(v),
        }
    }
}

/// The prover's side: committed tensors (tables, hints) and claims on them.
pub struct OpeningProver<M: Mode = Clear> {
    tensors: Vec<(Table, HyraxCommitment, HyraxHint)>,
    claims: Vec<(TensorId, EvaluationClaim<M::Known>)>,
    max_group_entries: usize,
}

impl<M: Mode> Default for OpeningProver<M> {
    fn default() -> Self {
        Self {
            tensors: Vec::new(),
            claims: Vec::new(),
            max_group_entries: MAX_GROUP_ENTRIES,
        }
    }
}

impl OpeningProver<Clear> {
    /// An accumulator of claims in the clear.
    pub fn new() -> Self {
        Self::default()
    }

    /// Proves every claim in the clear (see [`Self::prove_in`]).
    pub fn prove<R: RngCore + CryptoRng>(
        self,
        backend: &dyn Backend,
        pcs: &Hyrax,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<BatchOpeningProof, OpeningError> {
        let mut ctx = ProverCtx::new(Pedersen::new(pcs.generators()), rng);
        self.prove_in(&mut ctx, backend, pcs, transcript)
    }
}

impl<M: Mode> OpeningProver<M> {
    /// An accumulator of claims in mode `M`.
    pub fn in_mode() -> Self {
        Self::default()
    }

    /// Groups of at most `entries` table entries instead of
    /// [`MAX_GROUP_ENTRIES`] (tests; the verifier must use the same).
    pub fn with_group_limit(mut self, entries: usize) -> Self {
        self.max_group_entries = entries;
        self
    }

    /// Registers a committed tensor (its padded table of `2^num_vars` entries).
    pub fn add(
        &mut self,
        table: Vec<Fr>,
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> TensorId {
        self.push(Table::Field(table), commitment, hint)
    }

    /// Registers a committed small-integer tensor (padded, `2^num_vars` entries).
    pub fn add_small(
        &mut self,
        table: Vec<i64>,
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> TensorId {
        self.push(Table::Small(table), commitment, hint)
    }

    fn push(&mut self, table: Table, commitment: HyraxCommitment, hint: HyraxHint) -> TensorId {
        assert_eq!(
            table.len(),
            1 << commitment.num_vars,
            "table must be padded"
        );
        self.tensors.push((table, commitment, hint));
        self.tensors.len() - 1
    }

    pub fn claim(&mut self, id: TensorId, claim: EvaluationClaim<M::Known>) {
        self.claims.push((id, claim));
    }

    pub fn commitment(&self, id: TensorId) -> &HyraxCommitment {
        &self.tensors[id].1
    }

    /// The tensor's table in the field (converted on the fly when small).
    pub fn table(&self, id: TensorId) -> Cow<'_, [Fr]> {
        self.tensors[id].0.field()
    }

    /// Per group: the claims' combination `Σ_k γ^k·y_k = Σ_x Σ_i f_i(x)·g_i(x)`
    /// reduced by one sumcheck to the tensors' values at one point (the
    /// `g_i` are the verifier's to evaluate), and one Hyrax opening of them.
    pub fn prove_in(
        self,
        ctx: &mut ProverCtx,
        backend: &dyn Backend,
        pcs: &Hyrax,
        transcript: &mut Transcript,
    ) -> Result<BatchOpeningProof<M>, OpeningError> {
        let groups = group_claims(
            |id| self.tensors.get(id).map(|t| t.1.num_vars),
            &self.claims,
            self.max_group_entries,
        )?;
        let mut proof = BatchOpeningProof::default();
        for (num_vars, group) in &groups {
            let weights = absorb_group(
                *num_vars,
                group,
                |t, v| M::absorb_known(ctx, t, b"openings-value", v),
                transcript,
            );
            let sum = M::combine_known(&weighted(group, &weights));
            let mut tables = Vec::with_capacity(2 * group.len());
            for ((id, claims), w) in group.iter().zip(&weights) {
                let mut g = vec![Fr::from(0u64); 1 << num_vars];
                for (c, wk) in claims.iter().zip(w) {
                    backend.axpy(&mut g, *wk, &backend.eq_table(&c.point));
                }
                tables.push(self.table(*id).into_owned());
                tables.push(g);
            }
            let sop = group_sop(group.len());
            let public: Vec<bool> = (0..2 * group.len()).map(|k| k % 2 == 1).collect();
            let (reduction, point, values) =
                prove_instance::<M>(ctx, backend, tables, &sop, sum, &public, transcript);
            let ids: Vec<TensorId> = group.keys().copied().collect();
            // Lifted again rather than kept from before the sumcheck: holding
            // both the lifted tables and the sumcheck's copies would raise
            // the group's peak memory by half, for a conversion that is cheap.
            let lifted: Vec<Cow<'_, [Fr]>> = ids.iter().map(|id| self.table(*id)).collect();
            let tabs: Vec<&[Fr]> = lifted.iter().map(|t| t.as_ref()).collect();
            let hints: Vec<&HyraxHint> = ids.iter().map(|id| &self.tensors[*id].2).collect();
            let coms: Vec<&HyraxCommitment> = ids.iter().map(|id| &self.tensors[*id].1).collect();
            let opening = M::open(
                ctx, pcs, backend, &tabs, &hints, &coms, &point, &values, transcript,
            )
            .map_err(|source| OpeningError::Opening {
                num_vars: *num_vars,
                source,
            })?;
            proof.groups.push(GroupOpening { reduction, opening });
        }
        Ok(proof)
    }
}

/// Claims on committed tensors as a verifier replay lists them
/// ([`OpeningVerifier::verify_replayed`]).
pub type Replay<V> = Vec<(TensorId, EvaluationClaim<V>)>;

/// The verifier's side: commitments and the claims gadgets left on them.
pub struct OpeningVerifier<M: Mode = Clear> {
    commitments: Vec<HyraxCommitment>,
    claims: Vec<(TensorId, EvaluationClaim<M::Value>)>,
    max_group_entries: usize,
}

impl<M: Mode> Default for OpeningVerifier<M> {
    fn default() -> Self {
        Self {
            commitments: Vec::new(),
            claims: Vec::new(),
            max_group_entries: MAX_GROUP_ENTRIES,
        }
    }
}

impl OpeningVerifier<Clear> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies claims in the clear (see [`Self::verify_in`]).
    pub fn verify(
        self,
        backend: &dyn Backend,
        pcs: &Hyrax,
        proof: &BatchOpeningProof,
        transcript: &mut Transcript,
    ) -> Result<(), OpeningError> {
        let mut ctx = VerifierCtx::new(Pedersen::new(pcs.generators()));
        self.verify_in(&mut ctx, backend, pcs, proof, transcript)
        // Clear mode records no relation: nothing is left in `ctx`.
    }
}

impl<M: Mode> OpeningVerifier<M> {
    pub fn in_mode() -> Self {
        Self::default()
    }

    /// See [`OpeningProver::with_group_limit`].
    pub fn with_group_limit(mut self, entries: usize) -> Self {
        self.max_group_entries = entries;
        self
    }

    pub fn add(&mut self, commitment: HyraxCommitment) -> TensorId {
        self.commitments.push(commitment);
        self.commitments.len() - 1
    }

    pub fn claim(&mut self, id: TensorId, claim: EvaluationClaim<M::Value>) {
        self.claims.push((id, claim));
    }

    /// Checks every group's reduction and opening. In hidden mode the
    /// reductions' final relations are recorded in `ctx`, which the caller
    /// settles with [`VerifierCtx::finish`].
    pub fn verify_in(
        self,
        ctx: &mut VerifierCtx,
        backend: &dyn Backend,
        pcs: &Hyrax,
        proof: &BatchOpeningProof<M>,
        transcript: &mut Transcript,
    ) -> Result<(), OpeningError> {
        self.verify_replayed(ctx, backend, pcs, proof, transcript, None)
    }

    /// [`Self::verify_in`], also listing in `replay` every claim it checked
    /// and each group's reduced claims: what an observer of the proof can
    /// compute about each committed tensor (tests of what proofs reveal).
    pub fn verify_replayed(
        self,
        ctx: &mut VerifierCtx,
        backend: &dyn Backend,
        pcs: &Hyrax,
        proof: &BatchOpeningProof<M>,
        transcript: &mut Transcript,
        mut replay: Option<&mut Replay<M::Value>>,
    ) -> Result<(), OpeningError> {
        if let Some(r) = replay.as_deref_mut() {
            r.extend(self.claims.iter().cloned());
        }
        let groups = group_claims(
            |id| self.commitments.get(id).map(|c| c.num_vars),
            &self.claims,
            self.max_group_entries,
        )?;
        if proof.groups.len() != groups.len() {
            return Err(OpeningError::GroupCount {
                expected: groups.len(),
                found: proof.groups.len(),
            });
        }
        for ((num_vars, group), gp) in groups.iter().zip(&proof.groups) {
            let n = *num_vars;
            let weights = absorb_group(
                n,
                group,
                |t, v| M::absorb(t, b"openings-value", v),
                transcript,
            );
            let sum = M::combine(&weighted(group, &weights));
            let sop = group_sop(group.len());
            // g_i(r) = Σ_k γ^k·eq(u_k, r), the verifier's own.
            let public = |r: &[Fr]| -> Vec<Option<Fr>> {
                group
                    .values()
                    .zip(&weights)
                    .flat_map(|(claims, w)| {
                        let g: Fr = claims
                            .iter()
                            .zip(w)
                            .map(|(c, wk)| *wk * eq_eval(&c.point, r))
                            .sum();
                        [None, Some(g)]
                    })
                    .collect()
            };
            let (point, values) =
                verify_instance::<M>(ctx, n, &sop, sum, public, &gp.reduction, transcript)
                    .map_err(|e| match e {
                        InstanceError::Sumcheck(e) => OpeningError::Reduction {
                            num_vars: n,
                            source: ClaimError::Sumcheck(e),
                        },
                        InstanceError::Final(why) => OpeningError::Final { num_vars: n, why },
                    })?;
            if let Some(r) = replay.as_deref_mut() {
                r.extend(group.keys().zip(&values).map(|(id, v)| {
                    let claim = EvaluationClaim {
                        point: point.clone(),
                        value: v.clone(),
                    };
                    (*id, claim)
                }));
            }
            let coms: Vec<&HyraxCommitment> =
                group.keys().map(|id| &self.commitments[*id]).collect();
            M::verify_open(
                pcs,
                backend,
                &coms,
                &point,
                &values,
                &gp.opening,
                transcript,
            )
            .map_err(|source| OpeningError::Opening {
                num_vars: n,
                source,
            })?;
        }
        Ok(())
    }
}
