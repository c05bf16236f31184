//! The whole-model circuit: proves every op of a quantized [`Graph`], from
//! the public token ids to the public logits, by walking the graph from the
//! output back to the inputs and reducing claims op by op (see the design's
//! "Claim flow"). Nothing the prover computes is taken on trust: every claim
//! ends in a commitment opening, a public value the verifier computes, or
//! the public output.
//!
//! Order of a proof (prover and verifier alike):
//! 1. absorb the statement (verifying-key digest, token ids, position, logits);
//! 2. commit the tensors of the [`plan::Plan`] and the lookup multiplicities;
//! 3. walk the nodes from the last to the first, turning claims on each
//!    node into claims on its inputs ([`prover`], [`verifier`]; each op's
//!    two halves side by side in one file of `ops/`);
//! 4. one lookup argument for every table (`protocols::lookup`);
//! 5. one batched opening per commitment size (weights included).

pub mod layout;
pub mod memory;
mod ops;
pub mod padding;
pub mod plan;
pub mod proof;
pub mod prover;
pub mod saturation;
pub mod verifier;

pub use plan::Plan;
pub use proof::{AnyProof, CircuitProof};
pub use prover::{
    committed_values, prove, prove_forged, prove_forgery, prove_forgery_in, prove_in, Forgery,
};
pub use verifier::{verify, verify_any, verify_in};

use thiserror::Error;

use crate::field::{from_i64, Fr};
use crate::ir::{EinsumSpec, Graph, Node, Op};
use crate::protocols::matmul::MatMulShape;
use crate::transcript::Transcript;
use plan::ArgmaxPlan;

#[derive(Debug, Error)]
pub enum CircuitError {
    #[error("node {node} '{name}' ({op}): {why}")]
    Unsupported {
        node: usize,
        name: String,
        op: &'static str,
        why: String,
    },
    #[error("witness: {0}")]
    Witness(String),
    #[error("proof rejected at node {node} '{name}' ({op}): {why}")]
    Rejected {
        node: usize,
        name: String,
        op: &'static str,
        why: String,
    },
    #[error("proof rejected: {0}")]
    Invalid(String),
}

impl CircuitError {
    pub fn unsupported(node: &Node, why: &str) -> Self {
        CircuitError::Unsupported {
            node: node.id,
            name: node.name.clone(),
            op: node.op.kind(),
            why: why.to_string(),
        }
    }

    pub fn rejected(node: &Node, why: impl ToString) -> Self {
        CircuitError::Rejected {
            node: node.id,
            name: node.name.clone(),
            op: node.op.kind(),
            why: why.to_string(),
        }
    }
}

/// The public statement: padded token ids, the last prompt position, and the
/// published logits (integers at the output's scale): that position's row,
/// or with `all_positions` every position's (`seq × vocab`, row-major).
/// With `next_token`, the logits stay hidden (`logits` is empty) and the
/// proof shows that the token is the first maximum of that position's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub ids: Vec<i64>,
    pub position: usize,
    pub all_positions: bool,
    pub logits: Vec<i64>,
    pub next_token: Option<usize>,
}

impl Statement {
    /// The logits of the last prompt position.
    pub fn last_logits(&self) -> &[i64] {
        if self.all_positions {
            let vocab = self.logits.len() / self.ids.len().max(1);
            &self.logits[self.position * vocab..(self.position + 1) * vocab]
        } else {
            &self.logits
        }
    }
}

/// The rescales that saturate, in node order: the order of a proof's clamp
/// counts (as [`Plan::saturating`]).
pub fn saturating_rescales(graph: &Graph) -> Vec<usize> {
    if !graph.saturating {
        return Vec::new();
    }
    graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Rescale { .. }))
        .map(|n| n.id)
        .collect()
}

/// The scale of the published logits, `2^-frac_bits`: the output node's
/// format in the key. Part of the statement: the transcript absorbs it and
/// `verify` refuses a proof file that states another.
pub fn logit_frac_bits(graph: &Graph) -> i32 {
    graph
        .nodes
        .get(graph.output)
        .and_then(|n| n.quant)
        .map_or(0, |q| q.frac_bits)
}

