//! Exact integer inference of a fixed-point [`Graph`]: the witness.
//!
//! Deterministic (integer arithmetic; lookup tables evaluate `f64` functions
//! then round, see [`crate::quant::lookup_value`]) and rayon-parallel inside
//! the heavy ops. Every node's integer tensor is returned so the prover can
//! commit to and prove each op; every value is checked against its node's
//! bit width and every lookup input against its table range.

use std::borrow::Cow;

use rayon::prelude::*;
use thiserror::Error;

use crate::ir::float::sum_axis;
use crate::ir::{numel, Data, Graph, NodeId, Op};
use crate::quant::{dequantize, fits, lookup_value, rescale, zkattn_row, ZkAttnParams};

#[derive(Clone, Debug, Error, PartialEq)]
pub enum WitnessError {
    #[error("the graph is not quantized")]
    NotQuantized,
    #[error("expected {expected} token ids, got {got}")]
    InputLength { expected: usize, got: usize },
    #[error("token id {id} at position {pos} is outside the vocabulary (size {vocab})")]
    TokenId { pos: usize, id: i64, vocab: usize },
    /// `value` is the worst of the `count` values that leave the width.
    #[error(
        "tensor {name} (node {node}): value {value} at position {at} does not fit {bits} bits (over by a factor {factor:.2}; {count} value(s) out of range, this is the worst)"
    )]
    OutOfRange {
        node: NodeId,
        name: String,
        at: Box<Position>,
        value: i64,
        bits: u32,
        factor: f64,
        count: usize,
    },
    /// `value` is the worst of the `count` inputs outside the table.
    #[error(
        "lookup {name} (node {node}): input {value} at position {at} is outside the table [{lo}, {hi}) by {by} ({count} input(s) outside, this is the worst)"
    )]
    OutsideTable {
        node: NodeId,
        name: String,
        at: Box<Position>,
        value: i64,
        lo: i64,
        hi: i64,
        by: i64,
        count: usize,
    },
    #[error("node {name} (node {node}): {what}")]
    Arithmetic {
        node: NodeId,
        name: String,
        what: String,
    },
}

/// Where a value sits in its tensor: its coordinates in the tensor's shape
/// (for activations the first is usually the token position).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub flat: usize,
    pub index: Vec<usize>,
    pub shape: Vec<usize>,
}

impl Position {
    pub fn new(flat: usize, shape: &[usize]) -> Self {
        let mut index = vec![0; shape.len()];
        let mut rest = flat;
        for (i, &d) in shape.iter().enumerate().rev() {
            let d = d.max(1);
            index[i] = rest % d;
            rest /= d;
        }
        Position {
            flat,
            index,
            shape: shape.to_vec(),
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} of shape {:?}", self.index, self.shape)
    }
}

/// The worst offender (largest `excess`) among `values` that fail `ok`, and
/// how many fail. The common case, nothing failing, is one scan.
fn worst_offender(
    values: &[i64],
    ok: impl Fn(i64) -> bool + Sync,
    excess: impl Fn(i64) -> u64 + Sync,
) -> Option<(usize, i64, usize)> {
    values.par_iter().find_any(|&&v| !ok(v))?;
    let bad = values.iter().enumerate().filter(|(_, &v)| !ok(v));
    let count = bad.clone().count();
    let (pos, &value) = bad.max_by_key(|(i, &v)| (excess(v), std::cmp::Reverse(*i)))?;
    Some((pos, value, count))
}

/// The error for a tensor with values that leave its `bits`-bit width.
fn width_error(node: &crate::ir::Node, values: &[i64], bits: u32) -> Option<WitnessError> {
    let (pos, value, count) = worst_offender(values, |v| fits(v, bits), i64::unsigned_abs)?;
    Some(WitnessError::OutOfRange {
        node: node.id,
        name: node.name.clone(),
        at: Box::new(Position::new(pos, &node.shape)),
        value,
        bits,
        factor: value.unsigned_abs() as f64 / 2f64.powi(bits as i32 - 1),
        count,
    })
}

