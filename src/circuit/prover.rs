//! The circuit prover: commits, walks the graph backwards, proves lookups,
//! opens. Mirrors [`super::verifier`] step by step.

use ark_std::rand::{CryptoRng, RngCore};

use super::layout::{self, num_vars, padded_table};
use super::plan::{ArgmaxPlan, Plan, TensorRef, LIMB_BITS};
use super::proof::{CircuitProof, Step};
use super::{
    absorb_statement, argmax_gap_coeffs, argmax_points, einsum_canon, output_claim, pow2,
    row_valid, softmax_mask, CircuitError, Statement,
};
use crate::backend::Backend;
use crate::claims::{prove_multipoint_in, OpeningProver, TensorId};
use crate::commit::{Hyrax, HyraxCommitment, HyraxHint};
use crate::field::{from_i64, Fr};
use crate::ir::{Data, Graph, Op};
use crate::poly::{eq_table, SumOfProducts};
use crate::protocols::index_map;
use crate::protocols::lookup::{self, LookupWitness};
use crate::protocols::{hadamard, linear, matmul};
use crate::quant::{rescale_remainder, zkattn_row};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::witness::Witness;
use crate::zk::{prove_instance, Clear, Mode, Pedersen, ProverCtx};

/// Padded integer contents of every committed tensor of the plan.
pub fn committed_values(
    graph: &Graph,
    plan: &Plan,
    wit: &Witness<'_>,
    stmt: &Statement,
) -> Result<Vec<Vec<i64>>, CircuitError> {
    let mut aux: Vec<Vec<i64>> = plan
        .aux
        .iter()
        .map(|a| vec![0; 1 << num_vars(&a.shape)])
        .collect();
    if let (Some(ap), Some(token)) = (plan.argmax, stmt.next_token) {
        let row = &wit.node(graph.output)[stmt.position * ap.vocab..(stmt.position + 1) * ap.vocab];
        let top = row.get(token).copied().unwrap_or(0);
        // Negative for a token that is not the first maximum: the range check fails.
        let gaps: Vec<i64> = (0..ap.vocab)
            .map(|j| top - row[j] - (j < token) as i64)
            .collect();
        aux[ap.logits] = layout::padded_ints(&[ap.vocab], row);
        aux[ap.gap] = layout::padded_ints(&[ap.vocab], &gaps);
    }
    for (id, sp) in plan.softmax.iter().enumerate() {
        let Some(sp) = sp else { continue };
        let node = &graph.nodes[id];
        let p = sp.params;
        let cols = *node.shape.last().unwrap_or(&1);
        let z = wit.node(node.inputs[0]);
        let keep = softmax_mask(node);
        let rows_shape = &plan.aux[sp.shift].shape;
        let (mut lo, mut hi, mut shift, mut sum, mut sum_hi) = (
            vec![0i64; z.len()],
            vec![0i64; z.len()],
            vec![],
            vec![],
            vec![],
        );
        let tol_base = p.sum_lo();
        for r in 0..z.len() / cols.max(1) {
            let zr = &z[r * cols..(r + 1) * cols];
            let kr: Vec<bool> = keep[r * cols..(r + 1) * cols]
                .iter()
                .map(|&k| k != 0)
                .collect();
            let (s, y) = zkattn_row(zr, Some(&kr), &p);
            for j in 0..cols {
                if kr[j] {
                    let d = s - zr[j];
                    lo[r * cols + j] = d & ((1 << p.lo_bits) - 1);
                    hi[r * cols + j] = d >> p.lo_bits;
                    if d < 0 || hi[r * cols + j] >= 1 << p.hi_bits {
                        return Err(CircuitError::Witness(format!(
                            "softmax node {id} '{}': row {r}, column {j}: shifted score {d} outside [0, 2^{})",
                            node.name,
                            p.lo_bits + p.hi_bits
                        )));
                    }
                }
            }
            let valid = kr.iter().any(|&k| k) as i64;
            let total: i64 = y.iter().sum();
            let s_prime = total - tol_base * valid;
            let u = 2 * p.tolerance * valid - s_prime;
            if s_prime < 0 || u < 0 {
                return Err(CircuitError::Witness(format!(
                    "softmax node {id} '{}': row {r} sums to {total}, outside the tolerance band",
                    node.name
                )));
            }
            shift.push(s);
            sum.push(s_prime);
            sum_hi.push(u);
        }
        let exp_fn = |v: i64| crate::quant::softmax_exp(v, p.f_in, p.f_out);
        let e: Vec<i64> = lo.iter().map(|&v| exp_fn(v)).collect();
        let delta: Vec<i64> = hi.iter().map(|&v| (v == 0) as i64).collect();
        aux[sp.shift] = layout::padded_ints(rows_shape, &shift);
        aux[sp.sum] = layout::padded_ints(rows_shape, &sum);
        aux[sp.sum_hi] = layout::padded_ints(rows_shape, &sum_hi);
        aux[sp.lo] = layout::padded_ints(&node.shape, &lo);
        aux[sp.hi] = layout::padded_ints(&node.shape, &hi);
        // Padding entries have lo = hi = 0, so E = exp(0) and Δ = 1 there.
        aux[sp.exp] = padded_with(&node.shape, &e, exp_fn(0));
        aux[sp.delta] = padded_with(&node.shape, &delta, 1);
    }
    for (id, rp) in plan.rescale.iter().enumerate() {
        let Some(rp) = rp else { continue };
        let node = &graph.nodes[id];
        let Op::Rescale { shift } = node.op else {
            unreachable!()
        };
        let x = wit.node(node.inputs[0]);
        let r: Vec<i64> = x.iter().map(|&v| rescale_remainder(v, shift)).collect();
        aux[rp.rem] = layout::padded_ints(&node.shape, &r);
        if let Some((hi, lo)) = rp.rem_limbs {
            let (h, l): (Vec<i64>, Vec<i64>) = r
                .iter()
                .map(|&v| crate::protocols::rescale::limbs::split(v, LIMB_BITS))
                .unzip();
            aux[hi] = layout::padded_ints(&node.shape, &h);
            aux[lo] = layout::padded_ints(&node.shape, &l);
        }
        if let Some((hi, lo)) = rp.limbs {
            let q = wit.node(id);
            let (h, l): (Vec<i64>, Vec<i64>) = q
                .iter()
                .map(|&v| crate::protocols::rescale::limbs::split(v, LIMB_BITS))
                .unzip();
            aux[hi] = layout::padded_ints(&node.shape, &h);
            aux[lo] = layout::padded_ints(&node.shape, &l);
        }
        if let Some(sp) = &rp.sat {
            let bits = node.quant.map_or(1, |q| q.bits);
            let parts: Vec<[i64; 4]> = x
                .iter()
                .map(|&v| super::saturation::split(crate::quant::rescale(v, shift), bits))
                .collect();
            let tensors = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind];
            for (k, &a) in tensors.iter().enumerate() {
                let col: Vec<i64> = parts.iter().map(|p| p[k]).collect();
                aux[a] = layout::padded_ints(&node.shape, &col);
            }
            for (limbs, k) in [(sp.pos_limbs, 0), (sp.neg_limbs, 2)] {
                let Some((hi, lo)) = limbs else { continue };
                let (h, l): (Vec<i64>, Vec<i64>) = parts
                    .iter()
                    .map(|p| crate::protocols::rescale::limbs::split(p[k], LIMB_BITS))
                    .unzip();
                aux[hi] = layout::padded_ints(&node.shape, &h);
                aux[lo] = layout::padded_ints(&node.shape, &l);
            }
        }
    }
    let mut out = Vec::new();
    for t in plan.committed_tensors() {
        out.push(match t {
            TensorRef::Node(id) => {
                let node = &graph.nodes[id];
                if plan.masked_output[id] {
                    let Op::Lookup { .. } = node.op else {
                        unreachable!()
                    };
                    let f0 = raw_pad(plan, id);
                    padded_with(&node.shape, wit.node(id), f0)
                } else {
                    layout::padded_ints(&node.shape, wit.node(id))
                }
            }
            TensorRef::Aux(a) => std::mem::take(&mut aux[a]),
        });
    }
    Ok(out)
}