pub(crate) fn absorb_statement(
    t: &mut Transcript,
    vk_digest: &[u8; 32],
    graph: &Graph,
    s: &Statement,
) {
    t.append_bytes(b"vk-digest", vk_digest);
    t.append_u64(b"logit-frac-bits", logit_frac_bits(graph) as i64 as u64);
    t.append_u64(b"ids-len", s.ids.len() as u64);
    let ids: Vec<u8> = s.ids.iter().flat_map(|v| v.to_le_bytes()).collect();
    t.append_bytes(b"ids", &ids);
    t.append_u64(b"position", s.position as u64);
    t.append_u64(b"all-positions", s.all_positions as u64);
    let logits: Vec<u8> = s.logits.iter().flat_map(|v| v.to_le_bytes()).collect();
    t.append_bytes(b"logits", &logits);
    t.append_u64(b"next-token", s.next_token.map_or(u64::MAX, |v| v as u64));
}

/// The output's `(seq, vocab)`, checked to be `[1, …, 1, seq, vocab]`.
/// Absorbs which kind of proof this is (zero-knowledge or clear) before any
/// challenge: a proof cannot be replayed as the other kind.
pub(crate) fn absorb_mode<M: crate::zk::Mode>(t: &mut Transcript) {
    t.append_u64(b"zero-knowledge", M::ZERO_KNOWLEDGE as u64);
}

pub(crate) fn output_dims(graph: &Graph) -> Result<(usize, usize), CircuitError> {
    let shape = &graph.nodes[graph.output].shape;
    let rank = shape.len();
    if rank < 2 || shape[..rank - 2].iter().any(|&d| d != 1) {
        return Err(CircuitError::Invalid(format!(
            "output shape {shape:?} is not [1, seq, vocab]"
        )));
    }
    Ok((shape[rank - 2], shape[rank - 1]))
}

/// The Boolean point of index `i` on `n` variables (low bit first).
pub(crate) fn bits_point(i: usize, n: usize) -> Vec<Fr> {
    (0..n).map(|b| Fr::from(((i >> b) & 1) as u64)).collect()
}

/// Hidden logits: the challenge points of [`argmax_points`].
pub(crate) struct ArgmaxPoints {
    /// Where the committed logits meet the output (vocabulary axis).
    pub u: Vec<Fr>,
    /// Where the gaps are tied to the logits.
    pub r: Vec<Fr>,
    /// The Boolean point of the token.
    pub token: Vec<Fr>,
    /// The claim point on the output node: `u`, then the Boolean point of `position`.
    pub output: Vec<Fr>,
}

impl ArgmaxPoints {
    /// The stated values `[L(u), G(r), L_t, L(r)]`, each an opening of an
    /// auxiliary tensor of `ap`: `(aux index, point)` in that order.
    pub fn value_points(&self, ap: ArgmaxPlan) -> [(usize, &[Fr]); 4] {
        [
            (ap.logits, &self.u),
            (ap.gap, &self.r),
            (ap.logits, &self.token),
            (ap.logits, &self.r),
        ]
    }

    /// The opening claims the stated values make (by aux index), and the
    /// claim on the output node (`L(u)` at `u` and the position).
    pub fn claims<V: Clone>(
        &self,
        ap: ArgmaxPlan,
        vals: &[V],
    ) -> (
        Vec<(usize, crate::sumcheck::EvaluationClaim<V>)>,
        crate::sumcheck::EvaluationClaim<V>,
    ) {
        use crate::sumcheck::EvaluationClaim;
        let openings = self
            .value_points(ap)
            .iter()
            .zip(vals)
            .map(|(&(aux, point), value)| {
                let point = point.to_vec();
                let value = value.clone();
                (aux, EvaluationClaim { point, value })
            })
            .collect();
        let output = EvaluationClaim {
            point: self.output.clone(),
            value: vals[0].clone(),
        };
        (openings, output)
    }
}

