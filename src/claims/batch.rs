//! All claims on all committed tensors, settled by one opening per shape.
//!
//! A commitment is one Hyrax matrix: a single tensor or a stack of many
//! ([`super::stack`]: the key's weights, the tensors a proof commits), and a
//! claim `f_i(u_k) = y_k` on a tensor is a claim on its matrix's table `F`
//! at the stack point `p_k = (u_k, bits_i)`. For every group of same-sized
//! matrices, after the claims are absorbed and `γ` drawn,
//! `Σ_k γ^k·y_k = Σ_x Σ_j F_j(x)·G_j(x)` with `G_j = Σ_{k on j} γ^k·eq(p_k, ·)`;
//! one degree-2 sumcheck reduces every claim of the group to the values
//! `F_j(r)` at one point `r`, and one batched Hyrax opening proves them.
//! The verifier evaluates `G_j(r)` itself: a claim's `eq` factors into its
//! tensor's part and its position's, `eq(u_k, r_low)·eq(bits_i, r_high)`.
//!
//! A group holds at most [`MAX_GROUP_ENTRIES`] table entries (more same-sized
//! matrices make more groups): the sumcheck folds a copy of every table and
//! its `G`, and for a 135M-parameter model one group per size would need
//! more memory than the rest of the prover. The prover keeps small-integer
//! tensors as `i64` and lifts one group at a time into the field.
//!
//! The key's weight stacks ([`OpeningProver::add_key_stack`]) are never
//! lifted: their claims are settled per row width by a sumcheck over the
//! column variables and one row-fold opening ([`super::folds`]), from the
//! weights' integers where the key keeps them. A proof carries those as its
//! fold groups (`BatchOpeningProof::folds`), after the stack groups.

use std::borrow::Cow;
use std::collections::BTreeMap;

use ark_std::rand::{CryptoRng, RngCore};

use super::folds::SmallTensors;
use super::stack::StackLayout;
use super::ClaimError;
use crate::backend::Backend;
use crate::commit::hyrax::RowWidth;
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
    /// The key stacks' claims, per row width ([`super::folds`]).
    pub folds: Vec<GroupOpening<M>>,
}

impl<M: Mode> Default for BatchOpeningProof<M> {
    fn default() -> Self {
        Self {
            groups: Vec::new(),
            folds: Vec::new(),
        }
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
    const MIN_BYTES: usize = 8;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.groups);
        w.put_seq(&self.folds);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            groups: r.get_seq("opening groups")?,
            folds: r.get_seq("key opening groups")?,
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
    #[error("the commitment is of 2^{found} entries, the stack's layout needs 2^{expected}")]
    StackSize {
        matrix: usize,
        expected: usize,
        found: usize,
    },
    #[error(
        "the commitment has rows of 2^{found} entries, the stack's layout has rows of 2^{expected}"
    )]
    StackWidth {
        matrix: usize,
        expected: usize,
        found: usize,
    },
    #[error("the commitment has {found} rows, the stack's layout fills {expected}")]
    StackRows {
        matrix: usize,
        expected: usize,
        found: usize,
    },
    #[error("proof has {found} opening groups, expected {expected}")]
    GroupCount { expected: usize, found: usize },
    #[error("proof has {found} key opening groups, expected {expected}")]
    FoldGroupCount { expected: usize, found: usize },
    #[error("key stacks in rows of 2^{col_vars}: {why}")]
    FoldFinal { col_vars: usize, why: String },
    #[error("key stacks in rows of 2^{col_vars}: {source}")]
    FoldReduction { col_vars: usize, source: ClaimError },
    #[error("key stacks in rows of 2^{col_vars}: {source}")]
    FoldOpening { col_vars: usize, source: PcsError },
    #[error("group of {num_vars}-variable commitments: {why}")]
    Final { num_vars: usize, why: String },
    #[error("group of {num_vars}-variable commitments: {source}")]
    Reduction { num_vars: usize, source: ClaimError },
    #[error("group of {num_vars}-variable commitments: {source}")]
    Opening { num_vars: usize, source: PcsError },
}

/// The most table entries (tensors × `2^num_vars`) one group opens at once,
/// and the largest stack a proof commits.
pub const MAX_GROUP_ENTRIES: usize = 1 << 24;