/// The padding of a lookup node's raw committed output: `f(p)`, `p` its
/// input's padding ([`Plan::raw_pad`]).
pub(crate) fn raw_pad(plan: &Plan, id: usize) -> i64 {
    plan.raw_pad[id]
}

fn padded_with(shape: &[usize], values: &[i64], pad: i64) -> Vec<i64> {
    let mut t = vec![pad; 1 << num_vars(shape)];
    for (e, v) in values.iter().enumerate() {
        t[layout::padded_index(shape, e)] = *v;
    }
    t
}

fn to_fr(v: &[i64]) -> Vec<Fr> {
    crate::field::from_i64_slice(v)
}

/// The prover's walk in mode `M`: claims are `M::Known` (a value, or a value
/// and its blind), every message goes through the mode.
struct Walk<'a, M: Mode> {
    be: &'a dyn Backend,
    graph: &'a Graph,
    plan: &'a Plan,
    wit: &'a Witness<'a>,
    ctx: ProverCtx,
    t: Transcript,
    openings: OpeningProver<M>,
    /// Opening id of each weight / committed node, and of each auxiliary.
    node_tensor: Vec<Option<TensorId>>,
    aux_tensor: Vec<TensorId>,
    steps: Vec<Step<M>>,
    claims: super::ClaimStack<M::Known>,
    /// Per saturating rescale: the clamped counts (above, below).
    clamp_counts: Vec<[u64; 2]>,
}

/// Proves, in the clear, that `wit` is the quantized graph's run on
/// `stmt.ids` and that `stmt.logits` are its output at `stmt.position`.
/// `weights` are the setup commitments and hints of the weight nodes, in
/// node order. See [`prove_in`] for the zero-knowledge proof.
#[allow(clippy::too_many_arguments)]
pub fn prove<R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[(HyraxCommitment, HyraxHint)],
    vk_digest: &[u8; 32],
    wit: &Witness<'_>,
    stmt: &Statement,
    rng: &mut R,
    progress: &dyn Fn(&str, usize, usize),
) -> Result<CircuitProof, CircuitError> {
    prove_in::<Clear, R>(
        be, pcs, graph, plan, weights, vk_digest, wit, stmt, rng, progress,
    )
}

/// [`prove`] in mode `M` ([`crate::zk::Hidden`]: zero-knowledge).
#[allow(clippy::too_many_arguments)]
pub fn prove_in<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[(HyraxCommitment, HyraxHint)],
    vk_digest: &[u8; 32],
    wit: &Witness<'_>,
    stmt: &Statement,
    rng: &mut R,
    progress: &dyn Fn(&str, usize, usize),
) -> Result<CircuitProof<M>, CircuitError> {
    prove_inner::<M, R>(
        be,
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
        wit,
        stmt,
        Forgery::default(),
        rng,
        progress,
    )
}

