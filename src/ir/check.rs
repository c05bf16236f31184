//! The structural check of a quantized graph read from a key.
//!
//! A verifying key is written by the model owner, who may be the adversary:
//! the verifier walks the graph from the output back to the input and pushes
//! each node's claims onto the nodes it names, so a forward reference, a
//! missing input or a shape the gadget does not expect would let a claim be
//! dropped unchecked. [`check_graph`] is run on every key before any use; it
//! re-derives every node's shape from its inputs (shape inference) and
//! compares, so the verifier's walk can index without panicking and every
//! gadget sees exactly the operands it was written for.
//!
//! Rules, each named in the error:
//! - ids equal positions; every input has a smaller id;
//! - each op has exactly the inputs it takes, of the kind it needs (the
//!   embedding's table is a weight, its ids the public input or a constant);
//! - the output shape is what shape inference gives from the inputs;
//! - `input` is the one `Input` node and `output` is in range;
//! - every node is quantized, widths and scales are in the supported range,
//!   rescale shifts are at least 1, weight and constant data (where present)
//!   have one entry per element;
//! - float-only ops (`Norm`, `Mask`) do not appear.
//!
//! Widths and table sizes that a gadget supports are checked by
//! [`crate::circuit::Plan::new`], which key loading runs next.

use std::fmt;

use super::shape::{align_rank, broadcast_shape, numel, slice_len};
use super::{Data, Func, Graph, Node, Op};

/// Largest padded tensor the circuit handles (variables of its MLE).
pub const MAX_TENSOR_VARS: usize = 40;
/// Widest fixed-point integer a node may declare: the widest exact value
/// the witness computes in `i64` (the quantizer's exact accumulators, e.g.
/// a 24-bit activation times a 16-bit weight over 1,536 terms: 50 bits).
/// Every such value is far below the field's size, and each range-checked
/// value has its own, narrower limit in [`crate::circuit::Plan::new`].
pub const MAX_BITS: u32 = 62;
/// Largest magnitude of a scale exponent.
pub const MAX_FRAC_BITS: i32 = 64;

/// A rule of [`check_graph`] that a graph breaks: the node (when the rule is
/// about one) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    pub node: Option<usize>,
    pub name: String,
    pub op: &'static str,
    pub rule: String,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node {
            Some(id) => write!(f, "node {id} '{}' ({}): {}", self.name, self.op, self.rule),
            None => write!(f, "graph: {}", self.rule),
        }
    }
}

impl std::error::Error for GraphError {}

fn graph_err(rule: impl Into<String>) -> GraphError {
    GraphError {
        node: None,
        name: String::new(),
        op: "",
        rule: rule.into(),
    }
}

/// Whether weights carry their integer data (a proving key) or none (a
/// verifying key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightData {
    Present,
    Absent,
    /// Either (the verifier's walk, which never reads weight data).
    Any,
}

/// Checks every rule of the module doc; the first rule broken is returned.
pub fn check_graph(g: &Graph, weights: WeightData) -> Result<(), GraphError> {
    if g.nodes.is_empty() {
        return Err(graph_err("no nodes"));
    }
    for (pos, node) in g.nodes.iter().enumerate() {
        if node.id != pos {
            return Err(graph_err(format!(
                "node at position {pos} has id {}",
                node.id
            )));
        }
        check_node(g, node, weights)?;
    }
    if g.input >= g.nodes.len() {
        return Err(graph_err(format!(
            "input index {} out of range ({} nodes)",
            g.input,
            g.nodes.len()
        )));
    }
    if !matches!(g.nodes[g.input].op, Op::Input { .. }) {
        return Err(graph_err(format!(
            "input index {} names a {} node, not an Input",
            g.input,
            g.nodes[g.input].op.kind()
        )));
    }
    if let Some(other) = g
        .nodes
        .iter()
        .find(|n| matches!(n.op, Op::Input { .. }) && n.id != g.input)
    {
        return Err(graph_err(format!(
            "second Input node {} (only node {} is the input)",
            other.id, g.input
        )));
    }
    if g.output >= g.nodes.len() {
        return Err(graph_err(format!(
            "output index {} out of range ({} nodes)",
            g.output,
            g.nodes.len()
        )));
    }
    let out = &g.nodes[g.output].shape;
    let rank = out.len();
    if rank < 2 || out[..rank - 2].iter().any(|&d| d != 1) {
        return Err(graph_err(format!(
            "output shape {out:?} is not [1, seq, vocab]"
        )));
    }
    Ok(())
}

