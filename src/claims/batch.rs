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
use crate::sumcheck::{self, EvaluationClaim, SumcheckProof};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

/// Index of a committed tensor in an [`OpeningProver`] / [`OpeningVerifier`].
pub type TensorId = usize;

#[derive(Clone, Debug, PartialEq)]
pub struct GroupOpening {
    pub sumcheck: SumcheckProof,
    /// Each claimed tensor of the group at the common point.
    pub values: Vec<Fr>,
    pub opening: HyraxOpening,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct BatchOpeningProof {
    pub groups: Vec<GroupOpening>,
}

impl Wire for GroupOpening {
    const MIN_BYTES: usize = 8 + HyraxOpening::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        self.sumcheck.write(w);
        w.put_seq(&self.values);
        self.opening.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            sumcheck: r.get()?,
            values: r.get_seq("opening values")?,
            opening: r.get()?,
        })
    }
}

impl Wire for BatchOpeningProof {
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
    #[error("group of {num_vars}-variable tensors: {found} values for {expected} tensors")]
    ValueCount {
        num_vars: usize,
        expected: usize,
        found: usize,
    },
    #[error("group of {num_vars}-variable tensors: {source}")]
    Reduction { num_vars: usize, source: ClaimError },
    #[error("group of {num_vars}-variable tensors: {source}")]
    Opening { num_vars: usize, source: PcsError },
}

/// The most table entries (tensors × `2^num_vars`) one group opens at once.
pub const MAX_GROUP_ENTRIES: usize = 1 << 24;

/// One group: its tensors' `num_vars` and, per tensor, the claims on it.
type Group = (usize, BTreeMap<TensorId, Vec<EvaluationClaim>>);