/// In a saturating graph, how far (in bits) a tensor that no range check
/// reads may exceed its declared width; the excess range of each rescale is
/// sized to cover it ([`crate::circuit::plan`]).
pub const SATURATION_SLACK_BITS: u32 = 4;

/// Every node's integer tensor (indexed by node id), flattened row-major.
/// Weights and constants are borrowed from the graph, not copied; a weight
/// read in place from a key ([`Data::Stored`]) is not held here (its entry
/// is empty): read it from the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness<'g> {
    pub values: Vec<Cow<'g, [i64]>>,
    pub output: NodeId,
    /// `frac_bits` of the output.
    pub output_frac_bits: i32,
    pub output_shape: Vec<usize>,
    /// Saturating rescales that clamped values, in node order.
    pub clamped: Vec<Clamped>,
}

/// How many values of a saturating rescale were clamped to the top and to
/// the bottom of its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clamped {
    pub node: NodeId,
    pub above: usize,
    pub below: usize,
    /// The largest `|Q|` clamped (how far past the width: `peak / 2^(bits−1)`).
    pub peak: u64,
}

impl Witness<'_> {
    /// The integer tensor of a node; empty for a weight read in place from
    /// a key ([`Self::ints`] reads those).
    pub fn node(&self, id: NodeId) -> &[i64] {
        &self.values[id]
    }
    /// The integer tensor of a node of `graph` (the graph the witness was
    /// made from), a weight read in place from a key included.
    pub fn ints<'a>(&'a self, graph: &'a Graph, id: NodeId) -> Cow<'a, [i64]> {
        match &graph.nodes[id].data {
            Some(Data::Stored(s)) => Cow::Owned(s.to_vec()),
            _ => Cow::Borrowed(&self.values[id]),
        }
    }
    /// The integer logits (`[1, seq, vocab]`, at `output_frac_bits`).
    pub fn logits(&self) -> &[i64] {
        &self.values[self.output]
    }
    /// The logits as reals.
    pub fn logits_f64(&self) -> Vec<f64> {
        self.logits()
            .iter()
            .map(|&q| dequantize(q, self.output_frac_bits))
            .collect()
    }
}

fn index_map_apply(x: &[i64], map: &[usize]) -> Vec<i64> {
    map.iter().map(|&i| x[i]).collect()
}

/// Runs the fixed-point graph on token ids.
pub fn generate<'g>(graph: &'g Graph, ids: &[i64]) -> Result<Witness<'g>, WitnessError> {
    generate_inner(graph, ids, None, None)
}

/// Calibration's probe: [`generate`], except that a tensor past its width
/// or a lookup input outside its table is recorded instead of ending the
/// run, and nothing is clamped (saturating rescales still count their
/// clamps): every tensor downstream carries its true values, so one run
/// finds every range that needs widening, not only the first (a deep model
/// would otherwise need a round per layer). Never a witness to prove.
pub fn probe<'g>(
    graph: &'g Graph,
    ids: &[i64],
) -> Result<(Witness<'g>, Vec<WitnessError>), WitnessError> {
    let mut found = Vec::new();
    let w = generate_inner(graph, ids, None, Some(&mut found))?;
    Ok((w, found))
}

/// Soundness-test hook: [`generate`], except that node `node`'s output is
/// `values` (row-major, unchecked against the node's width) and every later
/// node is computed from it, so a forging prover built on the witness is
/// consistent everywhere but at `node` itself.
#[doc(hidden)]
pub fn generate_with_override<'g>(
    graph: &'g Graph,
    ids: &[i64],
    node: NodeId,
    values: Vec<i64>,
) -> Result<Witness<'g>, WitnessError> {
    generate_inner(graph, ids, Some((node, values)), None)
}

