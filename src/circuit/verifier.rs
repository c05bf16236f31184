//! The circuit verifier: the specification the prover mirrors. Every value
//! it reads from the proof is absorbed before the next challenge and ends in
//! a check, an opening, or a claim handed on. Written once over [`Mode`]: in
//! the clear a check is evaluated at once; in a zero-knowledge proof it is
//! recorded and settled at the end by one zero proof and one batched
//! multi-scalar multiplication ([`VerifierCtx::finish`]).

use ark_std::rand::{CryptoRng, RngCore};

use super::layout::{self, num_vars, padded_table};
use super::plan::{Plan, TensorRef};
use super::proof::{CircuitProof, Step};
use super::{absorb_statement, output_claim, CircuitError, Statement};
use crate::backend::Backend;
use crate::claims::{verify_multipoint_in, OpeningVerifier, Replay, TensorId};
use crate::commit::{Hyrax, HyraxCommitment, RowWidth};
use crate::field::Fr;
use crate::ir::check::{check_graph, WeightData};
use crate::ir::{Data, Graph, Op};
use crate::poly::{DenseMle, SumOfProducts};
use crate::protocols::hadamard;
use crate::protocols::lookup;
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::zk::{verify_instance, Clear, Mode, Pedersen, VerifierCtx};

pub(super) struct Walk<'a, M: Mode> {
    pub(super) graph: &'a Graph,
    pub(super) plan: &'a Plan,
    pub(super) stmt: &'a Statement,
    pub(super) ctx: VerifierCtx,
    pub(super) t: Transcript,
    pub(super) openings: OpeningVerifier<M>,
    pub(super) node_tensor: Vec<Option<TensorId>>,
    pub(super) aux_tensor: Vec<TensorId>,
    pub(super) steps: std::slice::Iter<'a, Step<M>>,
    pub(super) claims: super::ClaimStack<M::Value>,
    pub(super) clamp_counts: &'a [[u64; 2]],
    /// Saturating rescales met in the walk, checked after it, batched.
    pub(super) pending_clamps: Vec<super::ops::rescale::PendingClamp<M::Value>>,
}

/// Verifies a clear `proof` for the statement against the verifying key's
/// graph (weights' data may be absent), plan and weight commitments.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[HyraxCommitment],
    vk_digest: &[u8; 32],
    stmt: &Statement,
    proof: &CircuitProof,
) -> Result<(), CircuitError> {
    verify_in::<Clear, _>(
        be,
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
        stmt,
        proof,
        &mut rand_chacha::rand_core::OsRng,
    )
}

/// [`verify`] in mode `M`; `rng` draws the weights of the batched group
/// check (the verifier's own randomness, never the prover's).
#[allow(clippy::too_many_arguments)]
pub fn verify_in<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[HyraxCommitment],
    vk_digest: &[u8; 32],
    stmt: &Statement,
    proof: &CircuitProof<M>,
    rng: &mut R,
) -> Result<(), CircuitError> {
    verify_inner(
        be, pcs, graph, plan, weights, vk_digest, stmt, proof, rng, None,
    )
}

/// Every claim an observer of `proof` can compute on the committed tensors:
/// [`verify_in`]'s walk, returning the claims it checked against the
/// openings (in clear mode with their values, in hidden mode with the
/// commitments to them) after the proof verified. Tensor ids number the
/// weights in graph order, then [`Plan::committed_tensors`], then one
/// multiplicity tensor per lookup table. For tests and audits of what a
/// proof reveals.
#[allow(clippy::too_many_arguments)]
pub fn replay_in<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[HyraxCommitment],
    vk_digest: &[u8; 32],
    stmt: &Statement,
    proof: &CircuitProof<M>,
    rng: &mut R,
) -> Result<Replay<M::Value>, CircuitError> {
    let mut replay = Vec::new();
    verify_inner(
        be,
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
        stmt,
        proof,
        rng,
        Some(&mut replay),
    )?;
    Ok(replay)
}