/// Soundness-test hooks: what a cheating prover puts in place of the
/// honest prover's data. Everything not forged is computed honestly, so its
/// proofs are transcript-consistent forgeries; none must verify unless the
/// forged data is the honest data.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct Forgery {
    /// The committed tensors (see [`committed_values`]); the multiplicities
    /// then count only the entries that are in their tables.
    pub values: Option<Vec<Vec<i64>>>,
    /// The weights' padded tables (weight-node order), as a crafted key
    /// would commit them, e.g. with non-zero padding.
    pub weight_tables: Option<Vec<Vec<i64>>>,
    /// The clamp counts stated instead of the committed indicators' sums.
    pub clamp_counts: Option<Vec<[u64; 2]>>,
}

/// Soundness-test hook: a prover honest but for `forgery` (in the clear).
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn prove_forgery<R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[(HyraxCommitment, HyraxHint)],
    vk_digest: &[u8; 32],
    wit: &Witness<'_>,
    stmt: &Statement,
    forgery: Forgery,
    rng: &mut R,
) -> Result<CircuitProof, CircuitError> {
    prove_forgery_in::<Clear, R>(
        be, pcs, graph, plan, weights, vk_digest, wit, stmt, forgery, rng,
    )
}

/// Soundness-test hook: [`prove_forgery`] in mode `M`.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn prove_forgery_in<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[(HyraxCommitment, HyraxHint)],
    vk_digest: &[u8; 32],
    wit: &Witness<'_>,
    stmt: &Statement,
    forgery: Forgery,
    rng: &mut R,
) -> Result<CircuitProof<M>, CircuitError> {
    prove_inner::<M, R>(
        be,
        pcs,
        graph,
        plan,
        weights,
        vk_digest,
        wit,
        stmt,
        forgery,
        rng,
        &|_, _, _| {},
    )
}

/// Soundness-test hook: [`prove_forgery`] with only the committed tensors
/// forged (`values`).
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn prove_forged<R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[(HyraxCommitment, HyraxHint)],
    vk_digest: &[u8; 32],
    wit: &Witness<'_>,
    stmt: &Statement,
    values: Vec<Vec<i64>>,
    rng: &mut R,
) -> Result<CircuitProof, CircuitError> {
    let forgery = Forgery {
        values: Some(values),
        ..Forgery::default()
    };
    prove_forgery(
        be, pcs, graph, plan, weights, vk_digest, wit, stmt, forgery, rng,
    )
}