pub(crate) fn argmax_points(
    graph: &Graph,
    s: &Statement,
    token: usize,
    t: &mut Transcript,
) -> Result<ArgmaxPoints, CircuitError> {
    let (seq, vocab) = output_dims(graph)?;
    if s.position >= seq || token >= vocab || !s.logits.is_empty() || s.all_positions {
        return Err(CircuitError::Invalid(
            "next-token statement does not match the model's output shape".into(),
        ));
    }
    let lv = crate::poly::num_vars_for(vocab);
    let u = t.challenge_scalars(b"output-point", lv);
    let r = t.challenge_scalars(b"argmax-point", lv);
    let mut output = u.clone();
    output.extend(bits_point(s.position, crate::poly::num_vars_for(seq)));
    Ok(ArgmaxPoints {
        u,
        r,
        token: bits_point(token, lv),
        output,
    })
}

/// `G(r)` from the logits is `L_t·[j < vocab](r) − L(r) − [j < t](r)`;
/// returns the two prefix indicators at `r` (public: the verifier evaluates
/// them itself), `([j < vocab](r), [j < t](r))`.
pub(crate) fn argmax_gap_coeffs(vocab: usize, token: usize, r: &[Fr]) -> (Fr, Fr) {
    use crate::protocols::linear::prefix_indicator;
    (prefix_indicator(r, vocab), prefix_indicator(r, token))
}

/// The claim on the output node that the public logits make: at a random
/// point `u` of the vocabulary axis and the Boolean point of `position` on
/// the sequence axis (all other axes have size 1).
pub(crate) fn output_claim(
    graph: &Graph,
    s: &Statement,
    t: &mut Transcript,
) -> Result<crate::sumcheck::EvaluationClaim, CircuitError> {
    let (seq, vocab) = output_dims(graph)?;
    if s.next_token.is_some() {
        return Err(CircuitError::Invalid(
            "a next-token statement has no public logits".into(),
        ));
    }
    let expected = if s.all_positions { seq * vocab } else { vocab };
    if s.position >= seq || s.logits.len() != expected {
        return Err(CircuitError::Invalid(
            "public output does not match the model's output shape".into(),
        ));
    }
    let lv = crate::poly::num_vars_for(vocab);
    let ls = crate::poly::num_vars_for(seq);
    let u = t.challenge_scalars(b"output-point", lv);
    let (point, value) = if s.all_positions {
        let v = t.challenge_scalars(b"output-positions", ls);
        let table = layout::padded_table(&[seq, vocab], &s.logits);
        let point: Vec<Fr> = u.iter().chain(&v).copied().collect();
        (
            point.clone(),
            crate::poly::DenseMle::new(table).evaluate(&point),
        )
    } else {
        let table = layout::padded_table(&[vocab], &s.logits);
        let value = crate::poly::DenseMle::new(table).evaluate(&u);
        let mut point = u;
        point.extend(bits_point(s.position, ls));
        (point, value)
    };
    Ok(crate::sumcheck::EvaluationClaim { point, value })
}

/// An einsum in the matmul gadget's canonical form: operands permuted to
/// `[batch, m, k]` and `[batch, k, n]`, the output to `[batch, m, n]`
/// (axes grouped; per-axis padding makes a group a concatenation of bits).
pub(crate) struct EinsumCanon {
    pub shape: MatMulShape,
    pub a_axes: Vec<char>,
    pub b_axes: Vec<char>,
    pub c_axes: Vec<char>,
    pub a_perm: Vec<usize>,
    pub b_perm: Vec<usize>,
    pub a_shape: Vec<usize>,
    pub b_shape: Vec<usize>,
}