/// Claims grouped by tensor size, each size split into groups of at most
/// [`MAX_GROUP_ENTRIES`] entries, in a deterministic order both sides derive
/// from the same claim list and commitment sizes.
fn group_claims(
    num_vars_of: impl Fn(TensorId) -> Option<usize>,
    claims: &[(TensorId, EvaluationClaim)],
    max_entries: usize,
) -> Result<Vec<Group>, OpeningError> {
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

/// `num_vars → tensor → claims`, checking every claim's dimension.
fn claims_by_size(
    num_vars_of: impl Fn(TensorId) -> Option<usize>,
    claims: &[(TensorId, EvaluationClaim)],
) -> Result<BTreeMap<usize, BTreeMap<TensorId, Vec<EvaluationClaim>>>, OpeningError> {
    let mut groups: BTreeMap<usize, BTreeMap<TensorId, Vec<EvaluationClaim>>> = BTreeMap::new();
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

/// Absorbs a group's claims; returns per tensor the weights `γ^k` of its claims.
fn absorb_group(
    num_vars: usize,
    group: &BTreeMap<TensorId, Vec<EvaluationClaim>>,
    t: &mut Transcript,
) -> (Fr, Vec<Vec<Fr>>) {
    t.append_bytes(b"openings", b"group");
    t.append_u64(b"openings-vars", num_vars as u64);
    for (id, claims) in group {
        t.append_u64(b"openings-tensor", *id as u64);
        for c in claims {
            t.append_scalars(b"openings-point", &c.point);
            t.append_scalar(b"openings-value", &c.value);
        }
    }
    let gamma = t.challenge_scalar(b"openings-gamma");
    let mut power = Fr::from(1u64);
    let mut sum = Fr::from(0u64);
    let weights = group
        .values()
        .map(|claims| {
            claims
                .iter()
                .map(|c| {
                    let w = power;
                    sum += w * c.value;
                    power *= gamma;
                    w
                })
                .collect()
        })
        .collect();
    (sum, weights)
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
pub struct OpeningProver {
    tensors: Vec<(Table, HyraxCommitment, HyraxHint)>,
    claims: Vec<(TensorId, EvaluationClaim)>,
    max_group_entries: usize,
}

impl Default for OpeningProver {
    fn default() -> Self {
        Self {
            tensors: Vec::new(),
            claims: Vec::new(),
            max_group_entries: MAX_GROUP_ENTRIES,
        }
    }
}

impl OpeningProver {
    pub fn new() -> Self {
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

    pub fn claim(&mut self, id: TensorId, claim: EvaluationClaim) {
        self.claims.push((id, claim));
    }

    pub fn commitment(&self, id: TensorId) -> &HyraxCommitment {
        &self.tensors[id].1
    }

    /// The tensor's table in the field (converted on the fly when small).
    pub fn table(&self, id: TensorId) -> Cow<'_, [Fr]> {
        self.tensors[id].0.field()
    }

    pub fn prove<R: RngCore + CryptoRng>(
        self,
        backend: &dyn Backend,
        pcs: &Hyrax,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<BatchOpeningProof, OpeningError> {
        let groups = group_claims(
            |id| self.tensors.get(id).map(|t| t.1.num_vars),
            &self.claims,
            self.max_group_entries,
        )?;
        let mut proof = BatchOpeningProof::default();
        for (num_vars, group) in &groups {
            let (sum, weights) = absorb_group(*num_vars, group, transcript);
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
            let (sumcheck, out) = sumcheck::prove(backend, tables, &sop, sum, transcript);
            let values: Vec<Fr> = out.final_values.iter().step_by(2).copied().collect();
            transcript.append_scalars(b"openings-values", &values);
            let ids: Vec<TensorId> = group.keys().copied().collect();
            // Lifted again rather than kept from before the sumcheck: holding
            // both the lifted tables and the sumcheck's copies would raise
            // the group's peak memory by half, for a conversion that is cheap.
            let lifted: Vec<Cow<'_, [Fr]>> = ids.iter().map(|id| self.table(*id)).collect();
            let tabs: Vec<&[Fr]> = lifted.iter().map(|t| t.as_ref()).collect();
            let hints: Vec<&HyraxHint> = ids.iter().map(|id| &self.tensors[*id].2).collect();
            let coms: Vec<&HyraxCommitment> = ids.iter().map(|id| &self.tensors[*id].1).collect();
            let opening = pcs
                .open_batch(
                    backend, &tabs, &hints, &coms, &out.point, &values, transcript, rng,
                )
                .map_err(|source| OpeningError::Opening {
                    num_vars: *num_vars,
                    source,
                })?;
            proof.groups.push(GroupOpening {
                sumcheck,
                values,
                opening,
            });
        }
        Ok(proof)
    }
}

/// The verifier's side: commitments and the claims gadgets left on them.
pub struct OpeningVerifier {
    commitments: Vec<HyraxCommitment>,
    claims: Vec<(TensorId, EvaluationClaim)>,
    max_group_entries: usize,
}

impl Default for OpeningVerifier {
    fn default() -> Self {
        Self {
            commitments: Vec::new(),
            claims: Vec::new(),
            max_group_entries: MAX_GROUP_ENTRIES,
        }
    }
}

impl OpeningVerifier {
    pub fn new() -> Self {
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

    pub fn claim(&mut self, id: TensorId, claim: EvaluationClaim) {
        self.claims.push((id, claim));
    }

    pub fn verify(
        self,
        backend: &dyn Backend,
        pcs: &Hyrax,
        proof: &BatchOpeningProof,
        transcript: &mut Transcript,
    ) -> Result<(), OpeningError> {
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
            if gp.values.len() != group.len() {
                return Err(OpeningError::ValueCount {
                    num_vars: n,
                    expected: group.len(),
                    found: gp.values.len(),
                });
            }
            let (sum, weights) = absorb_group(n, group, transcript);
            let sop = group_sop(group.len());
            let reduced =
                sumcheck::verify(n, &sop, sum, &gp.sumcheck, transcript).map_err(|e| {
                    OpeningError::Reduction {
                        num_vars: n,
                        source: ClaimError::Sumcheck(e),
                    }
                })?;
            transcript.append_scalars(b"openings-values", &gp.values);
            let mut expected = Fr::from(0u64);
            for ((claims, w), v) in group.values().zip(&weights).zip(&gp.values) {
                let g: Fr = claims
                    .iter()
                    .zip(w)
                    .map(|(c, wk)| *wk * eq_eval(&c.point, &reduced.point))
                    .sum();
                expected += *v * g;
            }
            if expected != reduced.value {
                return Err(OpeningError::Reduction {
                    num_vars: n,
                    source: ClaimError::FinalCheck,
                });
            }
            let coms: Vec<&HyraxCommitment> =
                group.keys().map(|id| &self.commitments[*id]).collect();
            pcs.verify_batch(
                backend,
                &coms,
                &reduced.point,
                &gp.values,
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