#[allow(clippy::too_many_arguments)]
fn prove_inner<M: Mode, R: RngCore + CryptoRng>(
    be: &dyn Backend,
    pcs: &Hyrax,
    graph: &Graph,
    plan: &Plan,
    weights: &[(HyraxCommitment, HyraxHint)],
    vk_digest: &[u8; 32],
    wit: &Witness<'_>,
    stmt: &Statement,
    forgery: Forgery,
    rng: &mut R,
    progress: &dyn Fn(&str, usize, usize),
) -> Result<CircuitProof<M>, CircuitError> {
    let Forgery {
        values,
        weight_tables,
        clamp_counts: stated_counts,
    } = forgery;
    let lenient = values.is_some();
    let values = match values {
        Some(v) => v,
        None => committed_values(graph, plan, wit, stmt)?,
    };
    let mut t = Transcript::new(b"zkllm-proof");
    absorb_statement(&mut t, vk_digest, graph, stmt);
    super::absorb_mode::<M>(&mut t);
    let mut openings = OpeningProver::<M>::in_mode();
    let mut node_tensor = vec![None; graph.nodes.len()];
    let weight_nodes: Vec<usize> = graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .map(|n| n.id)
        .collect();
    if weight_nodes.len() != weights.len() {
        return Err(CircuitError::Invalid(format!(
            "{} weight commitments for {} weight nodes",
            weights.len(),
            weight_nodes.len()
        )));
    }
    let mut forged_tables = weight_tables.map(|v| v.into_iter());
    for (id, (c, h)) in weight_nodes.iter().zip(weights) {
        let node = &graph.nodes[*id];
        let Some(Data::I64(v)) = &node.data else {
            return Err(CircuitError::unsupported(
                node,
                "weight without integer data",
            ));
        };
        c.absorb(b"weight", &mut t);
        let table = match forged_tables.as_mut().and_then(|f| f.next()) {
            Some(forged) => forged,
            None => layout::padded_ints(&node.shape, v),
        };
        node_tensor[*id] = Some(openings.add_small(table, c.clone(), h.clone()));
    }

    // Commit the plan's tensors, then the multiplicities.
    let tensors = plan.committed_tensors();
    let mut commitments = Vec::new();
    let mut aux_tensor = vec![0; plan.aux.len()];
    for (i, (tref, v)) in tensors.iter().zip(&values).enumerate() {
        progress("commit", i, tensors.len() + plan.tables.len());
        let nv = num_vars(plan.shape(graph, *tref));
        let (c, h) = pcs
            .commit_small(be, v, nv, rng)
            .map_err(|e| CircuitError::Witness(e.to_string()))?;
        c.absorb(b"tensor", &mut t);
        let id = openings.add_small(v.clone(), c.clone(), h);
        match tref {
            TensorRef::Node(n) => node_tensor[*n] = Some(id),
            TensorRef::Aux(a) => aux_tensor[*a] = id,
        }
        commitments.push(c);
    }
    let value_of = |r: TensorRef| &values[tensors.iter().position(|x| *x == r).expect("committed")];
    let mut mult_ids = Vec::new();
    let mut mults = Vec::new();
    for (ti, table) in plan.tables.iter().enumerate() {
        let uses: Vec<(&[i64], Option<&[i64]>)> = plan
            .lookups
            .iter()
            .filter(|u| u.table == ti)
            .map(|u| {
                (
                    value_of(u.x).as_slice(),
                    u.y.map(|y| value_of(y).as_slice()),
                )
            })
            .collect();
        let m = if lenient {
            let mut m = vec![0i64; table.len()];
            for (x, _) in &uses {
                for &v in x.iter().filter(|&&v| table.contains(v)) {
                    m[(v - table.lo) as usize] += 1;
                }
            }
            m
        } else {
            lookup::multiplicities(table, &uses)
                .map_err(|e| CircuitError::Witness(e.to_string()))?
        };
        let (c, h) = pcs
            .commit_small(be, &m, table.log_size as usize, rng)
            .map_err(|e| CircuitError::Witness(e.to_string()))?;
        c.absorb(b"multiplicities", &mut t);
        mults.push(to_fr(&m));
        mult_ids.push(openings.add_small(m, c.clone(), h));
        commitments.push(c);
    }
    // The clamp counts: how many ones each saturating rescale's indicators hold.
    let clamp_counts: Vec<[u64; 2]> = plan
        .saturating
        .iter()
        .map(|&id| {
            let sp = plan.rescale[id].as_ref().and_then(|r| r.sat.as_ref());
            let ones = |a: usize| value_of(TensorRef::Aux(a)).iter().sum::<i64>() as u64;
            sp.map_or([0, 0], |sp| [ones(sp.pos_ind), ones(sp.neg_ind)])
        })
        .collect();
    let clamp_counts = stated_counts.unwrap_or(clamp_counts);
    super::saturation::absorb_counts(&mut t, &clamp_counts);
    for (k, c) in super::padding::weight_zero_claims(graph, &mut t) {
        let tid = node_tensor[weight_nodes[k]].expect("weights registered");
        openings.claim(tid, public_claim::<M>(c));
    }

    let mut w = Walk::<M> {
        be,
        graph,
        plan,
        wit,
        ctx: ProverCtx::new(Pedersen::new(pcs.generators()), rng),
        t,
        openings,
        node_tensor,
        aux_tensor,
        steps: Vec::new(),
        claims: super::ClaimStack::new(graph.nodes.len()),
        clamp_counts: clamp_counts.clone(),
    };
    let start = match (plan.argmax, stmt.next_token) {
        (Some(ap), Some(token)) => w.argmax_output(ap, token, stmt)?,
        (None, None) => public_claim::<M>(output_claim(graph, stmt, &mut w.t)?),
        _ => {
            return Err(CircuitError::Invalid(
                "plan and statement disagree on the public output".into(),
            ))
        }
    };
    w.claims.push(graph.output, start);
    for id in (0..graph.nodes.len()).rev() {
        progress("prove", graph.nodes.len() - id, graph.nodes.len());
        w.node(id)?;
    }
    w.claims.finish(graph)?;

    // Lookups: one batched argument per table.
    let mut lookups = Vec::new();
    for (ti, table) in plan.tables.iter().enumerate() {
        progress("lookups", ti, plan.tables.len());
        let uses: Vec<_> = plan.lookups.iter().filter(|u| u.table == ti).collect();
        let xs: Vec<Vec<Fr>> = uses
            .iter()
            .map(|u| w.openings.table(w.tensor_id(u.x)).into_owned())
            .collect();
        let ys: Vec<Option<Vec<Fr>>> = uses
            .iter()
            .map(|u| u.y.map(|y| w.openings.table(w.tensor_id(y)).into_owned()))
            .collect();
        let wits: Vec<LookupWitness> = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| LookupWitness {
                len: x.len(),
                x,
                y: y.as_deref(),
            })
            .collect();
        let (proof, claims) =
            lookup::prove_in::<M>(&mut w.ctx, be, table, &wits, &mults[ti], &mut w.t);
        for (k, u) in uses.iter().enumerate() {
            w.openings.claim(w.tensor_id(u.x), claims.x[k].clone());
            if let Some(y) = u.y {
                let yc = claims.y[k].clone();
                w.openings.claim(w.tensor_id(y), yc);
            }
        }
        w.openings.claim(mult_ids[ti], claims.multiplicities);
        lookups.push(proof);
    }
    let Walk {
        openings,
        mut t,
        mut ctx,
        steps,
        ..
    } = w;
    progress("open", 0, 1);
    let openings = openings
        .prove_in(&mut ctx, be, pcs, &mut t)
        .map_err(|e| CircuitError::Witness(e.to_string()))?;
    let zero = ctx.finish(&mut t);
    Ok(CircuitProof {
        commitments,
        steps,
        lookups,
        openings,
        zero,
        clamp_counts,
    })
}

/// A claim whose value is public (the output, zero padding, a clamp count).
fn public_claim<M: Mode>(c: EvaluationClaim) -> EvaluationClaim<M::Known> {
    EvaluationClaim {
        point: c.point,
        value: M::public_known(c.value),
    }
}