pub(crate) fn einsum_canon(spec: &EinsumSpec, a: &[usize], b: &[usize]) -> EinsumCanon {
    let size = |c: char| {
        spec.a
            .iter()
            .position(|&x| x == c)
            .map(|i| a[i])
            .or_else(|| spec.b.iter().position(|&x| x == c).map(|i| b[i]))
            .unwrap_or(1)
    };
    let in_a = |c: &char| spec.a.contains(c);
    let in_b = |c: &char| spec.b.contains(c);
    let batch: Vec<char> = spec
        .out
        .iter()
        .copied()
        .filter(|c| in_a(c) && in_b(c))
        .collect();
    let m: Vec<char> = spec
        .out
        .iter()
        .copied()
        .filter(|c| in_a(c) && !in_b(c))
        .collect();
    let n: Vec<char> = spec
        .out
        .iter()
        .copied()
        .filter(|c| in_b(c) && !in_a(c))
        .collect();
    let k: Vec<char> = spec
        .a
        .iter()
        .copied()
        .filter(|c| in_b(c) && !spec.out.contains(c))
        .collect();
    // Size-1 axes of one operand only (no variables): kept in front of their operand.
    let lone = |ops: &[char], other: &[char]| -> Vec<char> {
        ops.iter()
            .copied()
            .filter(|c| !other.contains(c) && !spec.out.contains(c))
            .collect()
    };
    let (a_lone, b_lone) = (lone(&spec.a, &spec.b), lone(&spec.b, &spec.a));
    let out_lone: Vec<char> = spec
        .out
        .iter()
        .copied()
        .filter(|c| !in_a(c) && !in_b(c))
        .collect();
    let logs = |cs: &[char]| {
        cs.iter()
            .map(|&c| crate::poly::num_vars_for(size(c)))
            .sum::<usize>()
    };
    let cat = |x: &[char], y: &[char], z: &[char]| [x, y, z].concat();
    let a_axes = [a_lone, cat(&batch, &m, &k)].concat();
    let b_axes = [b_lone, cat(&batch, &k, &n)].concat();
    let c_axes = [out_lone, cat(&batch, &m, &n)].concat();
    let perm = |from: &[char], to: &[char]| -> Vec<usize> {
        to.iter()
            .map(|c| from.iter().position(|f| f == c).expect("axis present"))
            .collect()
    };
    EinsumCanon {
        shape: MatMulShape {
            log_b: logs(&batch),
            log_m: logs(&m),
            log_k: logs(&k),
            log_n: logs(&n),
        },
        a_perm: perm(&spec.a, &a_axes),
        b_perm: perm(&spec.b, &b_axes),
        a_shape: a_axes.iter().map(|&c| size(c)).collect(),
        b_shape: b_axes.iter().map(|&c| size(c)).collect(),
        a_axes,
        b_axes,
        c_axes,
    }
}

/// The softmax keep-mask broadcast to the scores' shape (1 = kept).
pub(crate) fn softmax_mask(node: &Node) -> Vec<i64> {
    let total: usize = node.shape.iter().product();
    match &node.op {
        Op::Softmax { mask: Some(m), .. } => {
            crate::ir::shape_maps::broadcast_index_map(&m.shape, &node.shape)
                .iter()
                .map(|&i| m.keep[i] as i64)
                .collect()
        }
        _ => vec![1; total],
    }
}

/// Per row: 1 if any entry is kept.
pub(crate) fn row_valid(mask: &[i64], cols: usize) -> Vec<i64> {
    mask.chunks(cols.max(1))
        .map(|r| r.iter().any(|&k| k != 0) as i64)
        .collect()
}

/// `2^e` as a field element.
pub(crate) fn pow2(e: u32) -> Fr {
    from_i64(1i64 << e)
}

/// Seed of the public generators (anyone can recompute them).
pub const GENERATOR_SEED: &str = "zkllm-hyrax-v1";

/// Variables of the largest stack a proof commits: at most this many
/// tensors' entries share one Hyrax matrix and its opening.
pub const MAX_STACK_VARS: usize = 24;

/// Variables of every tensor a proof commits, in commitment order: the
/// plan's committed tensors, then one multiplicity vector per table.
pub fn proof_tensor_vars(graph: &Graph, plan: &Plan) -> Vec<usize> {
    let tensors = plan
        .committed_tensors()
        .into_iter()
        .map(|t| layout::num_vars(plan.shape(graph, t)));
    let tables = plan.tables.iter().map(|t| t.log_size as usize);
    tensors.chain(tables).collect()
}

/// The proof's stacks: runs of [`proof_tensor_vars`], each one commitment.
pub fn proof_stacks(graph: &Graph, plan: &Plan) -> Vec<std::ops::Range<usize>> {
    crate::claims::stack::runs(&proof_tensor_vars(graph, plan), MAX_STACK_VARS)
}

/// Variables of every weight node's padded table, in node order.
pub fn weight_vars(graph: &Graph) -> Vec<usize> {
    graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .map(|n| layout::num_vars(&n.shape))
        .collect()
}

