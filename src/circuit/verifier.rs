//! The circuit verifier: the specification the prover mirrors. Every value
//! it reads from the proof is absorbed before the next challenge and ends in
//! a check, an opening, or a claim handed on. Written once over [`Mode`]: in
//! the clear a check is evaluated at once; in a zero-knowledge proof it is
//! recorded and settled at the end by one zero proof and one batched
//! multi-scalar multiplication ([`VerifierCtx::finish`]).

use ark_std::rand::{CryptoRng, RngCore};

use super::layout::{self, num_vars, padded_table};
use super::plan::{ArgmaxPlan, Plan, TensorRef, LIMB_BITS};
use super::proof::{CircuitProof, Step};
use super::{
    absorb_statement, argmax_gap_coeffs, argmax_points, einsum_canon, output_claim, pow2,
    row_valid, softmax_mask, CircuitError, Statement,
};
use crate::backend::Backend;
use crate::claims::{verify_multipoint_in, OpeningVerifier, TensorId};
use crate::commit::{Hyrax, HyraxCommitment};
use crate::field::{from_i64, Fr};
use crate::ir::check::{check_graph, WeightData};
use crate::ir::{Data, Graph, Op};
use crate::poly::{eq_eval, DenseMle, SumOfProducts};
use crate::protocols::index_map::{self, SplitEq};
use crate::protocols::lookup::{self, LookupShape};
use crate::protocols::{hadamard, linear, matmul};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::zk::{verify_instance, Clear, Mode, Pedersen, VerifierCtx};

struct Walk<'a, M: Mode> {
    graph: &'a Graph,
    plan: &'a Plan,
    stmt: &'a Statement,
    ctx: VerifierCtx,
    t: Transcript,
    openings: OpeningVerifier<M>,
    node_tensor: Vec<Option<TensorId>>,
    aux_tensor: Vec<TensorId>,
    steps: std::slice::Iter<'a, Step<M>>,
    claims: super::ClaimStack<M::Value>,
    clamp_counts: &'a [[u64; 2]],
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
    let key = Key {
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
    };
    verify_inner(be, &key, stmt, proof, rng, None)
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
) -> Result<Vec<(TensorId, EvaluationClaim<M::Value>)>, CircuitError> {
    let key = Key {
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
    };
    let mut replay = Vec::new();
    verify_inner(be, &key, stmt, proof, rng, Some(&mut replay))?;
    Ok(replay)
}

/// What [`verify_in`] reads from the verifying key.
struct Key<'a> {
    pcs: &'a Hyrax,
    graph: &'a Graph,
    plan: &'a Plan,
    weights: &'a [HyraxCommitment],
    vk_digest: &'a [u8; 32],
}