/// [`verify_in`], listing the checked claims in `replay` when given.
#[allow(clippy::too_many_arguments)]
fn verify_inner<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[HyraxCommitment],
    vk_digest: &[u8; 32],
    stmt: &Statement,
    proof: &CircuitProof<M>,
    rng: &mut R,
    replay: Option<&mut Replay<M::Value>>,
) -> Result<(), CircuitError> {
    // The walk indexes nodes, inputs and shapes: only a checked graph.
    check_graph(graph, WeightData::Any).map_err(|e| CircuitError::Invalid(e.to_string()))?;
    let mut t = Transcript::new(b"zkllm-proof");
    absorb_statement(&mut t, vk_digest, graph, stmt);
    super::absorb_mode::<M>(&mut t);
    if stmt.ids.len() != graph.nodes[graph.input].shape.iter().product::<usize>() {
        return Err(CircuitError::Invalid(
            "token ids do not match the model's input length".into(),
        ));
    }
    let ped = Pedersen::new(pcs.generators());
    let mut openings = OpeningVerifier::<M>::in_mode();
    let mut node_tensor = vec![None; graph.nodes.len()];
    let weight_nodes: Vec<usize> = graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .map(|n| n.id)
        .collect();
    // The key's weight stacks, in the layout the graph gives.
    let weight_sizes = super::weight_vars(graph);
    let weight_runs = super::weight_stacks(graph);
    if weight_runs.len() != weights.len() {
        return Err(CircuitError::Invalid(format!(
            "verifying key has {} weight commitments, the circuit's layout has {} (one per weight stack)",
            weights.len(),
            weight_runs.len()
        )));
    }
    for (k, (run, c)) in weight_runs.iter().zip(weights).enumerate() {
        c.absorb(b"weight", &mut t);
        let ids = openings
            .add_key_stack(
                pcs,
                &weight_sizes[run.clone()],
                crate::claims::folds::key_row_width(&weight_sizes),
                c.clone(),
            )
            .map_err(|e| CircuitError::Invalid(format!("weight commitments: stack {k}: {e}")))?;
        for (node, id) in weight_nodes[run.clone()].iter().zip(ids) {
            node_tensor[*node] = Some(id);
        }
    }
    // The proof's stacks, in the layout the plan gives.
    let sizes = super::proof_tensor_vars(graph, plan);
    let runs = super::proof_stacks(graph, plan);
    if proof.commitments.len() != runs.len() {
        return Err(CircuitError::Invalid(format!(
            "proof has {} commitments, the circuit's layout has {} (one per stack)",
            proof.commitments.len(),
            runs.len()
        )));
    }
    let mut ids = Vec::with_capacity(sizes.len());
    for (k, (run, c)) in runs.iter().zip(&proof.commitments).enumerate() {
        c.absorb(b"stack", &mut t);
        let stack = openings
            .add_stack(pcs, &sizes[run.clone()], RowWidth::Widest, c.clone())
            .map_err(|e| CircuitError::Invalid(format!("commitments: stack {k}: {e}")))?;
        ids.extend(stack);
    }
    let (aux_tensor, mult_ids) = super::route_stacked_ids(plan, &ids, &mut node_tensor);
    if proof.clamp_counts.len() != plan.saturating.len() {
        return Err(CircuitError::Invalid(format!(
            "proof has {} clamp counts, the circuit has {} saturating rescales",
            proof.clamp_counts.len(),
            plan.saturating.len()
        )));
    }
    super::saturation::absorb_counts(&mut t, &proof.clamp_counts);
    for (k, c) in super::padding::weight_zero_claims(graph, &mut t) {
        let tid = node_tensor[weight_nodes[k]]
            .ok_or_else(|| CircuitError::Invalid("weight without a commitment".into()))?;
        openings.claim(tid, public_claim::<M>(&ped, c));
    }

    let mut w = Walk::<M> {
        graph,
        plan,
        stmt,
        ctx: VerifierCtx::new(ped),
        t,
        openings,
        node_tensor,
        aux_tensor,
        steps: proof.steps.iter(),
        claims: super::ClaimStack::new(graph.nodes.len()),
        clamp_counts: &proof.clamp_counts,
        pending_clamps: Vec::new(),
    };
    let start = match (plan.argmax, stmt.next_token) {
        (Some(ap), Some(token)) => w.argmax_output(ap, token)?,
        (None, None) => public_claim::<M>(&ped, output_claim(graph, stmt, &mut w.t)?),
        _ => {
            return Err(CircuitError::Invalid(
                "plan and statement disagree on the public output".into(),
            ))
        }
    };
    w.claims.push(graph.output, start);
    for id in (0..graph.nodes.len()).rev() {
        w.node(id)?;
    }
    w.claims.finish(graph)?;
    w.clamps()?;
    if w.steps.next().is_some() {
        return Err(CircuitError::Invalid(
            "proof has more steps than the circuit".into(),
        ));
    }

    let uses = plan.uses_by_table();
    let shapes = plan.lookup_shapes(graph);
    let batch: Vec<_> = (plan.tables.iter().zip(&shapes))
        .map(|(table, s)| (table, s.as_slice()))
        .collect();
    let claims = lookup::verify_in::<M>(&mut w.ctx, &batch, &proof.lookups, &mut w.t)
        .map_err(|e| CircuitError::Invalid(e.to_string()))?;
    for (ti, claims) in claims.into_iter().enumerate() {
        for (k, u) in uses[ti].iter().enumerate() {
            w.openings.claim(w.tensor_id(u.x)?, claims.x[k].clone());
            if let Some(y) = u.y {
                w.openings.claim(w.tensor_id(y)?, claims.y[k].clone());
            }
        }
        w.openings.claim(mult_ids[ti], claims.multiplicities);
    }
    let Walk {
        openings,
        mut t,
        mut ctx,
        ..
    } = w;
    openings
        .verify_replayed(&mut ctx, be, pcs, &proof.openings, &mut t, replay)
        .map_err(|e| CircuitError::Invalid(format!("openings: {e}")))?;
    ctx.finish(proof.zero.as_ref(), &mut t, rng).map_err(|e| {
        CircuitError::Invalid(format!(
            "hidden relations (zero proof and group check): {e}"
        ))
    })
}