/// Routes the opening ids of a proof's stacked tensors (in
/// [`proof_tensor_vars`] order): each committed tensor's id to its node or
/// auxiliary; returns the auxiliaries' ids and the multiplicities' ids.
/// Prover and verifier route alike.
pub(crate) fn route_stacked_ids(
    plan: &Plan,
    ids: &[crate::claims::TensorId],
    node_tensor: &mut [Option<crate::claims::TensorId>],
) -> (Vec<crate::claims::TensorId>, Vec<crate::claims::TensorId>) {
    let tensors = plan.committed_tensors();
    let mut aux_tensor = vec![0; plan.aux.len()];
    for (tref, id) in tensors.iter().zip(ids) {
        match tref {
            plan::TensorRef::Node(n) => node_tensor[*n] = Some(*id),
            plan::TensorRef::Aux(a) => aux_tensor[*a] = *id,
        }
    }
    (aux_tensor, ids[tensors.len()..].to_vec())
}

/// The key's weight stacks: runs of [`weight_vars`], each one commitment.
pub fn weight_stacks(graph: &Graph) -> Vec<std::ops::Range<usize>> {
    crate::claims::stack::runs(&weight_vars(graph), MAX_STACK_VARS)
}

/// Variables of each stack's table, for tensors of `sizes` cut in `runs`.
pub fn stack_vars(sizes: &[usize], runs: &[std::ops::Range<usize>]) -> Vec<usize> {
    runs.iter()
        .map(|run| crate::claims::StackLayout::new(&sizes[run.clone()]).num_vars())
        .collect()
}

/// How many times (as a power of two) a proof's commitment rows are wider
/// than the square of the largest table: a stack of `2^n` entries takes
/// `2^(n/2 - 1)` row points instead of `2^(n/2)` (bytes in the proof and
/// points the verifier decodes), for one more inner-product round per
/// opening and 4× the generators (derived once and cached). 2 (rows 4×
/// wider) measured worse on llama_dynamo at 8 and 64 tokens: ZK prove
/// 2.87/7.76 s against 2.38/7.35 s, verify 0.35/0.42 s against 0.31/0.37 s
/// (the longer argument and its generator MSM), for 3–5% fewer bytes.
pub const ROW_WIDENING: usize = 1;

/// The size (in variables) the generators are set up for: the largest
/// table the key or a proof of `graph` commits (a stack of weights or of
/// the proof's tensors), widened by [`ROW_WIDENING`].
pub fn generator_vars(graph: &Graph, plan: &Plan) -> usize {
    let weights = weight_vars(graph);
    let tensors = proof_tensor_vars(graph, plan);
    let w = stack_vars(&weights, &weight_stacks(graph));
    let p = stack_vars(&tensors, &proof_stacks(graph, plan));
    let largest = w.into_iter().chain(p).max().unwrap_or(0);
    largest + 2 * ROW_WIDENING
}

/// Commits the weight nodes (padded, small-scalar MSMs) in stacks of node
/// order ([`weight_stacks`]): one commitment and hint per stack.
pub fn commit_weights<R: ark_std::rand::RngCore + ark_std::rand::CryptoRng>(
    be: &dyn crate::backend::Backend,
    pcs: &crate::commit::Hyrax,
    graph: &Graph,
    rng: &mut R,
    progress: &dyn Fn(&str, usize, usize),
) -> Result<Vec<(crate::commit::HyraxCommitment, crate::commit::HyraxHint)>, CircuitError> {
    let tables = weight_tables(graph)?;
    let runs = weight_stacks(graph);
    let key_rows = crate::claims::folds::key_row_width(&weight_vars(graph));
    let mut out = Vec::with_capacity(runs.len());
    for (k, run) in runs.iter().enumerate() {
        progress("commit weights", k, runs.len());
        let refs: Vec<&[i64]> = tables[run.clone()].iter().map(|t| t.as_slice()).collect();
        let c = crate::claims::commit_stack(be, pcs, &refs, key_rows, rng)
            .map_err(|e| CircuitError::Invalid(format!("weight stack {k}: {e}")))?;
        out.push(c);
    }
    Ok(out)
}

