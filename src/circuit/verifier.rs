//! The circuit verifier: the specification the prover mirrors. Every value
//! it reads from the proof is absorbed before the next challenge and ends in
//! a check, an opening, or a claim handed on.

use super::layout::{self, num_vars, padded_table};
use super::plan::{ArgmaxPlan, Plan, TensorRef};
use super::proof::{CircuitProof, Step};
use super::{
    absorb_statement, argmax_gap_at, argmax_points, einsum_canon, output_claim, pow2, row_valid,
    softmax_mask, CircuitError, Statement,
};
use crate::backend::Backend;
use crate::claims::{verify_multipoint, OpeningVerifier, TensorId};
use crate::commit::{Hyrax, HyraxCommitment};
use crate::field::{from_i64, Fr};
use crate::ir::check::{check_graph, WeightData};
use crate::ir::{Data, Graph, Op};
use crate::poly::{eq_eval, DenseMle, SumOfProducts};
use crate::protocols::index_map::{self, SplitEq};
use crate::protocols::lookup::{self, LookupShape};
use crate::protocols::{hadamard, linear, matmul};
use crate::sumcheck::{self, EvaluationClaim, SumcheckProof};
use crate::transcript::Transcript;

struct Walk<'a> {
    graph: &'a Graph,
    plan: &'a Plan,
    stmt: &'a Statement,
    t: Transcript,
    openings: OpeningVerifier,
    node_tensor: Vec<Option<TensorId>>,
    aux_tensor: Vec<TensorId>,
    steps: std::slice::Iter<'a, Step>,
    claims: super::ClaimStack,
    clamp_counts: &'a [[u64; 2]],
}

/// Verifies `proof` for the statement against the verifying key's graph
/// (weights' data may be absent), plan and weight commitments.
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
    // The walk indexes nodes, inputs and shapes: only a checked graph.
    check_graph(graph, WeightData::Any).map_err(|e| CircuitError::Invalid(e.to_string()))?;
    let mut t = Transcript::new(b"zkllm-proof");
    absorb_statement(&mut t, vk_digest, graph, stmt);
    if stmt.ids.len() != graph.nodes[graph.input].shape.iter().product::<usize>() {
        return Err(CircuitError::Invalid(
            "token ids do not match the model's input length".into(),
        ));
    }
    let mut openings = OpeningVerifier::new();
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
        openings.claim(tid, c);
    }

    let mut w = Walk {
        graph,
        plan,
        stmt,
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
        (None, None) => output_claim(graph, stmt, &mut w.t)?,
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
        let claims = lookup::verify(table, &shapes, &proof.lookups[ti], &mut w.t)
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
        openings, mut t, ..
    } = w;
    openings
        .verify(be, pcs, &proof.openings, &mut t)
        .map_err(|e| CircuitError::Invalid(format!("openings: {e}")))
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