/// A claim whose value is public (the output, zero padding, a clamp count).
pub(super) fn public_claim<M: Mode>(
    ped: &Pedersen,
    c: EvaluationClaim,
) -> EvaluationClaim<M::Value> {
    EvaluationClaim {
        point: c.point,
        value: M::public(ped, c.value),
    }
}

impl<'a, M: Mode> Walk<'a, M> {
    pub(super) fn tensor_id(&self, r: TensorRef) -> Result<TensorId, CircuitError> {
        let id = match r {
            TensorRef::Node(n) => self.node_tensor.get(n).copied().flatten(),
            TensorRef::Aux(a) => self.aux_tensor.get(a).copied(),
        };
        id.ok_or_else(|| CircuitError::Invalid(format!("{r:?} has no commitment")))
    }

    pub(super) fn next(&mut self, id: usize) -> Result<&'a Step<M>, CircuitError> {
        let node = &self.graph.nodes[id];
        self.steps
            .next()
            .ok_or_else(|| CircuitError::rejected(node, "proof ended early"))
    }

    pub(super) fn wrong(&self, id: usize, want: &str, got: &Step<M>) -> CircuitError {
        CircuitError::rejected(
            &self.graph.nodes[id],
            format!("expected a {want} message, found {}", got.kind()),
        )
    }

    pub(super) fn lin(&self, terms: &[(Fr, M::Value)]) -> M::Value {
        M::combine(terms)
    }

    pub(super) fn public(&self, v: Fr) -> M::Value {
        M::public(&self.ctx.ped, v)
    }

    /// Records (hidden) or checks (clear) `a = b`; `why` names the relation.
    pub(super) fn require(
        &mut self,
        id: usize,
        a: &M::Value,
        b: &M::Value,
        why: &str,
    ) -> Result<(), CircuitError> {
        if M::require_equal(&mut self.ctx, a, b) {
            Ok(())
        } else {
            Err(self.reject(id, why))
        }
    }

    pub(super) fn scaled(&self, point: Vec<Fr>, v: &M::Value, s: Fr) -> EvaluationClaim<M::Value> {
        EvaluationClaim {
            point,
            value: self.lin(&[(s, v.clone())]),
        }
    }

    /// A value the prover states (absorbed as it arrives).
    pub(super) fn value(
        &mut self,
        id: usize,
        label: &'static [u8],
    ) -> Result<M::Value, CircuitError> {
        match self.next(id)? {
            Step::Value(v) => {
                M::absorb_sent(&mut self.t, label, v);
                Ok(M::received(v))
            }
            s => Err(self.wrong(id, "value", s)),
        }
    }

    /// A committed tensor's value at `point`, stated; its opening claim is left.
    pub(super) fn value_at(
        &mut self,
        id: usize,
        tid: TensorId,
        point: &[Fr],
        label: &'static [u8],
    ) -> Result<M::Value, CircuitError> {
        let v = self.value(id, label)?;
        self.openings.claim(
            tid,
            EvaluationClaim {
                point: point.to_vec(),
                value: v.clone(),
            },
        );
        Ok(v)
    }

    pub(super) fn values(
        &mut self,
        id: usize,
        n: usize,
        label: &'static [u8],
    ) -> Result<Vec<M::Value>, CircuitError> {
        match self.next(id)? {
            Step::Values(v) if v.len() == n => Ok(v
                .iter()
                .map(|s| {
                    M::absorb_sent(&mut self.t, label, s);
                    M::received(s)
                })
                .collect()),
            s => Err(self.wrong(id, "values", s)),
        }
    }

    /// One of the circuit's own sumchecks over `num_vars` variables; returns
    /// its point and the claims on the tables `public` leaves to the prover.
    pub(super) fn instance(
        &mut self,
        id: usize,
        num_vars: usize,
        sop: &SumOfProducts,
        claim: M::Value,
        public: impl FnOnce(&[Fr]) -> Vec<Option<Fr>>,
        what: &str,
    ) -> Result<(Vec<Fr>, Vec<M::Value>), CircuitError> {
        let proof = match self.next(id)? {
            Step::Sumcheck(p) => p,
            s => return Err(self.wrong(id, "sumcheck", s)),
        };
        verify_instance::<M>(
            &mut self.ctx,
            num_vars,
            sop,
            claim,
            public,
            proof,
            &mut self.t,
        )
        .map_err(|e| self.reject(id, format!("{what}: {e}")))
    }

    pub(super) fn claim(&mut self, id: usize, c: EvaluationClaim<M::Value>) {
        self.claims.push(id, c);
    }

    pub(super) fn reject(&self, id: usize, why: impl ToString) -> CircuitError {
        CircuitError::rejected(&self.graph.nodes[id], why)
    }

    /// Public tensors the verifier evaluates itself.
    pub(super) fn public_table(&self, id: usize) -> Result<Vec<Fr>, CircuitError> {
        Ok(padded_table(
            &self.graph.nodes[id].shape,
            self.public_values(id)?,
        ))
    }

    pub(super) fn node(&mut self, id: usize) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let claims = self.claims.take(id);
        match node.op {
            Op::Input { .. } | Op::Constant => {
                if !claims.is_empty() {
                    let table = self.public_table(id)?;
                    for c in claims {
                        let v = self.public(DenseMle::new(table.clone()).evaluate(&c.point));
                        self.require(id, &c.value, &v, "claim on a public tensor is false")?;
                    }
                }
                return Ok(());
            }
            Op::Weight { .. } => {
                let tid = self.tensor_id(TensorRef::Node(id))?;
                for c in claims {
                    self.openings.claim(tid, c);
                }
                return Ok(());
            }
            _ => {}
        }
        if self.plan.committed[id] {
            let tid = self.tensor_id(TensorRef::Node(id))?;
            if self.plan.masked_output[id] {
                if let Some(c) = self.reduce(id, claims)? {
                    let proof = match self.next(id)? {
                        Step::Hadamard(p) => p,
                        s => return Err(self.wrong(id, "hadamard", s)),
                    };
                    let cl = hadamard::verify_in::<M>(&mut self.ctx, 2, &c, proof, &mut self.t)
                        .map_err(|e| self.reject(id, e))?;
                    let real = self.public(layout::real_indicator(&node.shape, &cl[1].point));
                    self.require(id, &cl[1].value, &real, "padding mask value is wrong")?;
                    self.openings.claim(tid, cl[0].clone());
                }
            } else {
                for c in claims {
                    self.openings.claim(tid, c);
                }
            }
            if matches!(node.op, Op::Lookup { .. }) {
                return Ok(());
            }
            let rho = self
                .t
                .challenge_scalars(b"fresh-point", num_vars(&node.shape));
            let v = self.value_at(id, tid, &rho, b"stated-value")?;
            return self.relation(
                id,
                EvaluationClaim {
                    point: rho,
                    value: v,
                },
            );
        }
        match self.reduce(id, claims)? {
            Some(c) => self.relation(id, c),
            None => Ok(()),
        }
    }

    pub(super) fn reduce(
        &mut self,
        id: usize,
        mut claims: Vec<EvaluationClaim<M::Value>>,
    ) -> Result<Option<EvaluationClaim<M::Value>>, CircuitError> {
        match claims.len() {
            0 => Ok(None),
            1 => Ok(claims.pop()),
            _ => {
                let proof = match self.next(id)? {
                    Step::MultiPoint(p) => p,
                    s => return Err(self.wrong(id, "multi-point", s)),
                };
                let points: Vec<Vec<Fr>> = claims.iter().map(|c| c.point.clone()).collect();
                let values: Vec<M::Value> = claims.into_iter().map(|c| c.value).collect();
                let nv = num_vars(&self.graph.nodes[id].shape);
                let c = verify_multipoint_in::<M>(
                    &mut self.ctx,
                    nv,
                    &points,
                    &values,
                    proof,
                    &mut self.t,
                )
                .map_err(|e| self.reject(id, e))?;
                Ok(Some(c))
            }
        }
    }

    pub(super) fn relation(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let g = self.graph;
        let node = &g.nodes[id];
        let ins = &node.inputs;
        let shape_of = |i: usize| g.nodes[i].shape.clone();
        let in_shapes: Vec<Vec<usize>> = ins.iter().map(|&i| shape_of(i)).collect();
        if let Some(step) =
            super::claim_maps::index_step(&node.op, &node.shape, &in_shapes, &c.point)
        {
            match step {
                super::claim_maps::IndexStep::Pass(claims) => {
                    for (&i, (point, s)) in ins.iter().zip(claims) {
                        let cl = self.scaled(point, &c.value, s);
                        self.claim(i, cl);
                    }
                }
                super::claim_maps::IndexStep::Select(sels) => self.select(id, sels, c)?,
            }
            return Ok(());
        }
        let _one = Fr::from(1u64);
        match &node.op {
            Op::EinSum { spec, .. } => self.einsum(id, spec, c)?,
            Op::Add | Op::Sub => self.add_sub(id, c)?,
            Op::Hadamard => self.hadamard(id, c)?,
            Op::MulConst { q, .. } => self.mul_const(id, *q, c)?,
            Op::Rescale { shift } => self.rescale(id, *shift, c)?,
            Op::Softmax { .. } => self.softmax(id, c)?,
            Op::Broadcast => self.unbroadcast(ins[0], id, &c)?,
            Op::Embedding => self.embedding(id, c)?,
            Op::Rotary { half, interleaved } => self.rotary(id, *half, *interleaved, c)?,
            Op::Lookup { .. }
            | Op::Input { .. }
            | Op::Constant
            | Op::Weight { .. }
            | Op::Sum { .. }
            | Op::Reshape
            | Op::Permute { .. }
            | Op::Slice { .. }
            | Op::Concat { .. } => {
                return Err(self.reject(id, "op has no relation of its own (handled before)"))
            }
            Op::Norm { .. } | Op::Mask(_) => {
                return Err(CircuitError::unsupported(node, "float-only op"))
            }
        }
        Ok(())
    }

    /// The values of a public node: the statement's token ids or a constant.
    pub(super) fn public_values(&self, id: usize) -> Result<&[i64], CircuitError> {
        let node = &self.graph.nodes[id];
        match (&node.op, &node.data) {
            (Op::Input { .. }, _) => Ok(&self.stmt.ids),
            (Op::Constant, Some(Data::I64(v))) => Ok(v),
            _ => Err(self.reject(id, "not a public tensor (token ids or a constant)")),
        }
    }
}

/// Verifies a proof of either kind ([`verify_in`] in its mode), with the
/// group check's weights from the operating system's generator.
#[allow(clippy::too_many_arguments)]
pub fn verify_any(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[HyraxCommitment],
    vk_digest: &[u8; 32],
    stmt: &Statement,
    proof: &super::AnyProof,
) -> Result<(), CircuitError> {
    let rng = &mut rand_chacha::rand_core::OsRng;
    match proof {
        super::AnyProof::Clear(p) => {
            verify_in::<Clear, _>(be, pcs, graph, plan, weights, vk_digest, stmt, p, rng)
        }
        super::AnyProof::Hidden(p) => verify_in::<crate::zk::Hidden, _>(
            be, pcs, graph, plan, weights, vk_digest, stmt, p, rng,
        ),
    }
}