/// Every weight node's padded integer table, in node order.
pub fn weight_tables(graph: &Graph) -> Result<Vec<Vec<i64>>, CircuitError> {
    graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .map(|node| match &node.data {
            Some(crate::ir::Data::I64(v)) => Ok(layout::padded_ints(&node.shape, v)),
            _ => Err(CircuitError::unsupported(
                node,
                "weight without integer data",
            )),
        })
        .collect()
}

/// A key stack's weights read where the graph keeps them (a key file's
/// memory map, or memory), in rows of their last axis at the rows' padded
/// positions: what the openings' row folds read
/// ([`crate::claims::SmallTensors`]), with no padded copy of any weight.
pub struct WeightRows {
    tensors: Vec<(Vec<usize>, crate::ir::stored::StoredInts)>,
}

impl WeightRows {
    /// The weights of `nodes` (weight nodes of `graph`, in stack order).
    pub fn new(graph: &Graph, nodes: &[usize]) -> Result<Self, CircuitError> {
        let tensors = (nodes.iter().map(|&id| &graph.nodes[id]))
            .map(|node| {
                let ints = match &node.data {
                    Some(crate::ir::Data::Stored(s)) => s.clone(),
                    Some(crate::ir::Data::I64(v)) => crate::ir::stored::StoredInts::from_values(v),
                    _ => {
                        return Err(CircuitError::unsupported(
                            node,
                            "weight without integer data",
                        ))
                    }
                };
                if ints.len() != crate::ir::numel(&node.shape) {
                    return Err(CircuitError::unsupported(node, "weight of the wrong size"));
                }
                Ok((node.shape.clone(), ints))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { tensors })
    }
}

/// Entries per row of a tensor of `shape` (its last axis).
fn row_len(shape: &[usize]) -> usize {
    shape.last().copied().unwrap_or(1)
}

impl crate::claims::SmallTensors for WeightRows {
    fn runs(&self, slot: usize) -> usize {
        let (shape, ints) = &self.tensors[slot];
        match row_len(shape) {
            0 => 0,
            d => ints.len() / d,
        }
    }
    fn run(&self, slot: usize, k: usize, buf: &mut Vec<i64>) -> usize {
        let (shape, ints) = &self.tensors[slot];
        let d = row_len(shape);
        ints.read(k * d, d, buf);
        layout::padded_index(shape, k * d)
    }
}

/// The rotary sumcheck's shape over `[eq, x, cos, rot(x), sin]`.
pub(crate) fn rotary_sop() -> crate::poly::SumOfProducts {
    crate::poly::SumOfProducts::new(
        5,
        vec![
            (Fr::from(1u64), vec![0, 1, 2]),
            (Fr::from(1u64), vec![0, 3, 4]),
        ],
    )
}

/// `rot(x)` of [`crate::ir::Op::Rotary`] along the last axis (size `2·half`)
/// of a tensor of `shape`, as a signed selection in the padded layout.
pub(crate) fn rotary_selection(
    shape: &[usize],
    half: usize,
    interleaved: bool,
) -> crate::protocols::index_map::Selection {
    use crate::protocols::index_map::{SelectEntry, Selection};
    let d = *shape.last().unwrap_or(&1);
    let total: usize = shape.iter().product();
    let entries = (0..total)
        .map(|e| {
            let j = e % d;
            let (pj, negate) = crate::ir::shape_maps::rotary_partner(j, half, interleaved);
            let src = e - j + pj;
            SelectEntry {
                out: layout::padded_index(shape, e) as u32,
                src: layout::padded_index(shape, src) as u32,
                negate,
            }
        })
        .collect();
    let nv = layout::num_vars(shape);
    Selection {
        in_vars: nv,
        out_vars: nv,
        entries,
    }
}

/// Claim maps shared by prover and verifier, so both move points the same way.
pub(crate) mod claim_maps {
    use super::{layout, pow2};
    use crate::field::Fr;
    use crate::protocols::index_map::{self, reshape_is_free, Selection};
    use crate::sumcheck::EvaluationClaim;

    /// `[1, ±1]`: the coefficients of `Add` and `Sub`.
    pub fn add_sub_coeffs(subtract: bool) -> [Fr; 2] {
        let one = Fr::from(1u64);
        [one, if subtract { -one } else { one }]
    }