fn check_node(g: &Graph, node: &Node, weights: WeightData) -> Result<(), GraphError> {
    let err = |rule: String| GraphError {
        node: Some(node.id),
        name: node.name.clone(),
        op: node.op.kind(),
        rule,
    };
    for &i in &node.inputs {
        if i >= node.id {
            return Err(err(format!(
                "input {i} is not an earlier node (inputs must have smaller ids)"
            )));
        }
    }
    let q = node
        .quant
        .ok_or_else(|| err("not quantized (no fixed-point format)".into()))?;
    if q.bits == 0 || q.bits > MAX_BITS || q.frac_bits.abs() > MAX_FRAC_BITS {
        return Err(err(format!(
            "fixed-point format {} bits at 2^-{} is outside 1..={MAX_BITS} bits, |scale| ≤ {MAX_FRAC_BITS}",
            q.bits, q.frac_bits
        )));
    }
    check_size(&node.shape).map_err(err)?;
    let arity = |n: usize| -> Result<(), GraphError> {
        if node.inputs.len() == n {
            Ok(())
        } else {
            Err(err(format!(
                "takes {n} input(s), has {}",
                node.inputs.len()
            )))
        }
    };
    let shape_of = |k: usize| &g.nodes[node.inputs[k]].shape;
    let frac_of = |k: usize| g.nodes[node.inputs[k]].quant.map(|q| q.frac_bits);
    let expect_shape = |want: Option<Vec<usize>>, what: &str| -> Result<(), GraphError> {
        match want {
            Some(w) if w == node.shape => Ok(()),
            Some(w) => Err(err(format!(
                "shape {:?}, but {what} gives {w:?}",
                node.shape
            ))),
            None => Err(err(format!("inputs do not fit: {what} has no shape"))),
        }
    };
    let data_len = |d: &Option<Data>| match d {
        Some(Data::I64(v)) => Ok(Some(v.len())),
        Some(Data::Stored(v)) => Ok(Some(v.len())),
        Some(Data::F32(_)) => Err(err("float data in a quantized graph".into())),
        None => Ok(None),
    };
    if !matches!(node.op, Op::Weight { .. } | Op::Constant) && node.data.is_some() {
        return Err(err(
            "carries tensor data but is not a weight or constant".into()
        ));
    }
    match &node.op {
        Op::Input { .. } => {
            arity(0)?;
            if q.frac_bits != 0 {
                return Err(err("token ids must have scale 2^0".into()));
            }
        }
        Op::Weight { .. } => {
            arity(0)?;
            match (data_len(&node.data)?, weights) {
                (Some(n), WeightData::Present) if n == numel(&node.shape) => {}
                (None, WeightData::Absent | WeightData::Any) => {}
                (Some(n), WeightData::Any) if n == numel(&node.shape) => {}
                (Some(n), WeightData::Present | WeightData::Any) => {
                    return Err(err(format!(
                        "{n} data entries for a tensor of {} entries",
                        numel(&node.shape)
                    )))
                }
                (None, WeightData::Present) => return Err(err("weight without data".into())),
                (Some(_), WeightData::Absent) => {
                    return Err(err("a verifying key carries no weight data".into()))
                }
            }
        }
        Op::Constant => {
            arity(0)?;
            match data_len(&node.data)? {
                Some(n) if n == numel(&node.shape) => {}
                Some(n) => {
                    return Err(err(format!(
                        "{n} data entries for a tensor of {} entries",
                        numel(&node.shape)
                    )))
                }
                None => return Err(err("constant without data".into())),
            }
        }
        Op::Embedding => {
            arity(2)?;
            let (table, ids) = (&g.nodes[node.inputs[0]], &g.nodes[node.inputs[1]]);
            if !matches!(table.op, Op::Weight { .. }) {
                return Err(err("the embedding table (input 0) is not a weight".into()));
            }
            if !matches!(ids.op, Op::Input { .. } | Op::Constant) {
                return Err(err(
                    "the token ids (input 1) are not the public input or a constant".into(),
                ));
            }
            if table.shape.len() != 2 {
                return Err(err(format!(
                    "embedding table shape {:?} is not [vocab, dim]",
                    table.shape
                )));
            }
            let mut want = ids.shape.clone();
            want.push(table.shape[1]);
            expect_shape(Some(want), "ids shape ++ [dim]")?;
        }
        Op::EinSum {
            spec,
            weight_operand,
        } => {
            arity(2)?;
            if !spec.validate() {
                return Err(err(format!("einsum spec {spec} repeats an axis")));
            }
            if let Some(w) = weight_operand {
                if *w > 1 || !matches!(g.nodes[node.inputs[*w]].op, Op::Weight { .. }) {
                    return Err(err(format!("weight operand {w} is not a weight input")));
                }
            }
            expect_shape(spec.output_shape(shape_of(0), shape_of(1)), "the einsum")?;
        }
        Op::Add | Op::Sub | Op::Hadamard => {
            arity(2)?;
            broadcastable(shape_of(0), &node.shape).map_err(&err)?;
            broadcastable(shape_of(1), &node.shape).map_err(&err)?;
            let a = align_rank(shape_of(0), node.shape.len());
            let b = align_rank(shape_of(1), node.shape.len());
            expect_shape(broadcast_shape(&a, &b), "broadcasting the inputs")?;
            if !matches!(node.op, Op::Hadamard) && frac_of(0) != frac_of(1) {
                return Err(err("operands at different scales".into()));
            }
        }
        Op::MulConst { .. } | Op::Lookup { .. } => {
            arity(1)?;
            expect_shape(Some(shape_of(0).clone()), "the input")?;
            if let Op::Lookup { func, table } = &node.op {
                if table.is_none() {
                    return Err(err("lookup without a table range".into()));
                }
                if !func_well_formed(func) {
                    return Err(err(format!(
                        "function {} has invalid parameters",
                        func.name()
                    )));
                }
            }
        }
        Op::Rescale { shift } => {
            arity(1)?;
            expect_shape(Some(shape_of(0).clone()), "the input")?;
            if *shift == 0 {
                return Err(err(
                    "rescale shift 0 (a shift must be at least 1: its remainder is range-checked in [-2^(s-1), 2^(s-1)))"
                        .into(),
                ));
            }
        }
        Op::Softmax { mask, .. } => {
            arity(1)?;
            expect_shape(Some(shape_of(0).clone()), "the input")?;
            if node.shape.is_empty() {
                return Err(err("softmax of a scalar".into()));
            }
            if let Some(m) = mask {
                broadcastable(&m.shape, &node.shape).map_err(&err)?;
                if m.shape.len() != node.shape.len() || m.keep.len() != numel(&m.shape) {
                    return Err(err(format!(
                        "mask of shape {:?} with {} entries does not fit the scores {:?}",
                        m.shape,
                        m.keep.len(),
                        node.shape
                    )));
                }
            }
        }
        Op::Sum { axis } => {
            arity(1)?;
            let mut want = shape_of(0).clone();
            if *axis >= want.len() {
                return Err(err(format!("axis {axis} out of range")));
            }
            want[*axis] = 1;
            expect_shape(Some(want), "summing the axis")?;
        }
        Op::Rotary { half, .. } => {
            arity(3)?;
            expect_shape(Some(shape_of(0).clone()), "the input")?;
            if node.shape.last() != Some(&(2 * half)) || *half == 0 {
                return Err(err(format!(
                    "last axis of {:?} is not 2·half = {}",
                    node.shape,
                    2 * half
                )));
            }
            broadcastable(shape_of(1), &node.shape).map_err(&err)?;
            broadcastable(shape_of(2), &node.shape).map_err(&err)?;
            if frac_of(1) != frac_of(2) {
                return Err(err("cos and sin tables at different scales".into()));
            }
        }
        Op::Reshape => {
            arity(1)?;
            if numel(shape_of(0)) != numel(&node.shape) {
                return Err(err(format!(
                    "reshape of {:?} to {:?} changes the number of entries",
                    shape_of(0),
                    node.shape
                )));
            }
        }
        Op::Permute { perm } => {
            arity(1)?;
            let s = shape_of(0);
            let mut seen = vec![false; s.len()];
            let ok = perm.len() == s.len()
                && perm
                    .iter()
                    .all(|&p| p < s.len() && !std::mem::replace(&mut seen[p], true));
            if !ok {
                return Err(err(format!(
                    "{perm:?} is not a permutation of {} axes",
                    s.len()
                )));
            }
            expect_shape(
                Some(perm.iter().map(|&p| s[p]).collect()),
                "permuting the input",
            )?;
        }
        Op::Slice {
            axis,
            start,
            end,
            step,
        } => {
            arity(1)?;
            let s = shape_of(0);
            if *axis >= s.len() || *step == 0 || start >= end || *end > s[*axis] {
                return Err(err(format!(
                    "slice {start}..{end} step {step} of axis {axis} does not fit {s:?}"
                )));
            }
            let mut want = s.clone();
            want[*axis] = slice_len(*start, *end, *step);
            expect_shape(Some(want), "slicing the input")?;
        }
        Op::Concat { axis } => {
            if node.inputs.is_empty() {
                return Err(err("takes at least one input, has 0".into()));
            }
            let first = shape_of(0);
            if *axis >= first.len() {
                return Err(err(format!("axis {axis} out of range")));
            }
            let mut want = first.clone();
            want[*axis] = 0;
            for k in 0..node.inputs.len() {
                let s = shape_of(k);
                let fits =
                    s.len() == first.len() && (0..s.len()).all(|a| a == *axis || s[a] == first[a]);
                if !fits {
                    return Err(err(format!(
                        "input {k} of shape {s:?} does not concatenate with {first:?}"
                    )));
                }
                if frac_of(k) != frac_of(0) {
                    return Err(err("operands at different scales".into()));
                }
                want[*axis] += s[*axis];
            }
            expect_shape(Some(want), "concatenating the inputs")?;
        }
        Op::Broadcast => {
            arity(1)?;
            broadcastable(shape_of(0), &node.shape).map_err(&err)?;
        }
        Op::Norm { .. } | Op::Mask(_) => {
            return Err(err("float-only op in a quantized graph".into()));
        }
    }
    Ok(())
}

