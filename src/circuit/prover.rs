//! The circuit prover: commits, walks the graph backwards, proves lookups,
//! opens. Mirrors [`super::verifier`] step by step.

use ark_std::rand::{CryptoRng, RngCore};

use super::layout::{self, num_vars, padded_table};
use super::plan::{Plan, TensorRef, LIMB_BITS};
use super::proof::{CircuitProof, Step};
use super::{absorb_statement, output_claim, softmax_mask, CircuitError, Statement};
use crate::backend::Backend;
use crate::claims::commit_stack;
use crate::claims::{prove_multipoint_in, OpeningProver, TensorId};
use crate::commit::RowWidth;
use crate::commit::{Hyrax, HyraxCommitment, HyraxHint};
use crate::field::Fr;
use crate::ir::{Data, Graph, Op};
use crate::poly::SumOfProducts;
use crate::protocols::hadamard;
use crate::protocols::lookup::{self, LookupWitness};
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
        let z = wit.ints(graph, node.inputs[0]);
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
        let x = wit.ints(graph, node.inputs[0]);
        let r: Vec<i64> = x.iter().map(|&v| rescale_remainder(v, shift)).collect();
        put_ranged(&mut aux, &rp.rem, &node.shape, &r);
        if let Some(limbs) = &rp.limbs {
            put_limbs(&mut aux, limbs, &node.shape, &wit.ints(graph, id));
        }
        if let Some(sp) = &rp.sat {
            let bits = node.quant.map_or(1, |q| q.bits);
            let (sign, excess): (Vec<i64>, Vec<i64>) = x
                .iter()
                .map(|&v| {
                    let [s, e] = super::saturation::split(crate::quant::rescale(v, shift), bits);
                    (s, e)
                })
                .unzip();
            aux[sp.sign] = layout::padded_ints(&node.shape, &sign);
            put_ranged(&mut aux, &sp.excess, &node.shape, &excess);
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
                    padded_with(&node.shape, &wit.ints(graph, id), f0)
                } else {
                    layout::padded_ints(&node.shape, &wit.ints(graph, id))
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

/// The inputs (and outputs) of every lookup into table `ti`, from the
/// committed tensors' `values` in [`Plan::committed_tensors`] order.
pub fn lookup_inputs<'v>(
    plan: &Plan,
    values: &'v [Vec<i64>],
    ti: usize,
) -> Vec<(&'v [i64], Option<&'v [i64]>)> {
    let tensors = plan.committed_tensors();
    let value_of = |r: TensorRef| {
        let k = tensors.iter().position(|x| *x == r).expect("committed");
        values[k].as_slice()
    };
    (plan.lookups.iter())
        .filter(|u| u.table == ti)
        .map(|u| (value_of(u.x), u.y.map(value_of)))
        .collect()
}

/// Writes the limbs of `values` (of `shape`) into their auxiliaries, one
/// column per limb (no per-value allocation: this runs over every entry of
/// every wide rescale).
fn put_limbs(aux: &mut [Vec<i64>], limbs: &[usize], shape: &[usize], values: &[i64]) {
    let mut cols = vec![Vec::with_capacity(values.len()); limbs.len()];
    for &v in values {
        // Low limbs peeled from the bottom; what is left is the top limb.
        let mut rest = v;
        for col in cols[1..].iter_mut().rev() {
            let (hi, lo) = crate::protocols::rescale::limbs::split(rest, LIMB_BITS);
            col.push(lo);
            rest = hi;
        }
        cols[0].push(rest);
    }
    for (&a, col) in limbs.iter().zip(&cols) {
        aux[a] = layout::padded_ints(shape, col);
    }
}