    /// A claim on `Sum{axis}` (the axis kept with size 1) is a claim on the
    /// input with that axis at `(½, …, ½)`, scaled by `2^{-l}`: padding is
    /// zero. Returns the input's point and the scale.
    pub fn sum_input(
        out_shape: &[usize],
        in_shape: &[usize],
        axis: usize,
        point: &[Fr],
    ) -> (Vec<Fr>, Fr) {
        let l = crate::poly::num_vars_for(in_shape[axis]);
        let mut bl: Vec<Vec<Fr>> = layout::blocks(out_shape, point)
            .iter()
            .map(|b| b.to_vec())
            .collect();
        let half = ark_ff::Field::inverse(&Fr::from(2u64)).expect("2 is invertible");
        bl[axis] = vec![half; l];
        let refs: Vec<&[Fr]> = bl.iter().map(|b| b.as_slice()).collect();
        let scale = ark_ff::Field::inverse(&pow2(l as u32)).expect("non-zero");
        (layout::join(&refs), scale)
    }

    /// `None` when the reshape keeps every padded index (the claim passes
    /// through), else the selection that proves it.
    pub fn reshape_selection(in_shape: &[usize], out_shape: &[usize]) -> Option<Selection> {
        let free = reshape_is_free(in_shape, out_shape)
            && layout::num_vars(in_shape) == layout::num_vars(out_shape);
        (!free).then(|| index_map::reshape(in_shape, out_shape))
    }

    /// The claim on an einsum's output in the canonical `[batch, m, n]` order.
    pub fn einsum_output<V: Clone>(
        spec: &crate::ir::EinsumSpec,
        ec: &super::EinsumCanon,
        out_shape: &[usize],
        c: &EvaluationClaim<V>,
    ) -> EvaluationClaim<V> {
        EvaluationClaim {
            point: layout::reorder_point(&c.point, out_shape, &spec.out, &ec.c_axes),
            value: c.value.clone(),
        }
    }

    /// The matmul gadget's operand claims, back in each operand's axis order.
    pub fn einsum_operands<V: Clone>(
        spec: &crate::ir::EinsumSpec,
        ec: &super::EinsumCanon,
        mc: &crate::protocols::matmul::MatMulClaims<V>,
    ) -> [EvaluationClaim<V>; 2] {
        [
            EvaluationClaim {
                point: layout::reorder_point(&mc.a.point, &ec.a_shape, &ec.a_axes, &spec.a),
                value: mc.a.value.clone(),
            },
            EvaluationClaim {
                point: layout::reorder_point(&mc.b.point, &ec.b_shape, &ec.b_axes, &spec.b),
                value: mc.b.value.clone(),
            },
        ]
    }

    /// What a free index op does with a claim on its output.
    pub enum IndexStep {
        /// One claim per input, no prover message: its point, and the
        /// scale of the output's claimed value that it claims.
        Pass(Vec<(Vec<Fr>, Fr)>),
        /// A selection sumcheck per input.
        Select(Vec<Selection>),
    }

    /// The claim maps of the index ops (sum, reshape, permute, slice, concat);
    /// `None` for every other op.
    pub fn index_step(
        op: &crate::ir::Op,
        out_shape: &[usize],
        in_shapes: &[Vec<usize>],
        point: &[Fr],
    ) -> Option<IndexStep> {
        use crate::ir::Op;
        let one = Fr::from(1u64);
        Some(match op {
            Op::Sum { axis } => {
                IndexStep::Pass(vec![sum_input(out_shape, &in_shapes[0], *axis, point)])
            }
            Op::Reshape => match reshape_selection(&in_shapes[0], out_shape) {
                None => IndexStep::Pass(vec![(point.to_vec(), one)]),
                Some(sel) => IndexStep::Select(vec![sel]),
            },
            Op::Permute { perm } => IndexStep::Pass(vec![(
                index_map::permute_point(&in_shapes[0], perm, point),
                one,
            )]),
            Op::Slice {
                axis,
                start,
                end,
                step,
            } => IndexStep::Select(vec![index_map::slice(
                &in_shapes[0],
                *axis,
                *start,
                crate::ir::shape_maps::slice_len(*start, *end, *step),
                *step,
            )]),
            Op::Concat { axis } => IndexStep::Select(index_map::concat(in_shapes, *axis)),
            _ => return None,
        })
    }
}

/// The claims waiting on each node during the walk from the output back to
/// the inputs. A claim may only go to a node not yet walked (a smaller id):
/// one pushed onto a walked node would never be checked, so it is recorded
/// with the node it came from and [`ClaimStack::finish`] fails. The key's
/// graph check ([`crate::ir::check`]) already refuses forward references;
/// this is the always-on check that nothing slips past the walk anyway.
pub(crate) struct ClaimStack<V = Fr> {
    claims: Vec<Vec<crate::sumcheck::EvaluationClaim<V>>>,
    /// The node being walked; claims go to smaller ids.
    walking: usize,
    /// `(target, source)` of claims pushed onto walked nodes.
    stray: Vec<(usize, usize)>,
}

impl<V> ClaimStack<V> {
    pub fn new(nodes: usize) -> Self {
        Self {
            claims: (0..nodes).map(|_| Vec::new()).collect(),
            walking: nodes,
            stray: Vec::new(),
        }
    }