impl Walk<'_> {
    fn tensor_id(&self, r: TensorRef) -> Result<TensorId, CircuitError> {
        let id = match r {
            TensorRef::Node(n) => self.node_tensor.get(n).copied().flatten(),
            TensorRef::Aux(a) => self.aux_tensor.get(a).copied(),
        };
        id.ok_or_else(|| CircuitError::Invalid(format!("{r:?} has no commitment")))
    }

    fn next(&mut self, id: usize) -> Result<&Step, CircuitError> {
        let node = &self.graph.nodes[id];
        self.steps
            .next()
            .ok_or_else(|| CircuitError::rejected(node, "proof ended early"))
    }

    fn wrong(&self, id: usize, want: &str, got: &Step) -> CircuitError {
        CircuitError::rejected(
            &self.graph.nodes[id],
            format!("expected a {want} message, found {}", got.kind()),
        )
    }

    /// Hidden logits (see the prover's `argmax_output`): `G(r)` must equal
    /// `L_t·[j < vocab](r) − L(r) − [j < t](r)`; every stated value becomes an
    /// opening claim on the committed `L` or `G`, and `L(u)` the output claim.
    fn argmax_output(
        &mut self,
        ap: ArgmaxPlan,
        token: usize,
    ) -> Result<EvaluationClaim, CircuitError> {
        let out = self.graph.output;
        let pts = argmax_points(self.graph, self.stmt, token, &mut self.t)?;
        let vals = self.values(out, 4)?;
        self.t.append_scalars(b"argmax-values", &vals);
        if vals[1] != argmax_gap_at(ap.vocab, token, &pts.r, vals[2], vals[3]) {
            return Err(self.reject(out, "the argmax gaps do not match the logits"));
        }
        let (openings, output) = pts.claims(ap, &vals);
        for (aux, c) in openings {
            self.openings.claim(self.aux_tensor[aux], c);
        }
        Ok(output)
    }

    fn value(&mut self, id: usize) -> Result<Fr, CircuitError> {
        match self.next(id)?.clone() {
            Step::Value(v) => {
                self.t.append_scalar(b"stated-value", &v);
                Ok(v)
            }
            s => Err(self.wrong(id, "value", &s)),
        }
    }

    fn values(&mut self, id: usize, n: usize) -> Result<Vec<Fr>, CircuitError> {
        match self.next(id)?.clone() {
            Step::Values(v) if v.len() == n => Ok(v),
            s => Err(self.wrong(id, "values", &s)),
        }
    }

    fn sumcheck_step(
        &mut self,
        id: usize,
        n: usize,
    ) -> Result<(SumcheckProof, Vec<Fr>), CircuitError> {
        match self.next(id)?.clone() {
            Step::Sumcheck(p, v) if v.len() == n => Ok((p, v)),
            s => Err(self.wrong(id, "sumcheck", &s)),
        }
    }

    fn claim(&mut self, id: usize, c: EvaluationClaim) {
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
                        if DenseMle::new(table.clone()).evaluate(&c.point) != c.value {
                            return Err(self.reject(id, "claim on a public tensor is false"));
                        }
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
                    let proof = match self.next(id)?.clone() {
                        Step::Hadamard(p) => p,
                        s => return Err(self.wrong(id, "hadamard", &s)),
                    };
                    let cl = hadamard::verify(2, &c, &proof, &mut self.t)
                        .map_err(|e| self.reject(id, e))?;
                    if layout::real_indicator(&node.shape, &cl[1].point) != cl[1].value {
                        return Err(self.reject(id, "padding mask value is wrong"));
                    }
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
            let v = self.value(id)?;
            let c = EvaluationClaim {
                point: rho,
                value: v,
            };
            self.openings.claim(tid, c.clone());
            return self.relation(id, c);
        }
        match self.reduce(id, claims)? {
            Some(c) => self.relation(id, c),
            None => Ok(()),
        }
    }

    fn reduce(
        &mut self,
        id: usize,
        mut claims: Vec<EvaluationClaim>,
    ) -> Result<Option<EvaluationClaim>, CircuitError> {
        match claims.len() {
            0 => Ok(None),
            1 => Ok(claims.pop()),
            _ => {
                let proof = match self.next(id)?.clone() {
                    Step::MultiPoint(p) => p,
                    s => return Err(self.wrong(id, "multi-point", &s)),
                };
                let points: Vec<Vec<Fr>> = claims.iter().map(|c| c.point.clone()).collect();
                let values: Vec<Fr> = claims.iter().map(|c| c.value).collect();
                let nv = num_vars(&self.graph.nodes[id].shape);
                let c = verify_multipoint(nv, &points, &values, &proof, &mut self.t)
                    .map_err(|e| self.reject(id, e))?;
                Ok(Some(c))
            }
        }
    }

    fn relation(&mut self, id: usize, c: EvaluationClaim) -> Result<(), CircuitError> {
        let g = self.graph;
        let node = &g.nodes[id];
        let ins = &node.inputs;
        let shape_of = |i: usize| g.nodes[i].shape.clone();
        let in_shapes: Vec<Vec<usize>> = ins.iter().map(|&i| shape_of(i)).collect();
        if let Some(step) = super::claim_maps::index_step(&node.op, &node.shape, &in_shapes, &c) {
            match step {
                super::claim_maps::IndexStep::Pass(claims) => {
                    for (&i, cl) in ins.iter().zip(claims) {
                        self.claim(i, cl);
                    }
                }
                super::claim_maps::IndexStep::Select(sels) => self.select(id, sels, c)?,
            }
            return Ok(());
        }
        match &node.op {
            Op::EinSum { spec, .. } => {
                let ec = einsum_canon(spec, &shape_of(ins[0]), &shape_of(ins[1]));
                let cc = super::claim_maps::einsum_output(spec, &ec, &node.shape, &c);
                let proof = match self.next(id)?.clone() {
                    Step::MatMul(p) => p,
                    s => return Err(self.wrong(id, "matmul", &s)),
                };
                let mc = matmul::verify(&ec.shape, &cc, &proof, &mut self.t)
                    .map_err(|e| self.reject(id, e))?;
                let [ca, cb] = super::claim_maps::einsum_operands(spec, &ec, &mc);
                self.claim(ins[0], ca);
                self.claim(ins[1], cb);
            }
            Op::Add | Op::Sub => {
                let coeffs = super::claim_maps::add_sub_coeffs(matches!(node.op, Op::Sub));
                let proof = match self.next(id)?.clone() {
                    Step::Linear(p) => p,
                    s => return Err(self.wrong(id, "linear", &s)),
                };
                let cl = linear::verify(&coeffs, &c, &proof, &mut self.t)
                    .map_err(|e| self.reject(id, e))?;
                for (k, &i) in ins.iter().enumerate() {
                    self.unbroadcast(i, id, &cl[k])?;
                }
            }
            Op::Hadamard => {
                let proof = match self.next(id)?.clone() {
                    Step::Hadamard(p) => p,
                    s => return Err(self.wrong(id, "hadamard", &s)),
                };
                let cl =
                    hadamard::verify(2, &c, &proof, &mut self.t).map_err(|e| self.reject(id, e))?;
                for (k, &i) in ins.iter().enumerate() {
                    self.unbroadcast(i, id, &cl[k])?;
                }
            }
            Op::MulConst { q, .. } => {
                if *q == 0 {
                    if !ark_ff::Zero::is_zero(&c.value) {
                        return Err(self.reject(id, "product by zero claimed non-zero"));
                    }
                } else {
                    let inv = ark_ff::Field::inverse(&from_i64(*q))
                        .ok_or_else(|| self.reject(id, "constant is zero mod p"))?;
                    self.claim(
                        ins[0],
                        EvaluationClaim {
                            point: c.point,
                            value: c.value * inv,
                        },
                    );
                }
            }
            Op::Rescale { shift } => {
                let rp = self.plan.rescale[id]
                    .clone()
                    .ok_or_else(|| self.reject(id, "rescale missing from the plan"))?;
                let stated = rp.stated();
                let vals = self.values(id, stated.len())?;
                self.t.append_scalars(b"rescale-values", &vals);
                for (&a, &v) in stated.iter().zip(&vals) {
                    self.openings.claim(
                        self.aux_tensor[a],
                        EvaluationClaim {
                            point: c.point.clone(),
                            value: v,
                        },
                    );
                }
                let at = |a: usize| stated.iter().position(|&s| s == a).map(|i| vals[i]);
                let r = vals[0];
                for ((hi, lo), whole, what) in rp.limb_pairs() {
                    let whole = whole.map_or(Some(c.value), at);
                    let (Some(h), Some(l), Some(whole)) = (at(hi), at(lo), whole) else {
                        return Err(self.reject(id, format!("the {what}'s limbs are not stated")));
                    };
                    if pow2(super::plan::LIMB_BITS) * h + l != whole {
                        return Err(
                            self.reject(id, format!("limbs do not recombine to the {what}"))
                        );
                    }
                }
                let mut q = c.clone();
                if let Some(sp) = &rp.sat {
                    let parts: Option<Vec<Fr>> = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind]
                        .map(at)
                        .into_iter()
                        .collect();
                    let parts =
                        parts.ok_or_else(|| self.reject(id, "the clamp's excess is not stated"))?;
                    q.value = super::saturation::quotient(c.value, &parts);
                    self.saturation(id, sp)?;
                }
                let x = super::claim_maps::rescale_input(*shift, &q, r);
                self.claim(ins[0], x);
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
        c: &EvaluationClaim,
    ) -> Result<(), CircuitError> {
        let (si, so) = (&self.graph.nodes[input].shape, &self.graph.nodes[out].shape);
        let (p, inv) = layout::unbroadcast_point(si, so, &c.point)
            .ok_or_else(|| self.reject(out, "degenerate broadcast point"))?;
        self.claim(
            input,
            EvaluationClaim {
                point: p,
                value: c.value * inv,
            },
        );
        Ok(())
    }

    fn select(
        &mut self,
        id: usize,
        sels: Vec<index_map::Selection>,
        c: EvaluationClaim,
    ) -> Result<(), CircuitError> {
        let proof = match self.next(id)?.clone() {
            Step::Select(p) => p,
            s => return Err(self.wrong(id, "select", &s)),
        };
        let cl = index_map::verify_select(&sels, &c, &proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        for (i, cc) in self.graph.nodes[id].inputs.clone().into_iter().zip(cl) {
            self.claim(i, cc);
        }
        Ok(())
    }

    fn embedding(&mut self, id: usize, c: EvaluationClaim) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let (w_id, ids_id) = (node.inputs[0], node.inputs[1]);
        let ws = self.graph.nodes[w_id].shape.clone();
        let ld = crate::poly::num_vars_for(ws[1]);
        let lv = crate::poly::num_vars_for(ws[0]);
        let (u_d, u_t) = c.point.split_at(ld);
        let (proof, vals) = self.sumcheck_step(id, 1)?;
        let red = sumcheck::verify(lv, &SumOfProducts::product(2), c.value, &proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        let e = vals[0];
        self.t.append_scalar(b"embedding-row", &e);
        let ids = self.public_values(ids_id)?.to_vec();
        let ids_shape = self.graph.nodes[ids_id].shape.clone();
        let eq_t = SplitEq::new(u_t);
        let eq_v = SplitEq::new(&red.point);
        let mut gsel = Fr::from(0u64);
        for (k, &tok) in ids.iter().enumerate() {
            if tok < 0 || tok as usize >= ws[0] {
                return Err(self.reject(id, format!("token id {tok} outside the vocabulary")));
            }
            gsel += eq_t.get(layout::padded_index(&ids_shape, k)) * eq_v.get(tok as usize);
        }
        if e * gsel != red.value {
            return Err(self.reject(id, "embedding rows do not match the claim"));
        }
        let mut point = u_d.to_vec();
        point.extend_from_slice(&red.point);
        self.claim(w_id, EvaluationClaim { point, value: e });
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
        c: EvaluationClaim,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let shape = node.shape.clone();
        let ins = node.inputs.clone();
        let (proof, vals) = self.sumcheck_step(id, 4)?;
        let red = sumcheck::verify(
            num_vars(&shape),
            &super::rotary_sop(),
            c.value,
            &proof,
            &mut self.t,
        )
        .map_err(|e| self.reject(id, e))?;
        self.t.append_scalars(b"rotary-values", &vals);
        let e = eq_eval(&c.point, &red.point);
        if e * (vals[0] * vals[1] + vals[2] * vals[3]) != red.value {
            return Err(self.reject(id, "rotary outputs do not match x·cos + rot(x)·sin"));
        }
        let r = red.point;
        self.claim(
            ins[0],
            EvaluationClaim {
                point: r.clone(),
                value: vals[0],
            },
        );
        self.unbroadcast(
            ins[1],
            id,
            &EvaluationClaim {
                point: r.clone(),
                value: vals[1],
            },
        )?;
        self.unbroadcast(
            ins[2],
            id,
            &EvaluationClaim {
                point: r.clone(),
                value: vals[3],
            },
        )?;
        let sel = super::rotary_selection(&shape, half, interleaved);
        let proof = match self.next(id)?.clone() {
            Step::Select(p) => p,
            s => return Err(self.wrong(id, "select", &s)),
        };
        let rc = EvaluationClaim {
            point: r,
            value: vals[2],
        };
        let cl = index_map::verify_select(&[sel], &rc, &proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        self.claim(ins[0], cl[0].clone());
        Ok(())
    }

    /// The clamp of a saturating rescale (see the prover's `saturation`):
    /// the zero-check holds at the final point, and each clamp count is an
    /// opening of its indicator at `(½, …, ½)`.
    fn saturation(&mut self, id: usize, sp: &super::plan::SatPlan) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let (proof, vals) = self.sumcheck_step(id, 5)?;
        let sop = super::saturation::zero_check(lambda);
        let red = sumcheck::verify(nv, &sop, Fr::from(0u64), &proof, &mut self.t).map_err(|e| {
            self.reject(
                id,
                format!("the clamp is not proven (saturation zero-check): {e}"),
            )
        })?;
        self.t.append_scalars(b"saturation-values", &vals);
        let v: [Fr; 5] = [vals[0], vals[1], vals[2], vals[3], vals[4]];
        let e = eq_eval(&rho, &red.point);
        if super::saturation::final_value(e, lambda, &v, bits) != red.value {
            return Err(self.reject(id, "the clamp is not proven (saturation zero-check)"));
        }
        let ytid = self.tensor_id(TensorRef::Node(id))?;
        let ids = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(|a| self.aux_tensor[a]);
        for (k, &tid) in ids.iter().chain([&ytid]).enumerate() {
            self.openings.claim(
                tid,
                EvaluationClaim {
                    point: red.point.clone(),
                    value: v[k],
                },
            );
        }
        let counts = *self
            .clamp_counts
            .get(sp.index)
            .ok_or_else(|| self.reject(id, "no clamp count for this rescale"))?;
        for (tid, count) in [(ids[1], counts[0]), (ids[3], counts[1])] {
            self.openings
                .claim(tid, super::saturation::count_claim(nv, count));
        }
        Ok(())
    }

    fn softmax(&mut self, id: usize, c: EvaluationClaim) -> Result<(), CircuitError> {
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
        // 1. Row sums at a fresh point: S'(w) and U(w), each opened (and
        // range-checked in [0, 2^sum_bits) by its lookup), with
        // S' + U = 2·tol·valid, so every valid row sums into [2^f − tol, 2^f + tol].
        let w = self.t.challenge_scalars(b"softmax-rows", nv - lc);
        let sums = self.values(id, 2)?;
        let (s_prime, u) = (sums[0], sums[1]);
        self.t.append_scalars(b"softmax-row-sums", &[s_prime, u]);
        for (t, value) in [(t_sum, s_prime), (t_sum_hi, u)] {
            self.openings.claim(
                t,
                EvaluationClaim {
                    point: w.clone(),
                    value,
                },
            );
        }
        let valid = DenseMle::new(padded_table(
            &self.plan.aux[sp.sum].shape,
            &row_valid(&keep, cols),
        ));
        let v_w = valid.evaluate(&w);
        if s_prime + u != from_i64(2 * p.tolerance) * v_w {
            return Err(self.reject(id, "softmax row sums outside the two-sided band"));
        }
        let base = from_i64(p.sum_lo());
        let row_sum = s_prime + base * v_w;
        // 2. y = M∘E∘Δ against the claim and the row sums.
        let lambda = self.t.challenge_scalar(b"softmax-lambda");
        let (proof, vals) = self.sumcheck_step(id, 2)?;
        let red = sumcheck::verify(
            nv,
            &SumOfProducts::product(4),
            c.value + lambda * row_sum,
            &proof,
            &mut self.t,
        )
        .map_err(|e| self.reject(id, e))?;
        let (ev, dv) = (vals[0], vals[1]);
        self.t.append_scalars(b"softmax-exp-delta", &[ev, dv]);
        let g = eq_eval(&c.point, &red.point) + lambda * eq_eval(&w, &red.point[lc..]);
        if g * mask.evaluate(&red.point) * ev * dv != red.value {
            return Err(self.reject(id, "softmax outputs do not match exp·δ under the mask"));
        }
        self.openings.claim(
            t_exp,
            EvaluationClaim {
                point: red.point.clone(),
                value: ev,
            },
        );
        self.openings.claim(
            t_delta,
            EvaluationClaim {
                point: red.point,
                value: dv,
            },
        );
        // 3. Digits of the masked shifted scores.
        let rho = self.t.challenge_scalars(b"softmax-digits", nv);
        let digits = self.values(id, 2)?;
        let (lo, hi) = (digits[0], digits[1]);
        self.t.append_scalars(b"softmax-digits-values", &[lo, hi]);
        self.openings.claim(
            t_lo,
            EvaluationClaim {
                point: rho.clone(),
                value: lo,
            },
        );
        self.openings.claim(
            t_hi,
            EvaluationClaim {
                point: rho.clone(),
                value: hi,
            },
        );
        let (proof, vals) = self.sumcheck_step(id, 2)?;
        let red = sumcheck::verify(
            nv,
            &SumOfProducts::product(3),
            lo + pow2(p.lo_bits) * hi,
            &proof,
            &mut self.t,
        )
        .map_err(|e| self.reject(id, e))?;
        let (zhat, zv) = (vals[0], vals[1]);
        self.t.append_scalars(b"softmax-shift-scores", &[zhat, zv]);
        if eq_eval(&rho, &red.point) * mask.evaluate(&red.point) * (zhat - zv) != red.value {
            return Err(self.reject(id, "digits do not decompose the shifted scores"));
        }
        self.openings.claim(
            t_shift,
            EvaluationClaim {
                point: red.point[lc..].to_vec(),
                value: zhat,
            },
        );
        self.claim(
            node.inputs[0],
            EvaluationClaim {
                point: red.point,
                value: zv,
            },
        );
        Ok(())
    }
}