/// A [`Ranged`](super::plan::Ranged) value's committed parts: the value
/// itself, or its limbs.
fn put_ranged(aux: &mut [Vec<i64>], r: &super::plan::Ranged, shape: &[usize], values: &[i64]) {
    match r {
        super::plan::Ranged::Whole(a) => aux[*a] = layout::padded_ints(shape, values),
        super::plan::Ranged::Limbs(l) => put_limbs(aux, l, shape, values),
    }
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
pub(super) struct Walk<'a, M: Mode> {
    pub(super) be: &'a dyn Backend,
    pub(super) graph: &'a Graph,
    pub(super) plan: &'a Plan,
    pub(super) wit: &'a Witness<'a>,
    pub(super) ctx: ProverCtx,
    pub(super) t: Transcript,
    pub(super) openings: OpeningProver<M>,
    /// Opening id of each weight / committed node, and of each auxiliary.
    pub(super) node_tensor: Vec<Option<TensorId>>,
    pub(super) aux_tensor: Vec<TensorId>,
    pub(super) steps: Vec<Step<M>>,
    pub(super) claims: super::ClaimStack<M::Known>,
    /// Per saturating rescale: the clamped counts (above, below).
    pub(super) clamp_counts: Vec<[u64; 2]>,
    /// Saturating rescales met in the walk whose clamp sumcheck is proven
    /// after it, batched ([`super::saturation::batches`]).
    pub(super) pending_clamps: Vec<super::ops::rescale::PendingClamp<M::Known>>,
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
    /// The clamp counts stated instead of the committed signs' counts.
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
    let weight_runs = super::weight_stacks(graph);
    if weight_runs.len() != weights.len() {
        return Err(CircuitError::Invalid(format!(
            "{} weight commitments for {} weight stacks",
            weights.len(),
            weight_runs.len()
        )));
    }
    let weight_sizes = super::weight_vars(graph);
    let mut forged_tables = weight_tables.map(|t| t.into_iter());
    for (run, (c, h)) in weight_runs.iter().zip(weights) {
        c.absorb(b"weight", &mut t);
        let tables: Box<dyn crate::claims::SmallTensors> = match forged_tables.as_mut() {
            Some(forged) => Box::new(forged.by_ref().take(run.len()).collect::<Vec<_>>()),
            None => Box::new(super::WeightRows::new(graph, &weight_nodes[run.clone()])?),
        };
        let ids = openings.add_key_stack(tables, &weight_sizes[run.clone()], c.clone(), h.clone());
        for (node, id) in weight_nodes[run.clone()].iter().zip(ids) {
            node_tensor[*node] = Some(id);
        }
    }

    // The multiplicities, then the plan's tensors and the multiplicities
    // committed in stacks (few Hyrax matrices; the layout is the plan's).
    let tensors = plan.committed_tensors();
    let value_of = |r: TensorRef| &values[tensors.iter().position(|x| *x == r).expect("committed")];
    let mut mults = Vec::new();
    let mut mult_tables = Vec::new();
    for (ti, table) in plan.tables.iter().enumerate() {
        let uses = lookup_inputs(plan, &values, ti);
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
        mults.push(to_fr(&m));
        mult_tables.push(m);
    }
    let committed: Vec<&Vec<i64>> = values.iter().chain(&mult_tables).collect();
    let runs = super::proof_stacks(graph, plan);
    let mut commitments = Vec::with_capacity(runs.len());
    let mut ids = Vec::with_capacity(committed.len());
    for (k, run) in runs.iter().enumerate() {
        progress("commit", k, runs.len());
        let tables: Vec<&[i64]> = committed[run.clone()]
            .iter()
            .map(|v| v.as_slice())
            .collect();
        let (c, h) = commit_stack(be, pcs, &tables, RowWidth::Widest, rng)
            .map_err(|e| CircuitError::Witness(e.to_string()))?;
        c.absorb(b"stack", &mut t);
        let owned = committed[run.clone()]
            .iter()
            .map(|v| (*v).clone())
            .collect();
        ids.extend(openings.add_stack(owned, c.clone(), h));
        commitments.push(c);
    }
    let (aux_tensor, mult_ids) = super::route_stacked_ids(plan, &ids, &mut node_tensor);
    // The clamp counts: how many +1 and −1 each saturating rescale's sign holds.
    let clamp_counts: Vec<[u64; 2]> = plan
        .saturating
        .iter()
        .map(|&id| {
            let sp = plan.rescale[id].as_ref().and_then(|r| r.sat.as_ref());
            sp.map_or([0, 0], |sp| {
                let s = value_of(TensorRef::Aux(sp.sign));
                let count = |v: i64| s.iter().filter(|&&x| x == v).count() as u64;
                [count(1), count(-1)]
            })
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
        pending_clamps: Vec::new(),
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
    w.clamps()?;

    // Lookups: every table's trees in one batch, then each table's checks.
    progress("lookups", 0, 1);
    let uses = plan.uses_by_table();
    let column = |r: TensorRef| w.openings.table(w.tensor_id(r)).into_owned();
    let xs: Vec<Vec<Vec<Fr>>> = (uses.iter())
        .map(|us: &Vec<&_>| us.iter().map(|u| column(u.x)).collect())
        .collect();
    let ys: Vec<Vec<Option<Vec<Fr>>>> = (uses.iter())
        .map(|us: &Vec<&_>| us.iter().map(|u| u.y.map(column)).collect())
        .collect();
    let batch: Vec<lookup::TableLookups> = (plan.tables.iter().enumerate())
        .map(|(ti, table)| lookup::TableLookups {
            table,
            inputs: (xs[ti].iter().zip(&ys[ti]))
                .map(|(x, y)| LookupWitness {
                    len: x.len(),
                    x,
                    y: y.as_deref(),
                })
                .collect(),
            m: &mults[ti],
        })
        .collect();
    let (lookups, claims) = lookup::prove_in::<M>(&mut w.ctx, be, &batch, &mut w.t);
    drop(batch);
    drop((xs, ys));
    for (ti, claims) in claims.into_iter().enumerate() {
        for (k, u) in uses[ti].iter().enumerate() {
            w.openings.claim(w.tensor_id(u.x), claims.x[k].clone());
            if let Some(y) = u.y {
                let yc = claims.y[k].clone();
                w.openings.claim(w.tensor_id(y), yc);
            }
        }
        w.openings.claim(mult_ids[ti], claims.multiplicities);
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
pub(super) fn public_claim<M: Mode>(c: EvaluationClaim) -> EvaluationClaim<M::Known> {
    EvaluationClaim {
        point: c.point,
        value: M::public_known(c.value),
    }
}

impl<M: Mode> Walk<'_, M> {
    pub(super) fn tensor_id(&self, r: TensorRef) -> TensorId {
        match r {
            TensorRef::Node(n) => self.node_tensor[n].expect("committed node"),
            TensorRef::Aux(a) => self.aux_tensor[a],
        }
    }

    /// A weight's small integers as the key's openings hold them (the
    /// tables its commitment was made of) and its slot there.
    pub(super) fn key_tensors(
        &self,
        id: usize,
    ) -> Option<(&dyn crate::claims::SmallTensors, usize)> {
        if !matches!(self.graph.nodes[id].op, Op::Weight { .. }) {
            return None;
        }
        self.openings.key_tensors(self.node_tensor[id]?)
    }

    /// The node's value as a padded table; a weight's is its committed table.
    pub(super) fn table(&self, id: usize) -> Vec<Fr> {
        if matches!(self.graph.nodes[id].op, Op::Weight { .. }) {
            if let Some(tid) = self.node_tensor[id] {
                return self.openings.table(tid).into_owned();
            }
        }
        padded_table(&self.graph.nodes[id].shape, &self.values(id))
    }

    /// `Σ c_k·v_k` of claimed values (public constants via
    /// [`Mode::public_known`]).
    pub(super) fn lin(&self, terms: &[(Fr, M::Known)]) -> M::Known {
        M::combine_known(terms)
    }

    /// States the committed tensor `tid`'s value at `point` (one message),
    /// leaves the opening claim, and returns the prover's handle on it.
    pub(super) fn state_at(
        &mut self,
        tid: TensorId,
        point: &[Fr],
        label: &'static [u8],
    ) -> M::Known {
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

    pub(super) fn claim(&mut self, id: usize, c: EvaluationClaim<M::Known>) {
        self.claims.push(id, c);
    }

    pub(super) fn scaled(&self, point: Vec<Fr>, v: &M::Known, s: Fr) -> EvaluationClaim<M::Known> {
        EvaluationClaim {
            point,
            value: self.lin(&[(s, *v)]),
        }
    }

    pub(super) fn node(&mut self, id: usize) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let claims = self.claims.take(id);
        match node.op {
            Op::Input { .. } | Op::Constant => {
                // The verifier evaluates these itself: each claim is an equality.
                if !claims.is_empty() {
                    let table = padded_table(&node.shape, &self.values(id));
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
    pub(super) fn reduce(
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

    pub(super) fn relation(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Known>,
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
            | Op::Concat { .. } => unreachable!("handled before"),
            Op::Norm { .. } | Op::Mask(_) => {
                return Err(CircuitError::unsupported(node, "float-only op"))
            }
        }
        Ok(())
    }

    /// The node's values (weights and constants from the graph; a stored
    /// weight read out whole).
    pub(super) fn values(&self, id: usize) -> std::borrow::Cow<'_, [i64]> {
        match &self.graph.nodes[id].data {
            Some(d @ (Data::I64(_) | Data::Stored(_))) => d.ints().expect("integers"),
            _ => self.wit.ints(self.graph, id),
        }
    }

    /// One of the circuit's own sumchecks; returns its point and the
    /// claims on the tables not marked `public`.
    pub(super) fn instance(
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
}