impl<M: Mode> Walk<'_, M> {
    fn tensor_id(&self, r: TensorRef) -> TensorId {
        match r {
            TensorRef::Node(n) => self.node_tensor[n].expect("committed node"),
            TensorRef::Aux(a) => self.aux_tensor[a],
        }
    }

    /// The node's value as a padded table; a weight's is its committed table.
    fn table(&self, id: usize) -> Vec<Fr> {
        if matches!(self.graph.nodes[id].op, Op::Weight { .. }) {
            if let Some(tid) = self.node_tensor[id] {
                return self.openings.table(tid).into_owned();
            }
        }
        padded_table(&self.graph.nodes[id].shape, self.values(id))
    }

    /// `Σ c_k·v_k` of claimed values (public constants via
    /// [`Mode::public_known`]).
    fn lin(&self, terms: &[(Fr, M::Known)]) -> M::Known {
        M::combine_known(terms)
    }

    /// States the committed tensor `tid`'s value at `point` (one message),
    /// leaves the opening claim, and returns the prover's handle on it.
    fn state_at(&mut self, tid: TensorId, point: &[Fr], label: &'static [u8]) -> M::Known {
        let v = self.be.evaluate(&self.openings.table(tid), point);
        let k = M::fresh(&mut self.ctx, v);
        let sent = M::send(&self.ctx, &k);
        M::absorb_sent(&mut self.t, label, &sent);
        self.steps.push(Step::Value(sent));
        self.openings.claim(
            tid,
            EvaluationClaim {
                point: point.to_vec(),
                value: k,
            },
        );
        k
    }

    /// Hidden logits: states `L(u)` (the output claim), `G(r)`, `L_t` and
    /// `L(r)`; the verifier ties `G` to `L` at `r` and `L` to the output at `u`.
    fn argmax_output(
        &mut self,
        ap: ArgmaxPlan,
        token: usize,
        stmt: &Statement,
    ) -> Result<EvaluationClaim<M::Known>, CircuitError> {
        let pts = argmax_points(self.graph, stmt, token, &mut self.t)?;
        let mut vals = Vec::with_capacity(4);
        let mut sent = Vec::with_capacity(4);
        for &(aux, point) in pts.value_points(ap).iter() {
            let table = self.openings.table(self.aux_tensor[aux]).into_owned();
            let v = crate::poly::DenseMle::new(table).evaluate(point);
            let k = M::fresh(&mut self.ctx, v);
            let s = M::send(&self.ctx, &k);
            M::absorb_sent(&mut self.t, b"argmax-value", &s);
            vals.push(k);
            sent.push(s);
        }
        self.steps.push(Step::Values(sent));
        let (pv, pt) = argmax_gap_coeffs(ap.vocab, token, &pts.r);
        let one = Fr::from(1u64);
        let gap = self.lin(&[(pv, vals[2]), (-one, vals[3]), (-pt, M::public_known(one))]);
        M::prove_equal(&mut self.ctx, &vals[1], &gap);
        let (openings, output) = pts.claims(ap, &vals);
        for (aux, c) in openings {
            self.openings.claim(self.aux_tensor[aux], c);
        }
        Ok(output)
    }

    fn claim(&mut self, id: usize, c: EvaluationClaim<M::Known>) {
        self.claims.push(id, c);
    }

    fn scaled(&self, point: Vec<Fr>, v: &M::Known, s: Fr) -> EvaluationClaim<M::Known> {
        EvaluationClaim {
            point,
            value: self.lin(&[(s, *v)]),
        }
    }

    fn node(&mut self, id: usize) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let claims = self.claims.take(id);
        match node.op {
            Op::Input { .. } | Op::Constant => {
                // The verifier evaluates these itself: each claim is an equality.
                if !claims.is_empty() {
                    let table = padded_table(&node.shape, self.values(id));
                    for c in claims {
                        let v = self.be.evaluate(&table, &c.point);
                        M::prove_equal(&mut self.ctx, &c.value, &M::public_known(v));
                    }
                }
                return Ok(());
            }
            Op::Weight { .. } => {
                let tid = self.node_tensor[id].expect("weight registered");
                for c in claims {
                    self.openings.claim(tid, c);
                }
                return Ok(());
            }
            _ => {}
        }
        if self.plan.committed[id] {
            let tid = self.node_tensor[id].expect("committed");
            if self.plan.masked_output[id] {
                if let Some(c) = self.reduce(id, claims)? {
                    // node = raw ∘ (real-entry indicator)
                    let raw = self.openings.table(tid).into_owned();
                    let ind = padded_table(&node.shape, &vec![1; node.shape.iter().product()]);
                    let (proof, cl) = hadamard::prove_in::<M>(
                        &mut self.ctx,
                        self.be,
                        &[&raw, &ind],
                        &c,
                        &mut self.t,
                    );
                    self.steps.push(Step::Hadamard(proof));
                    let real = layout::real_indicator(&node.shape, &cl[1].point);
                    M::prove_equal(&mut self.ctx, &cl[1].value, &M::public_known(real));
                    self.openings.claim(tid, cl[0].clone());
                }
            } else {
                for c in claims {
                    self.openings.claim(tid, c);
                }
            }
            if matches!(node.op, Op::Lookup { .. }) {
                return Ok(()); // constrained by its lookup
            }
            // Start this node's own relation from a fresh random point.
            let rho = self
                .t
                .challenge_scalars(b"fresh-point", num_vars(&node.shape));
            let v = self.state_at(tid, &rho, b"stated-value");
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

    /// Several claims on an uncommitted node become one.
    fn reduce(
        &mut self,
        id: usize,
        mut claims: Vec<EvaluationClaim<M::Known>>,
    ) -> Result<Option<EvaluationClaim<M::Known>>, CircuitError> {
        match claims.len() {
            0 => Ok(None),
            1 => Ok(claims.pop()),
            _ => {
                let table = self.table(id);
                let points: Vec<Vec<Fr>> = claims.iter().map(|c| c.point.clone()).collect();
                let values: Vec<M::Known> = claims.iter().map(|c| c.value).collect();
                let (proof, c) = prove_multipoint_in::<M>(
                    &mut self.ctx,
                    self.be,
                    &table,
                    &points,
                    &values,
                    &mut self.t,
                )
                .map_err(|e| CircuitError::rejected(&self.graph.nodes[id], e))?;
                self.steps.push(Step::MultiPoint(proof));
                Ok(Some(c))
            }
        }
    }

    fn relation(&mut self, id: usize, c: EvaluationClaim<M::Known>) -> Result<(), CircuitError> {
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
        match &node.op {
            Op::EinSum { spec, .. } => {
                let (sa, sb) = (shape_of(ins[0]), shape_of(ins[1]));
                let ec = einsum_canon(spec, &sa, &sb);
                let a = layout::permute_table(&self.table(ins[0]), &sa, &ec.a_perm);
                let b = layout::permute_table(&self.table(ins[1]), &sb, &ec.b_perm);
                let cc = super::claim_maps::einsum_output(spec, &ec, &node.shape, &c);
                let (proof, mc) = matmul::prove_in::<M>(
                    &mut self.ctx,
                    self.be,
                    &ec.shape,
                    &a,
                    &b,
                    &cc,
                    &mut self.t,
                );
                self.steps.push(Step::MatMul(proof));
                let [ca, cb] = super::claim_maps::einsum_operands(spec, &ec, &mc);
                self.claim(ins[0], ca);
                self.claim(ins[1], cb);
            }
            Op::Add | Op::Sub => {
                let coeffs = super::claim_maps::add_sub_coeffs(matches!(node.op, Op::Sub));
                let tabs: Vec<Vec<Fr>> = ins
                    .iter()
                    .map(|&i| {
                        layout::broadcast_table(&g.nodes[i].shape, &node.shape, self.values(i))
                    })
                    .collect();
                let (proof, cl) = linear::prove_in::<M>(
                    &mut self.ctx,
                    self.be,
                    &coeffs,
                    &[&tabs[0], &tabs[1]],
                    &c,
                    &mut self.t,
                );
                self.steps.push(Step::Linear(proof));
                for (k, &i) in ins.iter().enumerate() {
                    self.unbroadcast(i, id, &cl[k])?;
                }
            }
            Op::Hadamard => {
                let tabs: Vec<Vec<Fr>> = ins
                    .iter()
                    .map(|&i| {
                        layout::broadcast_table(&g.nodes[i].shape, &node.shape, self.values(i))
                    })
                    .collect();
                let (proof, cl) = hadamard::prove_in::<M>(
                    &mut self.ctx,
                    self.be,
                    &[&tabs[0], &tabs[1]],
                    &c,
                    &mut self.t,
                );
                self.steps.push(Step::Hadamard(proof));
                for (k, &i) in ins.iter().enumerate() {
                    self.unbroadcast(i, id, &cl[k])?;
                }
            }
            Op::MulConst { q, .. } => {
                if *q == 0 {
                    M::prove_equal(&mut self.ctx, &c.value, &M::public_known(Fr::from(0u64)));
                } else {
                    let inv = ark_ff::Field::inverse(&from_i64(*q)).expect("non-zero");
                    let cl = self.scaled(c.point, &c.value, inv);
                    self.claim(ins[0], cl);
                }
            }
            Op::Rescale { shift } => {
                let rp = self.plan.rescale[id].clone().expect("planned");
                let stated = rp.stated();
                let mut vals = Vec::with_capacity(stated.len());
                let mut sent = Vec::with_capacity(stated.len());
                for &a in &stated {
                    let tid = self.aux_tensor[a];
                    let v = self.be.evaluate(&self.openings.table(tid), &c.point);
                    let k = M::fresh(&mut self.ctx, v);
                    let s = M::send(&self.ctx, &k);
                    M::absorb_sent(&mut self.t, b"rescale-value", &s);
                    self.openings.claim(
                        tid,
                        EvaluationClaim {
                            point: c.point.clone(),
                            value: k,
                        },
                    );
                    vals.push(k);
                    sent.push(s);
                }
                self.steps.push(Step::Values(sent));
                let at = |a: usize| vals[stated.iter().position(|&s| s == a).expect("stated")];
                let one = Fr::from(1u64);
                for ((hi, lo), whole, _) in rp.limb_pairs() {
                    let whole = whole.map_or(c.value, at);
                    let rec = self.lin(&[(pow2(LIMB_BITS), at(hi)), (one, at(lo))]);
                    M::prove_equal(&mut self.ctx, &rec, &whole);
                }
                let r = vals[0];
                let q = match &rp.sat {
                    Some(sp) => {
                        let [p, ip, n, in_] = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(at);
                        self.lin(&[(one, c.value), (one, p), (one, ip), (-one, n), (-one, in_)])
                    }
                    None => c.value,
                };
                if let Some(sp) = rp.sat.clone() {
                    self.saturation(id, &sp)?;
                }
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
            | Op::Concat { .. } => unreachable!("handled before"),
            Op::Norm { .. } | Op::Mask(_) => {
                return Err(CircuitError::unsupported(node, "float-only op"))
            }
        }
        Ok(())
    }

    /// The node's values (weights and constants from the graph).
    fn values(&self, id: usize) -> &[i64] {
        match &self.graph.nodes[id].data {
            Some(Data::I64(v)) => v,
            _ => self.wit.node(id),
        }
    }

    fn unbroadcast(
        &mut self,
        input: usize,
        out: usize,
        c: &EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let (si, so) = (&self.graph.nodes[input].shape, &self.graph.nodes[out].shape);
        let (p, inv) = layout::unbroadcast_point(si, so, &c.point).ok_or_else(|| {
            CircuitError::rejected(&self.graph.nodes[out], "degenerate broadcast point")
        })?;
        let cl = self.scaled(p, &c.value, inv);
        self.claim(input, cl);
        Ok(())
    }

    fn select(
        &mut self,
        id: usize,
        sels: Vec<index_map::Selection>,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let ins = self.graph.nodes[id].inputs.clone();
        let tabs: Vec<Vec<Fr>> = ins.iter().map(|&i| self.table(i)).collect();
        let refs: Vec<&[Fr]> = tabs.iter().map(|t| t.as_slice()).collect();
        let (proof, cl) =
            index_map::prove_select_in::<M>(&mut self.ctx, self.be, &sels, &refs, &c, &mut self.t);
        self.steps.push(Step::Select(proof));
        for (i, cc) in ins.into_iter().zip(cl) {
            self.claim(i, cc);
        }
        Ok(())
    }

    /// One of the circuit's own sumchecks; returns its point and the
    /// claims on the tables not marked `public`.
    fn instance(
        &mut self,
        tables: Vec<Vec<Fr>>,
        sop: &SumOfProducts,
        claim: M::Known,
        public: &[bool],
    ) -> (Vec<Fr>, Vec<M::Known>) {
        let (proof, point, vals) = prove_instance::<M>(
            &mut self.ctx,
            self.be,
            tables,
            sop,
            claim,
            public,
            &mut self.t,
        );
        self.steps.push(Step::Sumcheck(proof));
        (point, vals)
    }

    fn embedding(&mut self, id: usize, c: EvaluationClaim<M::Known>) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let (w_id, ids_id) = (node.inputs[0], node.inputs[1]);
        let ws = self.graph.nodes[w_id].shape.clone();
        let (v, d) = (ws[0], ws[1]);
        let ld = crate::poly::num_vars_for(d);
        let (u_d, u_t) = c.point.split_at(ld);
        let w = self.table(w_id);
        let vp = 1usize << crate::poly::num_vars_for(v);
        let e_d = self
            .be
            .fold_axis(&w, vp, 1 << ld, 1, &self.be.eq_table(u_d));
        let ids = self.values(ids_id);
        let ids_shape = self.graph.nodes[ids_id].shape.clone();
        let eq_t = eq_table(u_t);
        let mut gsel = vec![Fr::from(0u64); vp];
        for (e, &tok) in ids.iter().enumerate() {
            gsel[tok as usize] += eq_t[layout::padded_index(&ids_shape, e)];
        }
        let mut point = u_d.to_vec();
        let (r, vals) = self.instance(
            vec![e_d, gsel],
            &SumOfProducts::product(2),
            c.value,
            &[false, true],
        );
        point.extend_from_slice(&r);
        self.claim(
            w_id,
            EvaluationClaim {
                point,
                value: vals[0],
            },
        );
        Ok(())
    }

    /// Rotary: `y = x∘C + rotate_half(x)∘S` by one eq-weighted sumcheck; the
    /// rotated operand is a signed selection of `x`.
    fn rotary(
        &mut self,
        id: usize,
        half: usize,
        interleaved: bool,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let shape = node.shape.clone();
        let ins = node.inputs.clone();
        let x = self.table(ins[0]);
        let sel = super::rotary_selection(&shape, half, interleaved);
        let mut xr = vec![Fr::from(0u64); x.len()];
        sel.apply(&x, &mut xr);
        let cs =
            layout::broadcast_table(&self.graph.nodes[ins[1]].shape, &shape, self.values(ins[1]));
        let sn =
            layout::broadcast_table(&self.graph.nodes[ins[2]].shape, &shape, self.values(ins[2]));
        let tables = vec![self.be.eq_table(&c.point), x.clone(), cs, xr, sn];
        let (r, vals) = self.instance(
            tables,
            &super::rotary_sop(),
            c.value,
            &[true, false, false, false, false],
        );
        let at = |k: usize| EvaluationClaim {
            point: r.clone(),
            value: vals[k],
        };
        self.claim(ins[0], at(0));
        self.unbroadcast(ins[1], id, &at(1))?;
        self.unbroadcast(ins[2], id, &at(3))?;
        // The rotated operand: a selection of x.
        let (proof, cl) = index_map::prove_select_in::<M>(
            &mut self.ctx,
            self.be,
            &[sel],
            &[&x],
            &at(2),
            &mut self.t,
        );
        self.steps.push(Step::Select(proof));
        self.claim(ins[0], cl[0].clone());
        Ok(())
    }

    /// The clamp of a saturating rescale ([`super::saturation`]): the
    /// zero-check at a fresh point, and the clamp counts' openings.
    fn saturation(&mut self, id: usize, sp: &super::plan::SatPlan) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let (top, bot) = super::saturation::edges(bits);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let ytid = self.tensor_id(TensorRef::Node(id));
        let y = self.openings.table(ytid).into_owned();
        let ids = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(|a| self.aux_tensor[a]);
        let mut tables = vec![self.be.eq_table(&rho)];
        tables.extend(ids.iter().map(|&t| self.openings.table(t).into_owned()));
        tables.push(y.iter().map(|&v| from_i64(top) - v).collect());
        tables.push(y.iter().map(|&v| v - from_i64(bot)).collect());
        let sop = super::saturation::zero_check(lambda);
        let zero = M::public_known(Fr::from(0u64));
        let mut public = vec![false; sop.num_tables()];
        public[0] = true;
        let (r, vals) = self.instance(tables, &sop, zero, &public);
        // vals: P', I_P, N', I_N, top − Y, Y − bot. The last two are one
        // claim on Y: (top − Y) + (Y − bot) = top − bot.
        let one = Fr::from(1u64);
        let sum = self.lin(&[(one, vals[4]), (one, vals[5])]);
        M::prove_equal(&mut self.ctx, &sum, &M::public_known(from_i64(top - bot)));
        let yv = self.lin(&[(-one, vals[4]), (from_i64(top), M::public_known(one))]);
        for (k, &tid) in ids.iter().enumerate() {
            self.openings.claim(
                tid,
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k],
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
        let counts = self.clamp_counts[sp.index];
        for (tid, count) in [(ids[1], counts[0]), (ids[3], counts[1])] {
            let cc = public_claim::<M>(super::saturation::count_claim(nv, count));
            self.openings.claim(tid, cc);
        }
        Ok(())
    }

    /// zkAttn: `y = M∘E∘Δ`, row sums in the tolerance band, and
    /// `M∘(ẑ − z) = lo + 2^b·hi` (see [`crate::quant::zkattn_row`]).
    fn softmax(&mut self, id: usize, c: EvaluationClaim<M::Known>) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let sp = self.plan.softmax[id].clone().expect("planned");
        let p = sp.params;
        let shape = node.shape.clone();
        let cols = *shape.last().unwrap_or(&1);
        let lc = crate::poly::num_vars_for(cols);
        let nv = num_vars(&shape);
        let keep = softmax_mask(node);
        let mask = padded_table(&shape, &keep);
        let aux = self.aux_tensor.clone();
        let tid = |a: usize| aux[a];
        let one = Fr::from(1u64);
        // 1. Row sums at a fresh point w (on the rows): S'(w) and U(w),
        // with S' + U = 2·tol·valid (both range-checked by lookups).
        let w = self.t.challenge_scalars(b"softmax-rows", nv - lc);
        let s_prime = self.state_at(tid(sp.sum), &w, b"softmax-row-sum");
        let u = self.state_at(tid(sp.sum_hi), &w, b"softmax-row-sum");
        let valid = padded_table(&self.plan.aux[sp.sum].shape, &row_valid(&keep, cols));
        let v_w = self.be.evaluate(&valid, &w);
        let band = self.lin(&[(one, s_prime), (one, u)]);
        M::prove_equal(
            &mut self.ctx,
            &band,
            &M::public_known(from_i64(2 * p.tolerance) * v_w),
        );
        let base = from_i64(p.sum_lo());
        // 2. One sumcheck for the claim on y and the row sums.
        let lambda = self.t.challenge_scalar(b"softmax-lambda");
        let eq_u = self.be.eq_table(&c.point);
        let eq_w = self.be.eq_table(&w);
        let gtab: Vec<Fr> = (0..1usize << nv)
            .map(|x| eq_u[x] + lambda * eq_w[x >> lc])
            .collect();
        let e_tab = self.openings.table(tid(sp.exp)).into_owned();
        let d_tab = self.openings.table(tid(sp.delta)).into_owned();
        let claim = self.lin(&[
            (one, c.value),
            (lambda, s_prime),
            (lambda * base * v_w, M::public_known(one)),
        ]);
        let (r, vals) = self.instance(
            vec![gtab, mask.clone(), e_tab, d_tab],
            &SumOfProducts::product(4),
            claim,
            &[true, true, false, false],
        );
        for (a, k) in [(sp.exp, 0), (sp.delta, 1)] {
            self.openings.claim(
                tid(a),
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k],
                },
            );
        }
        // 3. The digits decompose the masked shifted scores.
        let rho = self.t.challenge_scalars(b"softmax-digits", nv);
        let lo = self.state_at(tid(sp.lo), &rho, b"softmax-digit");
        let hi = self.state_at(tid(sp.hi), &rho, b"softmax-digit");
        let shift_tab = self.openings.table(tid(sp.shift)).into_owned();
        let z = self.table(node.inputs[0]);
        let h: Vec<Fr> = (0..1usize << nv)
            .map(|x| shift_tab[x >> lc] - z[x])
            .collect();
        let claim = self.lin(&[(one, lo), (pow2(p.lo_bits), hi)]);
        let (r, vals) = self.instance(
            vec![self.be.eq_table(&rho), mask, h],
            &SumOfProducts::product(3),
            claim,
            &[true, true, false],
        );
        // h(r) = ẑ(r_rows) − z(r): ẑ is stated, z's claim is the difference.
        let zhat = self.state_at(tid(sp.shift), &r[lc..], b"softmax-shift");
        let zv = self.lin(&[(one, zhat), (-one, vals[0])]);
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