fn generate_inner<'g>(
    graph: &'g Graph,
    ids: &[i64],
    mut replace: Option<(NodeId, Vec<i64>)>,
    mut probe: Option<&mut Vec<WitnessError>>,
) -> Result<Witness<'g>, WitnessError> {
    use crate::ir::shape_maps::*;
    if !graph.is_quantized() {
        return Err(WitnessError::NotQuantized);
    }
    let mut vals: Vec<Cow<'g, [i64]>> = Vec::with_capacity(graph.nodes.len());
    let mut clamped = Vec::new();
    for node in &graph.nodes {
        let q = node.quant.expect("checked");
        let arith = |what: String| WitnessError::Arithmetic {
            node: node.id,
            name: node.name.clone(),
            what,
        };
        if let Some((_, v)) = replace.take_if(|(id, _)| *id == node.id) {
            if v.len() != numel(&node.shape) {
                return Err(arith(format!(
                    "override of {} values for shape {:?}",
                    v.len(),
                    node.shape
                )));
            }
            vals.push(Cow::Owned(v));
            continue;
        }
        // A weight read in place from a key is read out for the op that
        // uses it (one tensor at a time), never held in the witness.
        let stored = |id: NodeId| match &graph.nodes[id].data {
            Some(Data::Stored(s)) => Some(s),
            _ => None,
        };
        let inp = |i: usize| -> Cow<'_, [i64]> {
            match stored(node.inputs[i]) {
                Some(s) => Cow::Owned(s.to_vec()),
                None => Cow::Borrowed(&vals[node.inputs[i]]),
            }
        };
        let shp = |i: usize| &graph.nodes[node.inputs[i]].shape;
        let qin = |i: usize| graph.nodes[node.inputs[i]].quant.expect("checked");
        if let (Op::Weight { .. } | Op::Constant, Some(Data::I64(v))) = (&node.op, &node.data) {
            if v.len() != numel(&node.shape) {
                return Err(arith(format!(
                    "{} values for shape {:?}",
                    v.len(),
                    node.shape
                )));
            }
            if let Some(err) = width_error(node, v, q.bits) {
                return Err(err);
            }
            vals.push(Cow::Borrowed(&v[..]));
            continue;
        }
        if let (Op::Weight { .. }, Some(Data::Stored(v))) = (&node.op, &node.data) {
            if v.len() != numel(&node.shape) {
                return Err(arith(format!(
                    "{} values for shape {:?}",
                    v.len(),
                    node.shape
                )));
            }
            if v.first_outside(q.bits).is_some() {
                return Err(width_error(node, &v.to_vec(), q.bits).expect("one is outside"));
            }
            vals.push(Cow::Owned(Vec::new()));
            continue;
        }
        let out: Vec<i64> = match &node.op {
            Op::Input { .. } => {
                if ids.len() != numel(&node.shape) {
                    return Err(WitnessError::InputLength {
                        expected: numel(&node.shape),
                        got: ids.len(),
                    });
                }
                ids.to_vec()
            }
            Op::Weight { .. } | Op::Constant => return Err(arith("integer data missing".into())),
            Op::Embedding => {
                let rows = shp(0)[0];
                let d = numel(&shp(0)[1..]);
                // A stored table is read row by row: only the prompt's rows.
                let table = match stored(node.inputs[0]) {
                    Some(_) => Cow::Borrowed(&[][..]),
                    None => inp(0),
                };
                let mut row = Vec::new();
                let mut out = Vec::with_capacity(numel(&node.shape));
                for (pos, &t) in inp(1).iter().enumerate() {
                    if t < 0 || t as usize >= rows {
                        return Err(WitnessError::TokenId {
                            pos,
                            id: t,
                            vocab: rows,
                        });
                    }
                    match stored(node.inputs[0]) {
                        Some(s) => {
                            s.read(t as usize * d, d, &mut row);
                            out.extend_from_slice(&row);
                        }
                        None => out.extend_from_slice(&table[t as usize * d..(t as usize + 1) * d]),
                    }
                }
                out
            }
            Op::EinSum { spec, .. } => spec.eval(
                (&inp(0), shp(0)),
                (&inp(1), shp(1)),
                0i128,
                |acc, x, y| acc + x as i128 * y as i128,
                |acc| {
                    i64::try_from(acc)
                        .map_err(|_| arith(format!("accumulator {acc} overflows i64")))
                },
            )?,
            Op::Add | Op::Sub | Op::Hadamard => {
                let ma = broadcast_index_map(shp(0), &node.shape);
                let mb = broadcast_index_map(shp(1), &node.shape);
                if !matches!(node.op, Op::Hadamard) && qin(0).frac_bits != qin(1).frac_bits {
                    return Err(arith("operands at different scales".into()));
                }
                let (a, b) = (inp(0), inp(1));
                ma.par_iter()
                    .zip(mb.par_iter())
                    .map(|(&i, &j)| match node.op {
                        Op::Add => a[i].checked_add(b[j]),
                        Op::Sub => a[i].checked_sub(b[j]),
                        _ => a[i].checked_mul(b[j]),
                    })
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| arith("i64 overflow".into()))?
            }
            Op::MulConst { q: c, .. } => inp(0)
                .iter()
                .map(|&x| x.checked_mul(*c))
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| arith("i64 overflow".into()))?,
            Op::Rescale { shift } if graph.saturating => {
                let (top, bot) = crate::quant::signed_edges(q.bits);
                let mut out: Vec<i64> = inp(0).par_iter().map(|&x| rescale(x, *shift)).collect();
                let (mut above, mut below, mut peak) = (0, 0, 0u64);
                // The probe counts clamps but keeps the true values, so
                // the tensors downstream show their own ranges in the same run.
                let clamp = probe.is_none();
                for v in &mut out {
                    above += (*v > top) as usize;
                    below += (*v < bot) as usize;
                    if *v > top || *v < bot {
                        peak = peak.max(v.unsigned_abs());
                        if clamp {
                            *v = (*v).clamp(bot, top);
                        }
                    }
                }
                if above + below > 0 {
                    clamped.push(Clamped {
                        node: node.id,
                        above,
                        below,
                        peak,
                    });
                }
                out
            }
            Op::Rescale { shift } => inp(0).par_iter().map(|&x| rescale(x, *shift)).collect(),
            Op::Lookup { func, table } => {
                let table = table.ok_or_else(|| arith("lookup without a table range".into()))?;
                let x = inp(0);
                let hi = table.lo + (1i64 << table.log_size);
                let outside = |v: i64| -> u64 {
                    if v < table.lo {
                        (table.lo - v) as u64
                    } else {
                        (v - hi + 1) as u64
                    }
                };
                if let Some((pos, v, count)) = worst_offender(&x, |v| table.contains(v), outside) {
                    let err = WitnessError::OutsideTable {
                        node: node.id,
                        name: node.name.clone(),
                        at: Box::new(Position::new(pos, &graph.nodes[node.inputs[0]].shape)),
                        value: v,
                        lo: table.lo,
                        hi,
                        by: outside(v) as i64,
                        count,
                    };
                    match probe.as_deref_mut() {
                        Some(found) => found.push(err),
                        None => return Err(err),
                    }
                }
                // A probed input outside the table is evaluated anyway (the
                // function is defined everywhere; only the proof needs a table).
                let fi = qin(0).frac_bits;
                x.par_iter()
                    .map(|&v| lookup_value(func, v, fi, q.frac_bits, q.bits))
                    .collect()
            }
            Op::Softmax { mask, .. } => {
                let n = *node.shape.last().unwrap_or(&1);
                let keep: Option<Vec<bool>> = mask.as_ref().map(|m| {
                    broadcast_index_map(&m.shape, &node.shape)
                        .iter()
                        .map(|&i| m.keep[i])
                        .collect()
                });
                let x = inp(0);
                let params = ZkAttnParams::new(n, qin(0).bits, qin(0).frac_bits, q.frac_bits);
                let rows: Vec<Vec<i64>> = (0..x.len() / n.max(1))
                    .into_par_iter()
                    .map(|r| {
                        let k = keep.as_ref().map(|k| &k[r * n..(r + 1) * n]);
                        zkattn_row(&x[r * n..(r + 1) * n], k, &params).1
                    })
                    .collect();
                rows.concat()
            }
            Op::Sum { axis } => sum_axis(&inp(0), shp(0), *axis),
            Op::Rotary { half, interleaved } => {
                if qin(1).frac_bits != qin(2).frac_bits {
                    return Err(arith("cos and sin tables at different scales".into()));
                }
                let x = inp(0);
                let (c, s) = (inp(1), inp(2));
                let mc = broadcast_index_map(shp(1), &node.shape);
                let ms = broadcast_index_map(shp(2), &node.shape);
                let rh = rotary_map(&node.shape, *half, *interleaved);
                (0..x.len())
                    .map(|i| {
                        let (src, neg) = rh[i];
                        let r = if neg { -x[src] } else { x[src] };
                        x[i].checked_mul(c[mc[i]])?
                            .checked_add(r.checked_mul(s[ms[i]])?)
                    })
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| arith("i64 overflow".into()))?
            }
            Op::Reshape => inp(0).to_vec(),
            Op::Permute { perm } => index_map_apply(&inp(0), &permute_index_map(shp(0), perm)),
            Op::Slice {
                axis,
                start,
                end,
                step,
            } => index_map_apply(
                &inp(0),
                &slice_index_map(shp(0), *axis, *start, *end, *step),
            ),
            Op::Concat { axis } => {
                let ins: Vec<Cow<'_, [i64]>> = (0..node.inputs.len()).map(inp).collect();
                let parts: Vec<(&[i64], &[usize])> = (ins.iter().zip(&node.inputs))
                    .map(|(v, &i)| (&v[..], &graph.nodes[i].shape[..]))
                    .collect();
                concat(&parts, *axis)
            }
            Op::Broadcast => index_map_apply(&inp(0), &broadcast_index_map(shp(0), &node.shape)),
            Op::Norm { .. } | Op::Mask(_) => {
                return Err(arith("float-only op in a quantized graph".into()))
            }
        };
        if out.len() != numel(&node.shape) {
            return Err(arith(format!(
                "produced {} values for shape {:?}",
                out.len(),
                node.shape
            )));
        }
        // A saturating graph range-checks only rescale outputs (clamped
        // above) and lookup inputs: elsewhere a width is the quantizer's
        // bound on accumulators, and values may exceed it by
        // [`SATURATION_SLACK_BITS`], which the next rescale's clamp absorbs.
        let allowed = if graph.saturating && !matches!(node.op, Op::Rescale { .. }) {
            q.bits + SATURATION_SLACK_BITS
        } else {
            q.bits
        };
        if let Some(err) = width_error(node, &out, allowed) {
            match probe.as_deref_mut() {
                Some(found) => found.push(err),
                None => return Err(err),
            }
        }
        vals.push(Cow::Owned(out));
    }
    let out = &graph.nodes[graph.output];
    Ok(Witness {
        values: vals,
        output: graph.output,
        output_frac_bits: out.quant.expect("checked").frac_bits,
        output_shape: out.shape.clone(),
        clamped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_is_row_major_coordinates() {
        let p = Position::new(61, &[8, 8]);
        assert_eq!(p.index, vec![7, 5]);
        assert_eq!(p.to_string(), "[7, 5] of shape [8, 8]");
        assert_eq!(Position::new(5, &[2, 3, 4]).index, vec![0, 1, 1]);
    }

    #[test]
    fn worst_offender_is_the_largest_excess_not_the_first() {
        let v = [0, 200, -3, -900, 5, 900];
        let ok = |x: i64| fits(x, 8);
        // Ties go to the earlier position.
        assert_eq!(
            worst_offender(&v, ok, i64::unsigned_abs),
            Some((3, -900, 3))
        );
        assert_eq!(worst_offender(&[1, -2, 127], ok, i64::unsigned_abs), None);
    }
}
