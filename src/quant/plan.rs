//! The quantize step: float graph + ranges → fixed-point graph.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{
    bits_for_magnitude, frac_bits_for, quantize_value, Calibration, MAX_BITS, RSQRT_BITS,
    RSQRT_MAX_BITS, RSQRT_SIG_BITS,
};
use crate::ir::{numel, Data, Func, Graph, NodeId, Op, Quant, TableRange};

/// Bit widths and margins of the quantization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Width of every range-checked activation unless overridden (16).
    pub bits: u32,
    /// Width of weights (16).
    pub weight_bits: u32,
    /// Width of the residual stream, the projections added into it and the
    /// gate·up products (DESIGN "Quantization"; default 20: on SmolLM2-135M,
    /// 16 bits there loses top-1 agreement to the attention-sink activation).
    pub residual_bits: u32,
    /// Per-node width overrides (IR node name → bits, at most [`MAX_BITS`]).
    pub overrides: BTreeMap<String, u32>,
    /// Largest lookup-table input width: wider inputs are rescaled first.
    pub lookup_bits: u32,
    /// Input width of a norm's `1/√` table (sum of squares after rescale).
    pub norm_table_bits: u32,
    /// Scale of the softmax exp table outputs.
    pub softmax_exp_frac_bits: i32,
    /// Ranges are multiplied by this before picking scales (margin for
    /// inputs other than the calibration ones).
    pub headroom: f64,
    /// Rescale outputs past their width are clamped to its edge, and the
    /// clamp proven (`zkllm prove` then never refuses a prompt for a rescale
    /// range); false refuses such prompts.
    #[serde(default = "saturate_default")]
    pub saturate: bool,
}

fn saturate_default() -> bool {
    true
}

impl Default for QuantConfig {
    fn default() -> Self {
        QuantConfig {
            bits: 16,
            weight_bits: 16,
            residual_bits: 20,
            overrides: BTreeMap::new(),
            lookup_bits: 16,
            norm_table_bits: 22,
            softmax_exp_frac_bits: 15,
            headroom: 1.25,
            saturate: true,
        }
    }
}

#[derive(Debug, Error)]
pub enum QuantError {
    #[error("node {name}: no calibration range")]
    NoRange { name: String },
    #[error("node {name} ({op}): {why}")]
    Unsupported {
        name: String,
        op: &'static str,
        why: String,
    },
    #[error(
        "node {name}: exact accumulator needs {bits} bits, more than a circuit node may declare ({})",
        crate::ir::check::MAX_BITS
    )]
    Overflow { name: String, bits: u32 },
    /// The quantized graph breaks a rule every key is checked by: a bug in
    /// the quantizer, reported before any key is written rather than at load.
    #[error("the quantized graph: {0}")]
    Circuit(String),
    #[error("node {name}: bit width {bits} outside 2..={MAX_BITS}")]
    Width { name: String, bits: u32 },
    #[error("node {name}: constant {value:e} {why}")]
    Constant {
        name: String,
        value: f64,
        why: &'static str,
    },
}

struct Builder<'a> {
    calib: &'a Calibration,
    cfg: &'a QuantConfig,
    g: Graph,
}