/// A commitment (one Hyrax matrix): the tensors in it, stacked.
type MatrixId = usize;

/// Claims on one matrix: per slot (tensor in it), the claims on its tensor.
type MatrixClaims<V> = BTreeMap<usize, Vec<EvaluationClaim<V>>>;

/// One group: its matrices' `num_vars` and, per matrix, the claims on it.
type Group<V> = (usize, BTreeMap<MatrixId, MatrixClaims<V>>);

/// Where a tensor lives: its matrix, its slot there, its own variables.
#[derive(Clone, Copy, Debug)]
struct Place {
    matrix: MatrixId,
    slot: usize,
    num_vars: usize,
}

/// Claims grouped by matrix size, each size split into groups of at most
/// `max_entries` entries, in a deterministic order both sides derive from
/// the same claim list and layouts.
fn group_claims<V: Clone>(
    place: impl Fn(TensorId) -> Option<Place>,
    matrix_vars: impl Fn(MatrixId) -> usize,
    claims: &[(TensorId, EvaluationClaim<V>)],
    max_entries: usize,
) -> Result<Vec<Group<V>>, OpeningError> {
    let mut by_size: BTreeMap<usize, BTreeMap<MatrixId, MatrixClaims<V>>> = BTreeMap::new();
    for (id, claim) in claims {
        let p = place(*id).ok_or(OpeningError::UnknownTensor(*id))?;
        if claim.point.len() != p.num_vars {
            return Err(OpeningError::WrongDimension {
                tensor: *id,
                expected: p.num_vars,
                found: claim.point.len(),
            });
        }
        by_size
            .entry(matrix_vars(p.matrix))
            .or_default()
            .entry(p.matrix)
            .or_default()
            .entry(p.slot)
            .or_default()
            .push(claim.clone());
    }
    let mut groups = Vec::new();
    for (n, matrices) in by_size {
        let per_group = (max_entries >> n.min(63)).max(1);
        let mut current = BTreeMap::new();
        for (id, cs) in matrices {
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

/// Absorbs a group's claims (values through the mode); returns per matrix
/// the weights `γ^k` of its claims, slot by slot.
fn absorb_group<V>(
    num_vars: usize,
    group: &BTreeMap<MatrixId, MatrixClaims<V>>,
    absorb_value: impl Fn(&mut Transcript, &V),
    t: &mut Transcript,
) -> Vec<Vec<Fr>> {
    t.append_bytes(b"openings", b"group");
    t.append_u64(b"openings-vars", num_vars as u64);
    for (id, slots) in group {
        t.append_u64(b"openings-matrix", *id as u64);
        for (slot, claims) in slots {
            t.append_u64(b"openings-slot", *slot as u64);
            for c in claims {
                t.append_scalars(b"openings-point", &c.point);
                absorb_value(t, &c.value);
            }
        }
    }
    let gamma = t.challenge_scalar(b"openings-gamma");
    let mut power = Fr::from(1u64);
    group
        .values()
        .map(|slots| {
            slots
                .values()
                .flatten()
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
    group: &BTreeMap<MatrixId, MatrixClaims<V>>,
    weights: &[Vec<Fr>],
) -> Vec<(Fr, V)> {
    group
        .values()
        .zip(weights)
        .flat_map(|(slots, w)| {
            slots
                .values()
                .flatten()
                .zip(w)
                .map(|(c, wk)| (*wk, c.value.clone()))
        })
        .collect()
}

/// `G(r) = Σ_k γ^k·eq(p_k, r)` for one matrix, `p_k` each claim's point on
/// the stack (its tensor's point, then its position's bits).
fn claims_weight<V>(layout: &StackLayout, slots: &MatrixClaims<V>, w: &[Fr], r: &[Fr]) -> Fr {
    let mut weights = w.iter();
    let mut g = Fr::from(0u64);
    for (slot, claims) in slots {
        let n = layout.size(*slot);
        let inner: Fr = claims
            .iter()
            .zip(weights.by_ref())
            .map(|(c, wk)| *wk * eq_eval(&c.point, &r[..n]))
            .sum();
        g += inner * layout.position_weight(*slot, r);
    }
    g
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
    /// In a key stack's [`SmallTensors`], read where they are kept.
    Key,
}

impl Table {
    fn len(&self) -> usize {
        match self {
            Table::Small(v) => v.len(),
            Table::Field(v) => v.len(),
            Table::Key => unreachable!("a key stack's tensor has no table of its own"),
        }
    }
}

/// A commitment on the prover's side: its tensors and its opening hint;
/// a key stack's tensors where they are kept.
struct ProverMatrix {
    tensors: Vec<TensorId>,
    layout: StackLayout,
    commitment: HyraxCommitment,
    hint: HyraxHint,
    key: Option<Box<dyn SmallTensors>>,
}

/// The prover's side: committed tensors (tables, in their matrices) and
/// claims on them.
pub struct OpeningProver<M: Mode = Clear> {
    tables: Vec<Table>,
    places: Vec<Place>,
    matrices: Vec<ProverMatrix>,
    claims: Vec<(TensorId, EvaluationClaim<M::Known>)>,
    max_group_entries: usize,
}

impl<M: Mode> Default for OpeningProver<M> {
    fn default() -> Self {
        Self {
            tables: Vec::new(),
            places: Vec::new(),
            matrices: Vec::new(),
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

/// Commits small-integer tensors (padded tables) as one stack: the
/// commitment and hint for [`OpeningProver::add_stack`].
pub fn commit_stack<R: RngCore + CryptoRng>(
    backend: &dyn Backend,
    pcs: &Hyrax,
    tables: &[&[i64]],
    width: RowWidth,
    rng: &mut R,
) -> Result<(HyraxCommitment, HyraxHint), PcsError> {
    let sizes: Vec<usize> = tables.iter().map(|t| padded_vars(t.len())).collect();
    let layout = StackLayout::new(&sizes);
    let stacked = layout.stack(tables);
    pcs.commit_small_in(
        backend,
        &stacked[..layout.used()],
        layout.num_vars(),
        width,
        rng,
    )
}

/// Variables of a padded table of `len` entries.
fn padded_vars(len: usize) -> usize {
    assert!(len.is_power_of_two(), "table must be padded");
    len.trailing_zeros() as usize
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
        self.push(vec![Table::Field(table)], commitment, hint)[0]
    }

    /// Registers a committed small-integer tensor (padded, `2^num_vars` entries).
    pub fn add_small(
        &mut self,
        table: Vec<i64>,
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> TensorId {
        self.push(vec![Table::Small(table)], commitment, hint)[0]
    }

    /// Registers small-integer tensors committed as one stack
    /// ([`commit_stack`]); their ids in order.
    pub fn add_stack(
        &mut self,
        tables: Vec<Vec<i64>>,
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> Vec<TensorId> {
        self.push(
            tables.into_iter().map(Table::Small).collect(),
            commitment,
            hint,
        )
    }

    /// Registers a key stack: tensors of `sizes` variables, committed in
    /// rows of any width (the commitment says which), whose claims are settled by row
    /// folds of `tables` ([`super::folds`]) instead of a field copy.
    pub fn add_key_stack(
        &mut self,
        tables: Box<dyn SmallTensors>,
        sizes: &[usize],
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> Vec<TensorId> {
        let ids = self.push_sized(
            sizes,
            sizes.iter().map(|_| Table::Key).collect(),
            commitment,
            hint,
        );
        self.matrices.last_mut().expect("pushed").key = Some(tables);
        ids
    }

    fn push(
        &mut self,
        tables: Vec<Table>,
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> Vec<TensorId> {
        let sizes: Vec<usize> = tables.iter().map(|t| padded_vars(t.len())).collect();
        self.push_sized(&sizes, tables, commitment, hint)
    }

    fn push_sized(
        &mut self,
        sizes: &[usize],
        tables: Vec<Table>,
        commitment: HyraxCommitment,
        hint: HyraxHint,
    ) -> Vec<TensorId> {
        let layout = StackLayout::new(sizes);
        assert_eq!(
            layout.num_vars(),
            commitment.num_vars,
            "commitment must be of the stacked tables"
        );
        let matrix = self.matrices.len();
        let mut ids = Vec::with_capacity(tables.len());
        for (slot, table) in tables.into_iter().enumerate() {
            ids.push(self.tables.len());
            self.places.push(Place {
                matrix,
                slot,
                num_vars: sizes[slot],
            });
            self.tables.push(table);
        }
        self.matrices.push(ProverMatrix {
            tensors: ids.clone(),
            layout,
            commitment,
            hint,
            key: None,
        });
        ids
    }

    pub fn claim(&mut self, id: TensorId, claim: EvaluationClaim<M::Known>) {
        self.claims.push((id, claim));
    }

    /// The commitment the tensor is in (its stack's).
    pub fn commitment(&self, id: TensorId) -> &HyraxCommitment {
        &self.matrices[self.places[id].matrix].commitment
    }

    /// The tensor's table in the field (converted on the fly when small).
    /// A key-stack tensor's small integers and its slot: what its
    /// commitment was made of, for gadgets that fold it without a field
    /// table. `None` for any other tensor.
    pub fn key_tensors(&self, id: TensorId) -> Option<(&dyn SmallTensors, usize)> {
        let p = self.places.get(id)?;
        match self.tables[id] {
            Table::Key => Some((self.matrices[p.matrix].key.as_deref()?, p.slot)),
            _ => None,
        }
    }

    pub fn table(&self, id: TensorId) -> Cow<'_, [Fr]> {
        match &self.tables[id] {
            Table::Small(v) => Cow::Owned(crate::field::from_i64_slice(v)),
            Table::Field(v) => Cow::Borrowed(v),
            Table::Key => {
                let p = self.places[id];
                let key = self.matrices[p.matrix].key.as_deref().expect("a key stack");
                Cow::Owned(super::folds::slot_table(key, p.slot, p.num_vars))
            }
        }
    }

    /// A matrix's stacked table in the field.
    fn matrix_table(&self, m: MatrixId) -> Cow<'_, [Fr]> {
        let matrix = &self.matrices[m];
        if matrix.tensors.len() == 1 {
            return self.table(matrix.tensors[0]);
        }
        let mut out = vec![Fr::from(0u64); 1 << matrix.layout.num_vars()];
        for (slot, id) in matrix.tensors.iter().enumerate() {
            let dst = &mut out[matrix.layout.offset(slot)..][..1 << matrix.layout.size(slot)];
            match &self.tables[*id] {
                Table::Small(v) => crate::field::from_i64_into(v, dst),
                Table::Field(v) => dst.copy_from_slice(v),
                Table::Key => unreachable!("key stacks are opened by row folds"),
            }
        }
        Cow::Owned(out)
    }

    /// Per group: the claims' combination `Σ_k γ^k·y_k = Σ_x Σ_j F_j(x)·G_j(x)`
    /// over the group's matrices (`G_j` the claims' `eq` on the stack, the
    /// verifier's to evaluate) reduced by one sumcheck to the matrices'
    /// values at one point, and one Hyrax opening of them.
    pub fn prove_in(
        self,
        ctx: &mut ProverCtx,
        backend: &dyn Backend,
        pcs: &Hyrax,
        transcript: &mut Transcript,
    ) -> Result<BatchOpeningProof<M>, OpeningError> {
        let (key_claims, claims) = split_key_claims(&self.claims, &self.places, |m| {
            self.matrices[m].key.is_some()
        })?;
        let groups = group_claims(
            |id| self.places.get(id).copied(),
            |m| self.matrices[m].layout.num_vars(),
            &claims,
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
            for ((m, slots), w) in group.iter().zip(&weights) {
                let layout = &self.matrices[*m].layout;
                let mut g = vec![Fr::from(0u64); 1 << num_vars];
                let mut w = w.iter();
                for (slot, claims) in slots {
                    let part = &mut g[layout.offset(*slot)..][..1 << layout.size(*slot)];
                    for (c, wk) in claims.iter().zip(w.by_ref()) {
                        backend.axpy(part, *wk, &backend.eq_table(&c.point));
                    }
                }
                tables.push(self.matrix_table(*m).into_owned());
                tables.push(g);
            }
            let sop = group_sop(group.len());
            let public: Vec<bool> = (0..2 * group.len()).map(|k| k % 2 == 1).collect();
            let (reduction, point, values) =
                prove_instance::<M>(ctx, backend, tables, &sop, sum, &public, transcript);
            let ids: Vec<MatrixId> = group.keys().copied().collect();
            // Lifted again rather than kept from before the sumcheck: holding
            // both the lifted tables and the sumcheck's copies would raise
            // the group's peak memory by half, for a conversion that is cheap.
            let lifted: Vec<Cow<'_, [Fr]>> = ids.iter().map(|m| self.matrix_table(*m)).collect();
            let tabs: Vec<&[Fr]> = lifted.iter().map(|t| t.as_ref()).collect();
            let hints: Vec<&HyraxHint> = ids.iter().map(|m| &self.matrices[*m].hint).collect();
            let coms: Vec<&HyraxCommitment> =
                ids.iter().map(|m| &self.matrices[*m].commitment).collect();
            let opening = M::open(
                ctx, pcs, backend, &tabs, &hints, &coms, &point, &values, transcript,
            )
            .map_err(|source| OpeningError::Opening {
                num_vars: *num_vars,
                source,
            })?;
            proof.groups.push(GroupOpening { reduction, opening });
        }
        for (col_vars, (matrices, fclaims)) in fold_groups(&key_claims, &self.places, |m| {
            self.matrices[m].commitment.col_vars
        }) {
            let layouts: Vec<&StackLayout> =
                matrices.iter().map(|m| &self.matrices[*m].layout).collect();
            let plan = super::folds::plan_group(
                col_vars,
                &layouts,
                &fclaims,
                |t, v| M::absorb_known(ctx, t, b"openings-value", v),
                transcript,
            );
            let values: Vec<(Fr, M::Known)> = plan
                .weights
                .iter()
                .zip(&fclaims)
                .map(|(w, c)| (*w, c.claim.value))
                .collect();
            let sum = M::combine_known(&values);
            let folded: Vec<Vec<Fr>> = plan
                .folds
                .iter()
                .map(|f| {
                    let m = &self.matrices[matrices[f.matrix]];
                    let key = m.key.as_deref().expect("a key stack");
                    super::folds::fold_rows(key, &m.layout, f.first_row, &f.row_eq, col_vars)
                })
                .collect();
            let columns = plan.column_tables(backend, col_vars);
            let mut tables = Vec::with_capacity(2 * folded.len());
            for (f, e) in folded.iter().zip(columns) {
                tables.push(f.clone());
                tables.push(e);
            }
            let sop = group_sop(folded.len());
            let public: Vec<bool> = (0..2 * folded.len()).map(|k| k % 2 == 1).collect();
            let (reduction, point, fold_values) =
                prove_instance::<M>(ctx, backend, tables, &sop, sum, &public, transcript);
            let coms: Vec<&HyraxCommitment> = matrices
                .iter()
                .map(|m| &self.matrices[*m].commitment)
                .collect();
            let hints: Vec<&HyraxHint> = matrices.iter().map(|m| &self.matrices[*m].hint).collect();
            let opening = M::open_folds(
                ctx,
                pcs,
                backend,
                &coms,
                &hints,
                &plan.folds,
                &folded,
                &point,
                &fold_values,
                transcript,
            )
            .map_err(|source| OpeningError::FoldOpening { col_vars, source })?;
            proof.folds.push(GroupOpening { reduction, opening });
        }
        Ok(proof)
    }
}

/// The claims on key stacks (settled by row folds), and the others.
#[allow(clippy::type_complexity)]
fn split_key_claims<V: Clone>(
    claims: &[(TensorId, EvaluationClaim<V>)],
    places: &[Place],
    is_key: impl Fn(MatrixId) -> bool,
) -> Result<
    (
        Vec<(TensorId, EvaluationClaim<V>)>,
        Vec<(TensorId, EvaluationClaim<V>)>,
    ),
    OpeningError,
> {
    let mut key = Vec::new();
    let mut other = Vec::new();
    for (id, c) in claims {
        let p = places.get(*id).ok_or(OpeningError::UnknownTensor(*id))?;
        if c.point.len() != p.num_vars {
            return Err(OpeningError::WrongDimension {
                tensor: *id,
                expected: p.num_vars,
                found: c.point.len(),
            });
        }
        if is_key(p.matrix) {
            key.push((*id, c.clone()));
        } else {
            other.push((*id, c.clone()));
        }
    }
    Ok((key, other))
}

/// Key-stack claims grouped by their stacks' row width (ascending): per
/// group, its matrices (in order of first claim) and its claims in order.
#[allow(clippy::type_complexity)]
fn fold_groups<'a, V>(
    claims: &'a [(TensorId, EvaluationClaim<V>)],
    places: &[Place],
    col_vars: impl Fn(MatrixId) -> usize,
) -> BTreeMap<usize, (Vec<MatrixId>, Vec<super::folds::FoldClaim<'a, V>>)> {
    let mut groups: BTreeMap<usize, (Vec<MatrixId>, Vec<super::folds::FoldClaim<'a, V>>)> =
        BTreeMap::new();
    for (id, claim) in claims {
        let p = places[*id];
        let (matrices, cs) = groups.entry(col_vars(p.matrix)).or_default();
        let local = match matrices.iter().position(|m| *m == p.matrix) {
            Some(i) => i,
            None => {
                matrices.push(p.matrix);
                matrices.len() - 1
            }
        };
        cs.push(super::folds::FoldClaim {
            matrix: local,
            slot: p.slot,
            claim,
        });
    }
    groups
}

/// Claims on committed tensors as a verifier replay lists them
/// ([`OpeningVerifier::verify_replayed`]).
pub type Replay<V> = Vec<(TensorId, EvaluationClaim<V>)>;

/// A commitment on the verifier's side and the layout it must have.
struct VerifierMatrix {
    tensors: Vec<TensorId>,
    layout: StackLayout,
    commitment: HyraxCommitment,
    /// A key stack: its claims are settled by row folds.
    key: bool,
}

/// The verifier's side: commitments and the claims gadgets left on them.
pub struct OpeningVerifier<M: Mode = Clear> {
    places: Vec<Place>,
    matrices: Vec<VerifierMatrix>,
    claims: Vec<(TensorId, EvaluationClaim<M::Value>)>,
    max_group_entries: usize,
}

impl<M: Mode> Default for OpeningVerifier<M> {
    fn default() -> Self {
        Self {
            places: Vec::new(),
            matrices: Vec::new(),
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

    /// A commitment to one tensor of `commitment.num_vars` variables.
    pub fn add(&mut self, commitment: HyraxCommitment) -> TensorId {
        let n = commitment.num_vars;
        self.push(&[n], commitment)[0]
    }

    /// A commitment to a stack of tensors of `sizes` variables in rows of
    /// `width` under `pcs` (the layout is the verifier's, from the sizes);
    /// their ids in order. Refused unless the commitment is of the stack's
    /// size, row width and rows.
    pub fn add_stack(
        &mut self,
        pcs: &Hyrax,
        sizes: &[usize],
        width: RowWidth,
        commitment: HyraxCommitment,
    ) -> Result<Vec<TensorId>, OpeningError> {
        let layout = StackLayout::new(sizes);
        let matrix = self.matrices.len();
        if commitment.num_vars != layout.num_vars() {
            return Err(OpeningError::StackSize {
                matrix,
                expected: layout.num_vars(),
                found: commitment.num_vars,
            });
        }
        let col_vars = pcs.row_vars(layout.num_vars(), width);
        if commitment.col_vars != col_vars {
            return Err(OpeningError::StackWidth {
                matrix,
                expected: col_vars,
                found: commitment.col_vars,
            });
        }
        let rows = layout.used_rows(col_vars);
        if commitment.rows.len() != rows {
            return Err(OpeningError::StackRows {
                matrix,
                expected: rows,
                found: commitment.rows.len(),
            });
        }
        Ok(self.push(sizes, commitment))
    }

    /// A key stack ([`OpeningProver::add_key_stack`]): tensors of `sizes`
    /// variables in rows of `width` (the circuit's is
    /// [`super::folds::key_row_width`]), checked as [`Self::add_stack`]
    /// checks a stack.
    pub fn add_key_stack(
        &mut self,
        pcs: &Hyrax,
        sizes: &[usize],
        width: RowWidth,
        commitment: HyraxCommitment,
    ) -> Result<Vec<TensorId>, OpeningError> {
        let ids = self.add_stack(pcs, sizes, width, commitment)?;
        self.matrices.last_mut().expect("pushed").key = true;
        Ok(ids)
    }

    fn push(&mut self, sizes: &[usize], commitment: HyraxCommitment) -> Vec<TensorId> {
        let matrix = self.matrices.len();
        let ids: Vec<TensorId> = (0..sizes.len()).map(|k| self.places.len() + k).collect();
        self.places
            .extend(sizes.iter().enumerate().map(|(slot, &n)| Place {
                matrix,
                slot,
                num_vars: n,
            }));
        self.matrices.push(VerifierMatrix {
            tensors: ids.clone(),
            layout: StackLayout::new(sizes),
            commitment,
            key: false,
        });
        ids
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
    /// and the reduced claim of each single-tensor commitment: what an
    /// observer of the proof can compute about each committed tensor (tests
    /// of what proofs reveal). A stack's reduced claim is on a combination
    /// of its tensors and is not listed.
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
        let (key_claims, claims) =
            split_key_claims(&self.claims, &self.places, |m| self.matrices[m].key)?;
        let groups = group_claims(
            |id| self.places.get(id).copied(),
            |m| self.matrices[m].layout.num_vars(),
            &claims,
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
            // G_j(r), the verifier's own.
            let public = |r: &[Fr]| -> Vec<Option<Fr>> {
                group
                    .iter()
                    .zip(&weights)
                    .flat_map(|((m, slots), w)| {
                        let layout = &self.matrices[*m].layout;
                        [None, Some(claims_weight(layout, slots, w, r))]
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
                r.extend(
                    group
                        .keys()
                        .zip(&values)
                        .filter(|(m, _)| self.matrices[**m].tensors.len() == 1)
                        .map(|(m, v)| {
                            let claim = EvaluationClaim {
                                point: point.clone(),
                                value: v.clone(),
                            };
                            (self.matrices[*m].tensors[0], claim)
                        }),
                );
            }
            let coms: Vec<&HyraxCommitment> = group
                .keys()
                .map(|m| &self.matrices[*m].commitment)
                .collect();
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
        let fold_groups = fold_groups(&key_claims, &self.places, |m| {
            self.matrices[m].commitment.col_vars
        });
        if proof.folds.len() != fold_groups.len() {
            return Err(OpeningError::FoldGroupCount {
                expected: fold_groups.len(),
                found: proof.folds.len(),
            });
        }
        for ((col_vars, (matrices, fclaims)), gp) in fold_groups.into_iter().zip(&proof.folds) {
            let layouts: Vec<&StackLayout> =
                matrices.iter().map(|m| &self.matrices[*m].layout).collect();
            let plan = super::folds::plan_group(
                col_vars,
                &layouts,
                &fclaims,
                |t, v| M::absorb(t, b"openings-value", v),
                transcript,
            );
            let values: Vec<(Fr, M::Value)> = plan
                .weights
                .iter()
                .zip(&fclaims)
                .map(|(w, c)| (*w, c.claim.value.clone()))
                .collect();
            let sum = M::combine(&values);
            let sop = group_sop(plan.folds.len());
            // E_d(r), the verifier's own.
            let public = |r: &[Fr]| -> Vec<Option<Fr>> {
                (0..plan.folds.len())
                    .flat_map(|d| [None, Some(plan.column_weight(d, r))])
                    .collect()
            };
            let (point, fold_values) =
                verify_instance::<M>(ctx, col_vars, &sop, sum, public, &gp.reduction, transcript)
                    .map_err(|e| match e {
                    InstanceError::Sumcheck(e) => OpeningError::FoldReduction {
                        col_vars,
                        source: ClaimError::Sumcheck(e),
                    },
                    InstanceError::Final(why) => OpeningError::FoldFinal { col_vars, why },
                })?;
            let coms: Vec<&HyraxCommitment> = matrices
                .iter()
                .map(|m| &self.matrices[*m].commitment)
                .collect();
            M::verify_open_folds(
                pcs,
                backend,
                &coms,
                &plan.folds,
                &point,
                &fold_values,
                &gp.opening,
                transcript,
            )
            .map_err(|source| OpeningError::FoldOpening { col_vars, source })?;
        }
        Ok(())
    }
}