/// Every dimension at least 1, and the padded tensor within the circuit's size.
fn check_size(shape: &[usize]) -> Result<(), String> {
    let mut vars = 0usize;
    for &d in shape {
        if d == 0 {
            return Err(format!("shape {shape:?} has an empty axis"));
        }
        if d > 1usize << MAX_TENSOR_VARS {
            return Err(format!("shape {shape:?} is too large"));
        }
        vars += crate::poly::num_vars_for(d);
    }
    if vars > MAX_TENSOR_VARS {
        return Err(format!(
            "shape {shape:?} pads to 2^{vars} entries, above 2^{MAX_TENSOR_VARS}"
        ));
    }
    Ok(())
}

/// `input` broadcasts to `out`: no higher rank, and each aligned axis equal or 1.
fn broadcastable(input: &[usize], out: &[usize]) -> Result<(), String> {
    let a = align_rank(input, out.len());
    if input.len() > out.len() || a.iter().zip(out).any(|(&i, &o)| i != o && i != 1) {
        return Err(format!(
            "input of shape {input:?} does not broadcast to {out:?}"
        ));
    }
    Ok(())
}

/// Parameters of a table function that define a table: finite, and a mean
/// over at least one entry.
fn func_well_formed(f: &Func) -> bool {
    match f {
        Func::Pow { exponent } => exponent.is_finite(),
        Func::RsqrtMean { n, eps } => *n >= 1 && eps.is_finite() && *eps >= 0.0,
        _ => true,
    }
}