impl Builder<'_> {
    fn push(
        &mut self,
        name: String,
        op: Op,
        inputs: Vec<NodeId>,
        shape: Vec<usize>,
        q: Quant,
    ) -> NodeId {
        let id = self.g.push(name, op, inputs, shape);
        self.g.nodes[id].quant = Some(q);
        id
    }
    fn q(&self, id: NodeId) -> Quant {
        self.g.nodes[id].quant.expect("quantized")
    }
    fn range(&self, name: &str) -> Result<f64, QuantError> {
        self.calib
            .max_abs
            .get(name)
            .map(|m| m * self.cfg.headroom)
            .ok_or_else(|| QuantError::NoRange { name: name.into() })
    }
    /// Rescales `id` down to `frac` if it is finer; otherwise returns it.
    fn down_to(&mut self, id: NodeId, frac: i32, bits: u32, name: String) -> NodeId {
        let q = self.q(id);
        if q.frac_bits <= frac {
            return id;
        }
        let shape = self.g.nodes[id].shape.clone();
        let shift = (q.frac_bits - frac) as u32;
        self.push(
            name,
            Op::Rescale { shift },
            vec![id],
            shape,
            Quant {
                bits,
                frac_bits: frac,
            },
        )
    }
    /// An exact node is declared at its full width, and a key's nodes are
    /// at most [`crate::ir::check::MAX_BITS`] wide.
    fn check_acc(&self, name: &str, bits: u32) -> Result<(), QuantError> {
        if bits > crate::ir::check::MAX_BITS {
            return Err(QuantError::Overflow {
                name: name.into(),
                bits,
            });
        }
        Ok(())
    }
    /// An exact product node at `frac` followed by a rescale to the node's range.
    fn product_then_rescale(
        &mut self,
        name: &str,
        op: Op,
        inputs: Vec<NodeId>,
        shape: Vec<usize>,
        acc: Quant,
        out_bits: u32,
    ) -> Result<NodeId, QuantError> {
        self.check_acc(name, acc.bits)?;
        let target = frac_bits_for(self.range(name)?, out_bits);
        if target >= acc.frac_bits && acc.bits <= out_bits {
            return Ok(self.push(name.into(), op, inputs, shape, acc));
        }
        let p = self.push(format!("{name}/product"), op, inputs, shape, acc);
        Ok(self.down_to(p, target.min(acc.frac_bits), out_bits, name.into()))
    }
}

fn width(name: &str, bits: u32) -> Result<u32, QuantError> {
    if (2..=MAX_BITS).contains(&bits) {
        Ok(bits)
    } else {
        Err(QuantError::Width {
            name: name.into(),
            bits,
        })
    }
}

/// The tensors that get `residual_bits` (DESIGN "Quantization"): the
/// residual stream (sums of two activations of the hidden shape), the
/// products added into it (attention output and MLP down projections), and
/// element-wise products of two activations that feed a matmul (gate·up).
fn wide_nodes(src: &Graph, hidden_shape: Option<&[usize]>) -> std::collections::HashSet<NodeId> {
    let consumers = src.consumers();
    let is_residual = |id: NodeId| {
        let n = &src.nodes[id];
        matches!(n.op, Op::Add)
            && n.inputs.iter().all(|&i| !is_const(&src.nodes[i].op))
            && hidden_shape == Some(&n.shape[..])
    };
    let mut wide = std::collections::HashSet::new();
    for n in &src.nodes {
        if is_residual(n.id) {
            wide.insert(n.id);
            for &i in &n.inputs {
                if matches!(
                    src.nodes[i].op,
                    Op::EinSum { .. } | Op::Hadamard | Op::MulConst { .. }
                ) {
                    wide.insert(i);
                }
            }
        }
        if matches!(n.op, Op::Hadamard)
            && n.inputs.iter().all(|&i| !is_const(&src.nodes[i].op))
            && consumers[n.id]
                .iter()
                .any(|&c| matches!(src.nodes[c].op, Op::EinSum { .. }))
        {
            wide.insert(n.id);
        }
    }
    wide
}

fn is_const(op: &Op) -> bool {
    matches!(op, Op::Weight { .. } | Op::Constant)
}