    /// Claims on node `id`, which is walked now.
    pub fn take(&mut self, id: usize) -> Vec<crate::sumcheck::EvaluationClaim<V>> {
        self.walking = id;
        self.claims
            .get_mut(id)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    pub fn push(&mut self, id: usize, c: crate::sumcheck::EvaluationClaim<V>) {
        if id >= self.walking || id >= self.claims.len() {
            self.stray.push((id, self.walking));
        } else {
            self.claims[id].push(c);
        }
    }

    /// Fails naming the first claim that was produced and never discharged.
    pub fn finish(&self, graph: &Graph) -> Result<(), CircuitError> {
        let name = |id: usize| {
            graph
                .nodes
                .get(id)
                .map(|n| format!("{id} '{}' ({})", n.name, n.op.kind()))
                .unwrap_or_else(|| format!("{id} (no such node)"))
        };
        if let Some(&(to, from)) = self.stray.first() {
            return Err(CircuitError::Invalid(format!(
                "a claim on node {} produced by node {} was never discharged (it names a node already walked)",
                name(to),
                name(from)
            )));
        }
        if let Some(id) = self.claims.iter().position(|c| !c.is_empty()) {
            return Err(CircuitError::Invalid(format!(
                "a claim on node {} was never discharged",
                name(id)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Quant;

    fn graph(n: usize) -> Graph {
        let mut g = Graph::default();
        for i in 0..n {
            let id = g.push(format!("n{i}"), Op::Constant, vec![], vec![1]);
            g.nodes[id].quant = Some(Quant {
                bits: 8,
                frac_bits: 0,
            });
        }
        g
    }

    fn claim() -> crate::sumcheck::EvaluationClaim {
        crate::sumcheck::EvaluationClaim {
            point: vec![],
            value: Fr::from(1u64),
        }
    }

    /// A claim onto a node already walked is never checked by the walk:
    /// the stack names it and where it came from.
    #[test]
    fn a_claim_on_a_walked_node_fails_the_walk() {
        let g = graph(4);
        let mut st = ClaimStack::new(4);
        st.push(3, claim());
        assert_eq!(st.take(3).len(), 1);
        st.push(2, claim());
        assert_eq!(st.take(2).len(), 1);
        st.push(3, claim()); // from node 2 back onto node 3
        st.take(1);
        st.take(0);
        let e = st.finish(&g).unwrap_err().to_string();
        assert!(e.contains("node 3 'n3'"), "{e}");
        assert!(e.contains("produced by node 2 'n2'"), "{e}");
        assert!(e.contains("never discharged"), "{e}");
    }

    #[test]
    fn a_claim_left_on_a_node_fails_the_walk() {
        let g = graph(3);
        let mut st = ClaimStack::new(3);
        st.take(2);
        st.push(1, claim());
        st.push(0, claim());
        st.take(1);
        let e = st.finish(&g).unwrap_err().to_string();
        assert!(e.contains("node 0 'n0'"), "{e}");
        st.take(0);
        st.finish(&g).expect("every claim taken");
        let mut st = ClaimStack::new(3);
        st.push(7, claim());
        assert!(st
            .finish(&g)
            .unwrap_err()
            .to_string()
            .contains("no such node"));
    }
}