fn verify_inner<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    key: &Key<'_>,
    stmt: &Statement,
    proof: &CircuitProof<M>,
    rng: &mut R,
    replay: Option<&mut Vec<(TensorId, EvaluationClaim<M::Value>)>>,
) -> Result<(), CircuitError> {
    let Key {
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
    } = *key;
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
    if weight_nodes.len() != weights.len() {
        return Err(CircuitError::Invalid(
            "verifying key has the wrong number of weight commitments".into(),
        ));
    }
    for (id, c) in weight_nodes.iter().zip(weights) {
        check_shape(c, num_vars(&graph.nodes[*id].shape), "weight")?;
        c.absorb(b"weight", &mut t);
        node_tensor[*id] = Some(openings.add(c.clone()));
    }
    let tensors = plan.committed_tensors();
    if proof.commitments.len() != tensors.len() + plan.tables.len() {
        return Err(CircuitError::Invalid(format!(
            "proof has {} commitments, the circuit needs {}",
            proof.commitments.len(),
            tensors.len() + plan.tables.len()
        )));
    }
    let mut aux_tensor = vec![0; plan.aux.len()];
    for (tref, c) in tensors.iter().zip(&proof.commitments) {
        check_shape(c, num_vars(plan.shape(graph, *tref)), "tensor")?;
        c.absorb(b"tensor", &mut t);
        let id = openings.add(c.clone());
        match tref {
            TensorRef::Node(n) => node_tensor[*n] = Some(id),
            TensorRef::Aux(a) => aux_tensor[*a] = id,
        }
    }
    let mut mult_ids = Vec::new();
    for (table, c) in plan.tables.iter().zip(&proof.commitments[tensors.len()..]) {
        check_shape(c, table.log_size as usize, "multiplicities")?;
        c.absorb(b"multiplicities", &mut t);
        mult_ids.push(openings.add(c.clone()));
    }
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
    if w.steps.next().is_some() {
        return Err(CircuitError::Invalid(
            "proof has more steps than the circuit".into(),
        ));
    }

    if proof.lookups.len() != plan.tables.len() {
        return Err(CircuitError::Invalid(
            "wrong number of lookup arguments".into(),
        ));
    }
    for (ti, table) in plan.tables.iter().enumerate() {
        let uses: Vec<_> = plan.lookups.iter().filter(|u| u.table == ti).collect();
        let shapes: Vec<LookupShape> = uses
            .iter()
            .map(|u| {
                let nv = num_vars(plan.shape(graph, u.x));
                LookupShape {
                    num_vars: nv,
                    len: 1 << nv,
                }
            })
            .collect();
        let claims =
            lookup::verify_in::<M>(&mut w.ctx, table, &shapes, &proof.lookups[ti], &mut w.t)
                .map_err(|e| CircuitError::Invalid(format!("lookup table {ti}: {e}")))?;
        for (k, u) in uses.iter().enumerate() {
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
fn public_claim<M: Mode>(ped: &Pedersen, c: EvaluationClaim) -> EvaluationClaim<M::Value> {
    EvaluationClaim {
        point: c.point,
        value: M::public(ped, c.value),
    }
}

fn check_shape(c: &HyraxCommitment, nv: usize, what: &str) -> Result<(), CircuitError> {
    if c.num_vars != nv {
        return Err(CircuitError::Invalid(format!(
            "{what} commitment has {} variables, expected {nv}",
            c.num_vars
        )));
    }
    Ok(())
}

impl<'a, M: Mode> Walk<'a, M> {
    fn tensor_id(&self, r: TensorRef) -> Result<TensorId, CircuitError> {
        let id = match r {
            TensorRef::Node(n) => self.node_tensor.get(n).copied().flatten(),
            TensorRef::Aux(a) => self.aux_tensor.get(a).copied(),
        };
        id.ok_or_else(|| CircuitError::Invalid(format!("{r:?} has no commitment")))
    }

    fn next(&mut self, id: usize) -> Result<&'a Step<M>, CircuitError> {
        let node = &self.graph.nodes[id];
        self.steps
            .next()
            .ok_or_else(|| CircuitError::rejected(node, "proof ended early"))
    }

    fn wrong(&self, id: usize, want: &str, got: &Step<M>) -> CircuitError {
        CircuitError::rejected(
            &self.graph.nodes[id],
            format!("expected a {want} message, found {}", got.kind()),
        )
    }

    fn lin(&self, terms: &[(Fr, M::Value)]) -> M::Value {
        M::combine(terms)
    }

    fn public(&self, v: Fr) -> M::Value {
        M::public(&self.ctx.ped, v)
    }

    /// Records (hidden) or checks (clear) `a = b`; `why` names the relation.
    fn require(
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

    fn scaled(&self, point: Vec<Fr>, v: &M::Value, s: Fr) -> EvaluationClaim<M::Value> {
        EvaluationClaim {
            point,
            value: self.lin(&[(s, v.clone())]),
        }
    }

    /// Hidden logits (see the prover's `argmax_output`): `G(r)` must equal
    /// `L_t·[j < vocab](r) − L(r) − [j < t](r)`; every stated value becomes an
    /// opening claim on the committed `L` or `G`, and `L(u)` the output claim.
    fn argmax_output(
        &mut self,
        ap: ArgmaxPlan,
        token: usize,
    ) -> Result<EvaluationClaim<M::Value>, CircuitError> {
        let out = self.graph.output;
        let pts = argmax_points(self.graph, self.stmt, token, &mut self.t)?;
        let vals = self.values(out, 4, b"argmax-value")?;
        let (pv, pt) = argmax_gap_coeffs(ap.vocab, token, &pts.r);
        let one = Fr::from(1u64);
        let gap = self.lin(&[
            (pv, vals[2].clone()),
            (-one, vals[3].clone()),
            (-pt, self.public(one)),
        ]);
        self.require(
            out,
            &vals[1],
            &gap,
            "the argmax gaps do not match the logits",
        )?;
        let (openings, output) = pts.claims(ap, &vals);
        for (aux, c) in openings {
            self.openings.claim(self.aux_tensor[aux], c);
        }
        Ok(output)
    }

    /// A value the prover states (absorbed as it arrives).
    fn value(&mut self, id: usize, label: &'static [u8]) -> Result<M::Value, CircuitError> {
        match self.next(id)? {
            Step::Value(v) => {
                M::absorb_sent(&mut self.t, label, v);
                Ok(M::received(v))
            }
            s => Err(self.wrong(id, "value", s)),
        }
    }

    /// A committed tensor's value at `point`, stated; its opening claim is left.
    fn value_at(
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

    fn values(
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
    fn instance(
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

    fn claim(&mut self, id: usize, c: EvaluationClaim<M::Value>) {
        self.claims.push(id, c);
    }

    fn reject(&self, id: usize, why: impl ToString) -> CircuitError {
        CircuitError::rejected(&self.graph.nodes[id], why)
    }

    /// Public tensors the verifier evaluates itself.
    fn public_table(&self, id: usize) -> Result<Vec<Fr>, CircuitError> {
        Ok(padded_table(
            &self.graph.nodes[id].shape,
            self.public_values(id)?,
        ))
    }

    fn node(&mut self, id: usize) -> Result<(), CircuitError> {
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

    fn reduce(
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

    fn relation(&mut self, id: usize, c: EvaluationClaim<M::Value>) -> Result<(), CircuitError> {
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
        let one = Fr::from(1u64);
        match &node.op {
            Op::EinSum { spec, .. } => {
                let ec = einsum_canon(spec, &shape_of(ins[0]), &shape_of(ins[1]));
                let cc = super::claim_maps::einsum_output(spec, &ec, &node.shape, &c);
                let proof = match self.next(id)? {
                    Step::MatMul(p) => p,
                    s => return Err(self.wrong(id, "matmul", s)),
                };
                let mc = matmul::verify_in::<M>(&mut self.ctx, &ec.shape, &cc, proof, &mut self.t)
                    .map_err(|e| self.reject(id, e))?;
                let [ca, cb] = super::claim_maps::einsum_operands(spec, &ec, &mc);
                self.claim(ins[0], ca);
                self.claim(ins[1], cb);
            }
            Op::Add | Op::Sub => {
                let coeffs = super::claim_maps::add_sub_coeffs(matches!(node.op, Op::Sub));
                let proof = match self.next(id)? {
                    Step::Linear(p) => p,
                    s => return Err(self.wrong(id, "linear", s)),
                };
                let cl = linear::verify_in::<M>(&mut self.ctx, &coeffs, &c, proof, &mut self.t)
                    .map_err(|e| self.reject(id, e))?;
                for (k, &i) in ins.iter().enumerate() {
                    self.unbroadcast(i, id, &cl[k])?;
                }
            }
            Op::Hadamard => {
                let proof = match self.next(id)? {
                    Step::Hadamard(p) => p,
                    s => return Err(self.wrong(id, "hadamard", s)),
                };
                let cl = hadamard::verify_in::<M>(&mut self.ctx, 2, &c, proof, &mut self.t)
                    .map_err(|e| self.reject(id, e))?;
                for (k, &i) in ins.iter().enumerate() {
                    self.unbroadcast(i, id, &cl[k])?;
                }
            }
            Op::MulConst { q, .. } => {
                if *q == 0 {
                    let zero = self.public(Fr::from(0u64));
                    self.require(id, &c.value, &zero, "product by zero claimed non-zero")?;
                } else {
                    let inv = ark_ff::Field::inverse(&from_i64(*q))
                        .ok_or_else(|| self.reject(id, "constant is zero mod p"))?;
                    let cl = self.scaled(c.point, &c.value, inv);
                    self.claim(ins[0], cl);
                }
            }
            Op::Rescale { shift } => {
                let rp = self.plan.rescale[id]
                    .clone()
                    .ok_or_else(|| self.reject(id, "rescale missing from the plan"))?;
                let stated = rp.stated();
                let vals = self.values(id, stated.len(), b"rescale-value")?;
                for (&a, v) in stated.iter().zip(&vals) {
                    self.openings.claim(
                        self.aux_tensor[a],
                        EvaluationClaim {
                            point: c.point.clone(),
                            value: v.clone(),
                        },
                    );
                }
                let at = |a: usize| stated.iter().position(|&s| s == a).map(|i| vals[i].clone());
                let r = vals[0].clone();
                for ((hi, lo), whole, what) in rp.limb_pairs() {
                    let whole = match whole {
                        None => Some(c.value.clone()),
                        Some(w) => at(w),
                    };
                    let (Some(h), Some(l), Some(whole)) = (at(hi), at(lo), whole) else {
                        return Err(self.reject(id, format!("the {what}'s limbs are not stated")));
                    };
                    let rec = self.lin(&[(pow2(LIMB_BITS), h), (one, l)]);
                    self.require(
                        id,
                        &rec,
                        &whole,
                        &format!("limbs do not recombine to the {what}"),
                    )?;
                }
                let q = match &rp.sat {
                    Some(sp) => {
                        let parts: Option<Vec<M::Value>> = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind]
                            .map(at)
                            .into_iter()
                            .collect();
                        let p = parts
                            .ok_or_else(|| self.reject(id, "the clamp's excess is not stated"))?;
                        let q = self.lin(&[
                            (one, c.value.clone()),
                            (one, p[0].clone()),
                            (one, p[1].clone()),
                            (-one, p[2].clone()),
                            (-one, p[3].clone()),
                        ]);
                        self.saturation(id, sp)?;
                        q
                    }
                    None => c.value.clone(),
                };
                // X = 2^s·Q + R at the claim's point.
                let x = self.lin(&[(pow2(*shift), q), (one, r)]);
                self.claim(
                    ins[0],
                    EvaluationClaim {
                        point: c.point,
                        value: x,
                    },
                );
            }
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

    fn unbroadcast(
        &mut self,
        input: usize,
        out: usize,
        c: &EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let (si, so) = (&self.graph.nodes[input].shape, &self.graph.nodes[out].shape);
        let (p, inv) = layout::unbroadcast_point(si, so, &c.point)
            .ok_or_else(|| self.reject(out, "degenerate broadcast point"))?;
        let cl = self.scaled(p, &c.value, inv);
        self.claim(input, cl);
        Ok(())
    }

    fn select(
        &mut self,
        id: usize,
        sels: Vec<index_map::Selection>,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let proof = match self.next(id)? {
            Step::Select(p) => p,
            s => return Err(self.wrong(id, "select", s)),
        };
        let cl = index_map::verify_select_in::<M>(&mut self.ctx, &sels, &c, proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        for (i, cc) in self.graph.nodes[id].inputs.clone().into_iter().zip(cl) {
            self.claim(i, cc);
        }
        Ok(())
    }

    fn embedding(&mut self, id: usize, c: EvaluationClaim<M::Value>) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let (w_id, ids_id) = (node.inputs[0], node.inputs[1]);
        let ws = self.graph.nodes[w_id].shape.clone();
        let ld = crate::poly::num_vars_for(ws[1]);
        let lv = crate::poly::num_vars_for(ws[0]);
        let (u_d, u_t) = c.point.split_at(ld);
        let ids = self.public_values(ids_id)?.to_vec();
        if let Some(&tok) = ids.iter().find(|&&t| t < 0 || t as usize >= ws[0]) {
            return Err(self.reject(id, format!("token id {tok} outside the vocabulary")));
        }
        let ids_shape = self.graph.nodes[ids_id].shape.clone();
        let eq_t = SplitEq::new(u_t);
        // The selector Σ_k eq(u_t, k)·eq(r, ids[k]) is the verifier's own.
        let gsel = |r: &[Fr]| {
            let eq_v = SplitEq::new(r);
            let mut g = Fr::from(0u64);
            for (k, &tok) in ids.iter().enumerate() {
                g += eq_t.get(layout::padded_index(&ids_shape, k)) * eq_v.get(tok as usize);
            }
            vec![None, Some(g)]
        };
        let (r, vals) = self.instance(
            id,
            lv,
            &SumOfProducts::product(2),
            c.value.clone(),
            gsel,
            "embedding rows do not match the claim",
        )?;
        let mut point = u_d.to_vec();
        point.extend_from_slice(&r);
        self.claim(
            w_id,
            EvaluationClaim {
                point,
                value: vals[0].clone(),
            },
        );
        Ok(())
    }

    /// The values of a public node: the statement's token ids or a constant.
    fn public_values(&self, id: usize) -> Result<&[i64], CircuitError> {
        let node = &self.graph.nodes[id];
        match (&node.op, &node.data) {
            (Op::Input { .. }, _) => Ok(&self.stmt.ids),
            (Op::Constant, Some(Data::I64(v))) => Ok(v),
            _ => Err(self.reject(id, "not a public tensor (token ids or a constant)")),
        }
    }

    fn rotary(
        &mut self,
        id: usize,
        half: usize,
        interleaved: bool,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let shape = node.shape.clone();
        let ins = node.inputs.clone();
        let u = c.point.clone();
        let (r, vals) = self.instance(
            id,
            num_vars(&shape),
            &super::rotary_sop(),
            c.value,
            |r| vec![Some(eq_eval(&u, r)), None, None, None, None],
            "rotary outputs do not match x·cos + rot(x)·sin",
        )?;
        let at = |k: usize| EvaluationClaim {
            point: r.clone(),
            value: vals[k].clone(),
        };
        self.claim(ins[0], at(0));
        self.unbroadcast(ins[1], id, &at(1))?;
        self.unbroadcast(ins[2], id, &at(3))?;
        let sel = super::rotary_selection(&shape, half, interleaved);
        let proof = match self.next(id)? {
            Step::Select(p) => p,
            s => return Err(self.wrong(id, "select", s)),
        };
        let cl =
            index_map::verify_select_in::<M>(&mut self.ctx, &[sel], &at(2), proof, &mut self.t)
                .map_err(|e| self.reject(id, e))?;
        self.claim(ins[0], cl[0].clone());
        Ok(())
    }

    /// The clamp of a saturating rescale (see the prover's `saturation`):
    /// the zero-check holds at the final point, its two edge values are one
    /// claim on `Y`, and each clamp count is an opening of its indicator at
    /// `(½, …, ½)`.
    fn saturation(&mut self, id: usize, sp: &super::plan::SatPlan) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let (top, bot) = super::saturation::edges(bits);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let sop = super::saturation::zero_check(lambda);
        let n_tables = sop.num_tables();
        let zero = self.public(Fr::from(0u64));
        let (r, vals) = self.instance(
            id,
            nv,
            &sop,
            zero,
            |r| {
                let mut p = vec![None; n_tables];
                p[0] = Some(eq_eval(&rho, r));
                p
            },
            "the clamp is not proven (saturation zero-check)",
        )?;
        let one = Fr::from(1u64);
        let sum = self.lin(&[(one, vals[4].clone()), (one, vals[5].clone())]);
        let width = self.public(from_i64(top - bot));
        self.require(id, &sum, &width, "the clamp's edge values disagree on Y")?;
        let yv = self.lin(&[(-one, vals[4].clone()), (from_i64(top), self.public(one))]);
        let ytid = self.tensor_id(TensorRef::Node(id))?;
        let ids = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(|a| self.aux_tensor[a]);
        for (k, &tid) in ids.iter().enumerate() {
            self.openings.claim(
                tid,
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k].clone(),
                },
            );
        }
        self.openings.claim(
            ytid,
            EvaluationClaim {
                point: r,
                value: yv,
            },
        );
        let counts = *self
            .clamp_counts
            .get(sp.index)
            .ok_or_else(|| self.reject(id, "no clamp count for this rescale"))?;
        for (tid, count) in [(ids[1], counts[0]), (ids[3], counts[1])] {
            let cc = public_claim::<M>(&self.ctx.ped, super::saturation::count_claim(nv, count));
            self.openings.claim(tid, cc);
        }
        Ok(())
    }

    fn softmax(&mut self, id: usize, c: EvaluationClaim<M::Value>) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let sp = self.plan.softmax[id]
            .clone()
            .ok_or_else(|| self.reject(id, "softmax missing from the plan"))?;
        let p = sp.params;
        let shape = node.shape.clone();
        let cols = *shape.last().unwrap_or(&1);
        let lc = crate::poly::num_vars_for(cols);
        let nv = num_vars(&shape);
        let keep = softmax_mask(node);
        let mask = DenseMle::new(padded_table(&shape, &keep));
        let tid = |a: usize| self.aux_tensor[a];
        let (t_sum, t_sum_hi, t_exp, t_delta, t_lo, t_hi, t_shift) = (
            tid(sp.sum),
            tid(sp.sum_hi),
            tid(sp.exp),
            tid(sp.delta),
            tid(sp.lo),
            tid(sp.hi),
            tid(sp.shift),
        );
        let one = Fr::from(1u64);
        // 1. Row sums at a fresh point: S'(w) and U(w), each opened (and
        // range-checked in [0, 2^sum_bits) by its lookup), with
        // S' + U = 2·tol·valid, so every valid row sums into [2^f − tol, 2^f + tol].
        let w = self.t.challenge_scalars(b"softmax-rows", nv - lc);
        let s_prime = self.value_at(id, t_sum, &w, b"softmax-row-sum")?;
        let u = self.value_at(id, t_sum_hi, &w, b"softmax-row-sum")?;
        let valid = DenseMle::new(padded_table(
            &self.plan.aux[sp.sum].shape,
            &row_valid(&keep, cols),
        ));
        let v_w = valid.evaluate(&w);
        let band = self.lin(&[(one, s_prime.clone()), (one, u)]);
        let want = self.public(from_i64(2 * p.tolerance) * v_w);
        self.require(
            id,
            &band,
            &want,
            "softmax row sums outside the two-sided band",
        )?;
        let base = from_i64(p.sum_lo());
        // 2. y = M∘E∘Δ against the claim and the row sums.
        let lambda = self.t.challenge_scalar(b"softmax-lambda");
        let claim = self.lin(&[
            (one, c.value),
            (lambda, s_prime),
            (lambda * base * v_w, self.public(one)),
        ]);
        let (u_pt, w_pt) = (c.point.clone(), w.clone());
        let mask_ref = &mask;
        let (r, vals) = self.instance(
            id,
            nv,
            &SumOfProducts::product(4),
            claim,
            |r| {
                let g = eq_eval(&u_pt, r) + lambda * eq_eval(&w_pt, &r[lc..]);
                vec![Some(g), Some(mask_ref.evaluate(r)), None, None]
            },
            "softmax outputs do not match exp·δ under the mask",
        )?;
        for (t, k) in [(t_exp, 0), (t_delta, 1)] {
            self.openings.claim(
                t,
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k].clone(),
                },
            );
        }
        // 3. Digits of the masked shifted scores.
        let rho = self.t.challenge_scalars(b"softmax-digits", nv);
        let lo = self.value_at(id, t_lo, &rho, b"softmax-digit")?;
        let hi = self.value_at(id, t_hi, &rho, b"softmax-digit")?;
        let claim = self.lin(&[(one, lo), (pow2(p.lo_bits), hi)]);
        let rho_pt = rho.clone();
        let (r, vals) = self.instance(
            id,
            nv,
            &SumOfProducts::product(3),
            claim,
            |r| vec![Some(eq_eval(&rho_pt, r)), Some(mask_ref.evaluate(r)), None],
            "digits do not decompose the shifted scores",
        )?;
        let zhat = self.value_at(id, t_shift, &r[lc..], b"softmax-shift")?;
        let zv = self.lin(&[(one, zhat), (-one, vals[0].clone())]);
        self.claim(
            node.inputs[0],
            EvaluationClaim {
                point: r,
                value: zv,
            },
        );
        Ok(())
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