/// Quantizes a float graph with per-tensor scales from `calib`.
///
/// Every node gets `Quant`; weights and constants get integer data; every
/// product (EinSum, Hadamard, MulConst) is an exact node followed by a
/// [`Op::Rescale`] to the scale its range allows; Add/Sub/Concat inputs are
/// rescaled to a common scale; lookup inputs wider than `lookup_bits` are
/// rescaled first; a [`Op::Norm`] is expanded into
/// `Hadamard(x,x) → Sum → Rescale → Lookup(RsqrtMean) → Hadamard(x, r) → Rescale`.
pub fn quantize(src: &Graph, calib: &Calibration, cfg: &QuantConfig) -> Result<Graph, QuantError> {
    let mut b = Builder {
        calib,
        cfg,
        g: Graph {
            seq_len: src.seq_len,
            saturating: cfg.saturate,
            ..Graph::default()
        },
    };
    let hidden_shape = src
        .nodes
        .iter()
        .find(|n| matches!(n.op, Op::Embedding))
        .map(|n| n.shape.clone());
    let wide = wide_nodes(src, hidden_shape.as_deref());
    let mut map: Vec<NodeId> = Vec::with_capacity(src.nodes.len());
    for node in &src.nodes {
        let name = node.name.clone();
        let default_bits = if wide.contains(&node.id) {
            cfg.residual_bits
        } else {
            cfg.bits
        };
        let out_bits = width(&name, *cfg.overrides.get(&name).unwrap_or(&default_bits))?;
        let ins: Vec<NodeId> = node.inputs.iter().map(|&i| map[i]).collect();
        let shape = node.shape.clone();
        let unsupported = |why: &str| QuantError::Unsupported {
            name: name.clone(),
            op: node.op.kind(),
            why: why.into(),
        };
        let id = match &node.op {
            Op::Input { .. } => b.push(
                name,
                node.op.clone(),
                vec![],
                shape,
                Quant {
                    bits: 32,
                    frac_bits: 0,
                },
            ),
            Op::Weight { .. } | Op::Constant => {
                let Some(Data::F32(v)) = &node.data else {
                    return Err(unsupported("no float data"));
                };
                let wb = if matches!(node.op, Op::Weight { .. }) {
                    cfg.weight_bits
                } else {
                    cfg.bits
                };
                if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
                    return Err(QuantError::Constant {
                        name,
                        value: *bad as f64,
                        why: "is not finite",
                    });
                }
                let m = v.iter().fold(0.0f64, |a, &x| a.max((x as f64).abs()));
                let f = frac_bits_for(m, wb);
                let data: Vec<i64> = v.iter().map(|&x| quantize_value(x as f64, f)).collect();
                let id = b.push(
                    name,
                    node.op.clone(),
                    vec![],
                    shape,
                    Quant {
                        bits: wb,
                        frac_bits: f,
                    },
                );
                b.g.nodes[id].data = Some(Data::I64(data));
                id
            }
            Op::Embedding => {
                let q = b.q(ins[0]);
                b.push(name, Op::Embedding, ins, shape, q)
            }
            Op::EinSum { spec, .. } => {
                let (qa, qb) = (b.q(ins[0]), b.q(ins[1]));
                let k = spec.summed_len(
                    &src.nodes[node.inputs[0]].shape,
                    &src.nodes[node.inputs[1]].shape,
                );
                let acc = Quant {
                    bits: qa.bits + qb.bits - 1 + bits_for_magnitude(k.max(1) as u128 - 1).max(1),
                    frac_bits: qa.frac_bits + qb.frac_bits,
                };
                b.product_then_rescale(&name, node.op.clone(), ins, shape, acc, out_bits)?
            }
            Op::Hadamard => {
                let (qa, qb) = (b.q(ins[0]), b.q(ins[1]));
                let acc = Quant {
                    bits: qa.bits + qb.bits - 1,
                    frac_bits: qa.frac_bits + qb.frac_bits,
                };
                b.product_then_rescale(&name, Op::Hadamard, ins, shape, acc, out_bits)?
            }
            Op::MulConst { value, .. } => {
                let qi = b.q(ins[0]);
                if !value.is_finite() {
                    return Err(QuantError::Constant {
                        name,
                        value: *value,
                        why: "is not finite",
                    });
                }
                let fc = frac_bits_for(value.abs(), cfg.bits);
                let qc = quantize_value(*value, fc);
                if qc == 0 && *value != 0.0 {
                    return Err(QuantError::Constant {
                        name,
                        value: *value,
                        why: "rounds to zero",
                    });
                }
                let cb = bits_for_magnitude(qc.unsigned_abs() as u128);
                let acc = Quant {
                    bits: qi.bits + cb - 1,
                    frac_bits: qi.frac_bits + fc,
                };
                let op = Op::MulConst {
                    value: *value,
                    q: qc,
                    frac_bits: fc,
                };
                b.product_then_rescale(&name, op, ins, shape, acc, out_bits)?
            }
            Op::Add | Op::Sub | Op::Concat { .. } => {
                let want = frac_bits_for(b.range(&name)?, out_bits);
                let t = ins
                    .iter()
                    .map(|&i| b.q(i).frac_bits)
                    .min()
                    .unwrap_or(want)
                    .min(want);
                let aligned: Vec<NodeId> = ins
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| {
                        let bits = b.q(i).bits.max(out_bits);
                        b.down_to(i, t, bits.min(MAX_BITS), format!("{name}/in{k}"))
                    })
                    .collect();
                b.push(
                    name,
                    node.op.clone(),
                    aligned,
                    shape,
                    Quant {
                        bits: out_bits,
                        frac_bits: t,
                    },
                )
            }
            Op::Lookup { func, .. } => {
                let qi = b.q(ins[0]);
                let x = if qi.bits > cfg.lookup_bits {
                    let f = qi.frac_bits - (qi.bits - cfg.lookup_bits) as i32;
                    b.down_to(ins[0], f, cfg.lookup_bits, format!("{name}/in"))
                } else {
                    ins[0]
                };
                let lb = b.q(x).bits;
                let table = TableRange {
                    lo: -(1i64 << (lb - 1)),
                    log_size: lb,
                };
                let f_out = frac_bits_for(b.range(&name)?, out_bits);
                let op = Op::Lookup {
                    func: func.clone(),
                    table: Some(table),
                };
                b.push(
                    name,
                    op,
                    vec![x],
                    shape,
                    Quant {
                        bits: out_bits,
                        frac_bits: f_out,
                    },
                )
            }
            Op::Softmax { mask, .. } => {
                let op = Op::Softmax {
                    mask: mask.clone(),
                    exp_frac_bits: Some(cfg.softmax_exp_frac_bits),
                };
                // zkAttn accepts row sums within a band of about n/2 + 1 of
                // 2^f_out (see `ZkAttnParams`), refused above 2^f_out/32: long
                // rows get more fractional bits (≥ log2(n) + 6).
                let n = *shape.last().unwrap_or(&1);
                let row_bits = n.max(1).next_power_of_two().trailing_zeros() as i32;
                let frac_bits = (out_bits as i32 - 2).max(row_bits + 6);
                b.push(
                    name,
                    op,
                    ins,
                    shape,
                    Quant {
                        bits: frac_bits as u32 + 2,
                        frac_bits,
                    },
                )
            }
            Op::Norm { axis, eps, .. } => {
                let x = ins[0];
                let qx = b.q(x);
                let d = src.nodes[node.inputs[0]].shape[*axis];
                let stats = calib
                    .norms
                    .get(&name)
                    .ok_or_else(|| QuantError::NoRange { name: name.clone() })?;
                let xshape = b.g.nodes[x].shape.clone();
                let mut rshape = xshape.clone();
                rshape[*axis] = 1;
                let d_bits = bits_for_magnitude(d as u128 - 1).max(1);
                // The sum of squares only feeds a 2^k-entry table, so an input
                // too wide for its exact sum of squares (a 26-bit residual
                // stream over 4,096 channels: 64 bits) is squared from a copy
                // cut by `c` bits (one bit of room kept for the rounding).
                let over = (2 * qx.bits - 1 + d_bits).saturating_sub(crate::ir::check::MAX_BITS);
                let xs = if over == 0 {
                    x
                } else {
                    let c = over.div_ceil(2) + 1;
                    b.down_to(
                        x,
                        qx.frac_bits - c as i32,
                        qx.bits - c + 1,
                        format!("{name}/narrowed"),
                    )
                };
                let qs = b.q(xs);
                let sq_q = Quant {
                    bits: 2 * qs.bits - 1,
                    frac_bits: 2 * qs.frac_bits,
                };
                let sq = b.push(
                    format!("{name}/square"),
                    Op::Hadamard,
                    vec![xs, xs],
                    xshape,
                    sq_q,
                );
                let ss_bits = sq_q.bits + d_bits;
                b.check_acc(&name, ss_bits)?;
                let ss_q = Quant {
                    bits: ss_bits,
                    frac_bits: sq_q.frac_bits,
                };
                let ss = b.push(
                    format!("{name}/sumsq"),
                    Op::Sum { axis: *axis },
                    vec![sq],
                    rshape.clone(),
                    ss_q,
                );
                // Rescale the sum of squares into the table's unsigned range [0, 2^k).
                let k = cfg.norm_table_bits;
                let ss_max = stats.mean_sq_max
                    * cfg.headroom
                    * cfg.headroom
                    * d as f64
                    * 2f64.powi(sq_q.frac_bits);
                let need = (ss_max + 1.0).log2().ceil() as i32;
                let shift = (need - k as i32).max(0);
                let u = b.down_to(
                    ss,
                    sq_q.frac_bits - shift,
                    k + 1,
                    format!("{name}/sumsq_rescaled"),
                );
                // 1/rms varies by orders of magnitude between rows: an
                // attention-sink row's is 10^3–10^4 times an ordinary row's,
                // so at the scale that fits the largest it keeps ~10 fewer
                // significant bits. Its rounding error scales every channel of
                // that row — on SmolLM2 the sink's keys, which every later query
                // attends to: a 1e-3 error there was most of the model's KL. So
                // the table output is widened until the smallest 1/rms keeps
                // RSQRT_SIG_BITS, as far as the exact product `x·r` (62 bits)
                // and its rescale's range check (40 bits) allow.
                let r_max = 1.0 / (stats.mean_sq_min / (cfg.headroom * cfg.headroom) + eps).sqrt();
                let r_min = 1.0 / (stats.mean_sq_max * cfg.headroom * cfg.headroom + eps).sqrt();
                let out_frac = frac_bits_for(b.range(&name)?, out_bits);
                let widest = (crate::ir::check::MAX_BITS + 1 - qx.bits).min(RSQRT_MAX_BITS);
                let fr_cap = frac_bits_for(r_max, widest)
                    .min(crate::circuit::plan::MAX_RANGE_BITS as i32 + out_frac - qx.frac_bits);
                let fr_sig = (RSQRT_SIG_BITS as f64 - r_min.log2()).ceil() as i32;
                let fr = frac_bits_for(r_max, RSQRT_BITS).max(fr_sig.min(fr_cap));
                let r_bits = RSQRT_BITS.max(bits_for_magnitude(
                    quantize_value(r_max, fr).unsigned_abs() as u128,
                ));
                let func = Func::RsqrtMean {
                    n: d as u64,
                    eps: *eps,
                };
                let table = TableRange { lo: 0, log_size: k };
                let r = b.push(
                    format!("{name}/rsqrt"),
                    Op::Lookup {
                        func,
                        table: Some(table),
                    },
                    vec![u],
                    rshape,
                    Quant {
                        bits: r_bits,
                        frac_bits: fr,
                    },
                );
                let acc = Quant {
                    bits: qx.bits + r_bits - 1,
                    frac_bits: qx.frac_bits + fr,
                };
                b.product_then_rescale(&name, Op::Hadamard, vec![x, r], shape, acc, out_bits)?
            }
            Op::Sum { axis } => {
                let q = b.q(ins[0]);
                let d = src.nodes[node.inputs[0]].shape[*axis];
                let bits = q.bits + bits_for_magnitude(d as u128 - 1).max(1) - 1;
                b.check_acc(&name, bits)?;
                b.push(
                    name,
                    node.op.clone(),
                    ins,
                    shape,
                    Quant {
                        bits,
                        frac_bits: q.frac_bits,
                    },
                )
            }
            Op::Rotary { half, interleaved } => {
                let qx = b.q(ins[0]);
                let f = b.q(ins[1]).frac_bits.min(b.q(ins[2]).frac_bits);
                let c = b.down_to(ins[1], f, cfg.weight_bits, format!("{name}/cos"));
                let s = b.down_to(ins[2], f, cfg.weight_bits, format!("{name}/sin"));
                let tb = b.q(c).bits.max(b.q(s).bits);
                let acc = Quant {
                    bits: qx.bits + tb,
                    frac_bits: qx.frac_bits + f,
                };
                let op = Op::Rotary {
                    half: *half,
                    interleaved: *interleaved,
                };
                b.product_then_rescale(&name, op, vec![ins[0], c, s], shape, acc, out_bits)?
            }
            Op::Mask(_) => return Err(unsupported("a mask that does not feed a softmax")),
            Op::Rescale { .. } => return Err(unsupported("already quantized")),
            Op::Reshape | Op::Permute { .. } | Op::Slice { .. } | Op::Broadcast => {
                let q = b.q(ins[0]);
                b.push(name, node.op.clone(), ins, shape, q)
            }
        };
        map.push(id);
    }
    b.g.input = map[src.input];
    b.g.output = map[src.output];
    debug_assert_eq!(
        numel(&b.g.nodes[b.g.output].shape),
        numel(&src.nodes[src.output].shape)
    );
    // Every key's graph is checked at load; a quantized graph that would
    // fail there is refused here, before calibration reports on it or setup
    // commits to it.
    crate::artifacts::check_key_graph(&b.g, crate::ir::check::WeightData::Present)
        .map_err(QuantError::Circuit)?;
    Ok(b.g)
}
