//! Lowering a decluttered tract model to the zkllm IR.
//!
//! Constants are kept as tract tensors until an op needs them, so that a
//! scalar factor becomes [`Op::MulConst`], an additive `-inf` pattern becomes
//! a softmax [`Mask`], and `where(isnan(x), 0, x)` disappears. Every op that
//! maps to nothing provable is collected, so the error lists all of them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops;

use super::{ImportError, Unsupported};
use crate::ir::{align_rank, EinsumSpec, Func, Graph, Mask, NodeId, NormKind, Op};

/// Values below this in an additive constant are a mask (`-inf`, `finfo.min`).
const MASK_THRESHOLD: f32 = -1e4;

#[derive(Clone)]
enum Val {
    Node(NodeId),
    Const(Arc<Tensor>),
    /// `IsNan(x)`: only meaningful as the condition of `where(isnan(x), 0, x)`.
    IsNan(NodeId),
    /// Output of an unsupported op (already reported).
    Poison,
}

struct Lowering<'a> {
    model: &'a TypedModel,
    initializers: &'a HashSet<String>,
    g: Graph,
    vals: HashMap<OutletId, Val>,
    materialized: HashMap<OutletId, NodeId>,
    names: HashSet<String>,
    unsupported: Vec<Unsupported>,
}

fn f32_data(t: &Tensor) -> TractResult<Vec<f32>> {
    Ok(t.cast_to::<f32>()?
        .to_plain_array_view::<f32>()?
        .iter()
        .copied()
        .collect())
}

fn uniform(t: &Tensor) -> Option<f64> {
    if !t.datum_type().is_float() {
        return None;
    }
    let v = f32_data(t).ok()?;
    let first = *v.first()?;
    v.iter().all(|&x| x == first).then_some(first as f64)
}

fn is_mask_constant(t: &Tensor) -> Option<Vec<bool>> {
    if !t.datum_type().is_float() {
        return None;
    }
    let v = f32_data(t).ok()?;
    let keep: Vec<bool> = v.iter().map(|&x| x > MASK_THRESHOLD).collect();
    let valid = v.iter().all(|&x| x == 0.0 || x <= MASK_THRESHOLD);
    (valid && keep.iter().any(|k| !k)).then_some(keep)
}

impl Lowering<'_> {
    fn shape(&self, outlet: OutletId) -> Result<Vec<usize>, String> {
        let fact = self.model.outlet_fact(outlet).map_err(|e| e.to_string())?;
        fact.shape
            .as_concrete()
            .map(|s| s.to_vec())
            .ok_or_else(|| format!("symbolic shape {:?}", fact.shape))
    }

    fn unique(&mut self, name: &str) -> String {
        let mut n = name.to_string();
        let mut k = 1;
        while !self.names.insert(n.clone()) {
            n = format!("{name}#{k}");
            k += 1;
        }
        n
    }

    fn emit(&mut self, name: &str, op: Op, inputs: Vec<NodeId>, shape: Vec<usize>) -> NodeId {
        let name = self.unique(name);
        self.g.push(name, op, inputs, shape)
    }

    /// The IR node of a constant: a public scalar, or a committed weight.
    fn materialize(&mut self, outlet: OutletId, t: &Tensor, rank: usize) -> Result<NodeId, String> {
        if let Some(&id) = self.materialized.get(&outlet) {
            return Ok(id);
        }
        if !t.datum_type().is_float() {
            return Err(format!(
                "non-float constant of type {:?} used as a tensor",
                t.datum_type()
            ));
        }
        let data = f32_data(t).map_err(|e| e.to_string())?;
        let shape = align_rank(t.shape(), rank);
        let node_name = self.model.node(outlet.node).name.clone();
        let op = if data.len() == 1 {
            Op::Constant
        } else {
            Op::Weight {
                initializer: self.initializers.contains(&node_name),
                name: node_name.clone(),
            }
        };
        let id = self.emit(&node_name, op, vec![], shape);
        self.g.nodes[id].data = Some(crate::ir::Data::F32(data));
        self.materialized.insert(outlet, id);
        Ok(id)
    }

    /// The IR node for an input that must be a tensor.
    fn tensor(&mut self, outlet: OutletId, rank: usize) -> Result<NodeId, String> {
        match self.vals.get(&outlet).cloned() {
            Some(Val::Node(id)) => Ok(id),
            Some(Val::Const(t)) => self.materialize(outlet, &t, rank),
            Some(Val::IsNan(_)) => Err("IsNan used outside where(isnan(x), 0, x)".into()),
            Some(Val::Poison) | None => Err("input not lowered".into()),
        }
    }

    fn lower_node(&mut self, node: &TypedNode) -> Result<Val, String> {
        let inputs: Vec<Val> = node
            .inputs
            .iter()
            .map(|o| self.vals.get(o).cloned().unwrap_or(Val::Poison))
            .collect();
        if inputs.iter().any(|v| matches!(v, Val::Poison)) {
            return Ok(Val::Poison);
        }
        let out = OutletId::new(node.id, 0);
        let name = node.name.as_str();
        if let Some(k) = node.op_as::<ops::konst::Const>() {
            return Ok(Val::Const(k.val().clone()));
        }
        if node.op_as::<ops::source::TypedSource>().is_some() {
            if name != "input_ids" {
                return Err(format!("unexpected model input `{name}`"));
            }
            let shape = self.shape(out)?;
            let id = self.emit(name, Op::Input { name: name.into() }, vec![], shape);
            self.g.input = id;
            return Ok(Val::Node(id));
        }
        // Fold anything whose inputs are all constants.
        if !inputs.is_empty() && inputs.iter().all(|v| matches!(v, Val::Const(_))) {
            let tv: TVec<TValue> = inputs
                .iter()
                .map(|v| {
                    if let Val::Const(t) = v {
                        TValue::from_const(t.clone())
                    } else {
                        unreachable!()
                    }
                })
                .collect();
            if let Ok(r) = node.op.eval(
                &tract_onnx::tract_core::plan::EvalContext::out_of_plan(),
                tv,
            ) {
                return Ok(Val::Const(r[0].clone().into_arc_tensor()));
            }
        }
        let shape = self.shape(out)?;
        let rank = shape.len();
        let node_in = |i: usize| node.inputs[i];

        if let Some(op) = node.op_as::<ops::einsum::EinSum>() {
            if op.q_params.is_some() || node.inputs.len() != 2 {
                return Err("quantized or non-binary EinSum".into());
            }
            let (ins, outs) = op.axes.to_strs();
            let expr = format!("{},{}->{}", ins[0], ins[1], outs[0]);
            let spec = EinsumSpec::parse(&expr)
                .ok_or_else(|| format!("einsum `{expr}` is not a two-operand contraction"))?;
            let ra = self.shape(node_in(0))?.len();
            let rb = self.shape(node_in(1))?.len();
            let a = self.tensor(node_in(0), ra)?;
            let b = self.tensor(node_in(1), rb)?;
            let weight_operand = [a, b]
                .iter()
                .position(|&i| matches!(self.g.nodes[i].op, Op::Weight { .. }));
            return Ok(Val::Node(self.emit(
                name,
                Op::EinSum {
                    spec,
                    weight_operand,
                },
                vec![a, b],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::binary::TypedBinOp>() {
            return self.binary(node, op.0.name(), &inputs, shape);
        }
        if let Some(op) = node.op_as::<ops::element_wise::ElementWiseOp>() {
            let Val::Node(x) = inputs[0] else {
                return Err("element-wise op on a non-tensor".into());
            };
            if let Some(p) = op.0.downcast_ref::<ops::math::PowConst>() {
                let func = Func::Pow {
                    exponent: p.exponent as f64,
                };
                return Ok(Val::Node(self.emit(
                    name,
                    Op::Lookup { func, table: None },
                    vec![x],
                    shape,
                )));
            }
            let func = match op.0.name().as_str() {
                "IsNan" => return Ok(Val::IsNan(x)),
                "Neg" => {
                    return Ok(Val::Node(self.emit(
                        name,
                        Op::MulConst {
                            value: -1.0,
                            q: -1,
                            frac_bits: 0,
                        },
                        vec![x],
                        shape,
                    )))
                }
                "Square" => return Ok(Val::Node(self.emit(name, Op::Hadamard, vec![x, x], shape))),
                "Tanh" => Func::Tanh,
                "Silu" => Func::Silu,
                "GeluExact" => Func::Gelu,
                "GeluApproximate" => Func::GeluTanh,
                "Sigmoid" => Func::Sigmoid,
                "Exp" => Func::Exp,
                "Erf" => Func::Erf,
                "Sqrt" => Func::Sqrt,
                "Rsqrt" => Func::Rsqrt,
                "Recip" => Func::Reciprocal,
                other => return Err(format!("element-wise `{other}` has no lookup table")),
            };
            return Ok(Val::Node(self.emit(
                name,
                Op::Lookup { func, table: None },
                vec![x],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::cast::Cast>() {
            return match inputs[0] {
                Val::Node(x) if op.to.is_float() => Ok(Val::Node(x)),
                _ => Err(format!("cast to {:?} of a non-constant", op.to)),
            };
        }
        if node.op_as::<ops::logic::Iff>().is_some() {
            return self.iff(name, &inputs, shape);
        }
        if let Some(op) = node.op_as::<ops::array::Gather>() {
            let (Val::Const(_), Val::Node(ids)) = (&inputs[0], &inputs[1]) else {
                return Err("gather that is not a lookup of weight rows by token ids".into());
            };
            if op.axis != 0 || !matches!(self.g.nodes[*ids].op, Op::Input { .. }) {
                return Err("gather that is not a lookup of weight rows by token ids".into());
            }
            let ids = *ids;
            let table = self.tensor(node_in(0), self.shape(node_in(0))?.len())?;
            let mut want = self.g.nodes[ids].shape.clone();
            want.extend_from_slice(&self.g.nodes[table].shape[1..]);
            if want != shape {
                return Err(format!(
                    "embedding output shape {shape:?}, expected {want:?}"
                ));
            }
            return Ok(Val::Node(self.emit(
                name,
                Op::Embedding,
                vec![table, ids],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::nn::RmsNorm>() {
            let Val::Node(x) = inputs[0] else {
                return Err("norm of a constant".into());
            };
            let eps = op.eps.cast_to_scalar::<f32>().map_err(|e| e.to_string())? as f64;
            return Ok(Val::Node(self.emit(
                name,
                Op::Norm {
                    kind: NormKind::Rms,
                    axis: op.axis,
                    eps,
                },
                vec![x],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::nn::Reduce>() {
            let Val::Node(x) = inputs[0] else {
                return Err("reduce of a constant".into());
            };
            return match (op.reducer, op.axes.as_slice()) {
                (ops::nn::Reducer::Sum, [axis]) => Ok(Val::Node(self.emit(
                    name,
                    Op::Sum { axis: *axis },
                    vec![x],
                    shape,
                ))),
                (r, axes) => Err(format!("reduction {r:?} over {axes:?} is not provable")),
            };
        }
        if let Some(op) = node.op_as::<ops::nn::Softmax>() {
            let Val::Node(x) = inputs[0] else {
                return Err("softmax of a constant".into());
            };
            if op.kind != ops::nn::SoftmaxKind::Softmax || op.axes.as_slice() != [rank - 1] {
                return Err(format!(
                    "{:?} over axes {:?}: only softmax over the last axis",
                    op.kind, op.axes
                ));
            }
            let (x, mask) = match &self.g.nodes[x].op {
                Op::Mask(m) => (self.g.nodes[x].inputs[0], Some(m.clone())),
                _ => (x, None),
            };
            return Ok(Val::Node(self.emit(
                name,
                Op::Softmax {
                    mask,
                    exp_frac_bits: None,
                },
                vec![x],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::change_axes::AxisOp>() {
            let Val::Node(x) = inputs[0] else {
                return Err("axis op on a constant".into());
            };
            let ir = match op {
                ops::change_axes::AxisOp::Move(from, to) => {
                    let mut perm: Vec<usize> = (0..rank).collect();
                    let a = perm.remove(*from);
                    perm.insert(*to, a);
                    Op::Permute { perm }
                }
                _ => Op::Reshape,
            };
            return Ok(Val::Node(self.emit(name, ir, vec![x], shape)));
        }
        if let Some(op) = node.op_as::<ops::array::Slice>() {
            let Val::Node(x) = inputs[0] else {
                return Err("slice of a constant".into());
            };
            let start = op.start.to_i64().map_err(|e| e.to_string())? as usize;
            let end = op.end.to_i64().map_err(|e| e.to_string())? as usize;
            return Ok(Val::Node(self.emit(
                name,
                Op::Slice {
                    axis: op.axis,
                    start,
                    end,
                    step: 1,
                },
                vec![x],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::Downsample>() {
            let Val::Node(x) = inputs[0] else {
                return Err("strided slice of a constant".into());
            };
            if op.stride < 1 {
                return Err(format!(
                    "strided slice with step {} (only positive steps)",
                    op.stride
                ));
            }
            return Ok(Val::Node(self.emit(
                name,
                Op::Slice {
                    axis: op.axis,
                    start: op.modulo,
                    end: self.g.nodes[x].shape[op.axis],
                    step: op.stride as usize,
                },
                vec![x],
                shape,
            )));
        }
        if let Some(op) = node.op_as::<ops::array::TypedConcat>() {
            let ids = (0..node.inputs.len())
                .map(|i| self.tensor(node_in(i), rank))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Val::Node(self.emit(
                name,
                Op::Concat { axis: op.axis },
                ids,
                shape,
            )));
        }
        if node.op_as::<ops::array::MultiBroadcastTo>().is_some() {
            let x = self.tensor(node_in(0), rank)?;
            return Ok(Val::Node(self.emit(name, Op::Broadcast, vec![x], shape)));
        }
        Err(format!("op `{}` is not provable by zkllm", node.op.name()))
    }

    fn binary(
        &mut self,
        node: &TypedNode,
        op: &str,
        inputs: &[Val],
        shape: Vec<usize>,
    ) -> Result<Val, String> {
        let name = node.name.as_str();
        let rank = shape.len();
        match (op, &inputs[0], &inputs[1]) {
            ("Mul", Val::Node(x), Val::Const(c)) | ("Mul", Val::Const(c), Val::Node(x)) => {
                let x = *x;
                if let Some(v) = uniform(c) {
                    let y = self.emit(
                        name,
                        Op::MulConst {
                            value: v,
                            q: 0,
                            frac_bits: 0,
                        },
                        vec![x],
                        self.g.nodes[x].shape.clone(),
                    );
                    return Ok(Val::Node(self.broadcast_to(name, y, shape)));
                }
                let ci = if matches!(inputs[0], Val::Const(_)) {
                    0
                } else {
                    1
                };
                let w = self.tensor(node.inputs[ci], rank)?;
                Ok(Val::Node(self.emit(name, Op::Hadamard, vec![x, w], shape)))
            }
            ("Div", Val::Node(x), Val::Const(c)) => {
                let x = *x;
                let v = uniform(c).ok_or("division by a non-uniform constant")?;
                let y = self.emit(
                    name,
                    Op::MulConst {
                        value: 1.0 / v,
                        q: 0,
                        frac_bits: 0,
                    },
                    vec![x],
                    self.g.nodes[x].shape.clone(),
                );
                Ok(Val::Node(self.broadcast_to(name, y, shape)))
            }
            ("Div", _, Val::Node(d)) => {
                let d = *d;
                let r = self.emit(
                    &format!("{name}/recip"),
                    Op::Lookup {
                        func: Func::Reciprocal,
                        table: None,
                    },
                    vec![d],
                    self.g.nodes[d].shape.clone(),
                );
                match &inputs[0] {
                    Val::Const(c) if uniform(c).is_some() => {
                        let v = uniform(c).unwrap();
                        let y = self.emit(
                            name,
                            Op::MulConst {
                                value: v,
                                q: 0,
                                frac_bits: 0,
                            },
                            vec![r],
                            self.g.nodes[r].shape.clone(),
                        );
                        Ok(Val::Node(self.broadcast_to(name, y, shape)))
                    }
                    _ => {
                        let n = self.tensor(node.inputs[0], rank)?;
                        Ok(Val::Node(self.emit(name, Op::Hadamard, vec![n, r], shape)))
                    }
                }
            }
            ("Add", Val::Node(x), Val::Const(c)) | ("Add", Val::Const(c), Val::Node(x))
                if is_mask_constant(c).is_some() =>
            {
                let keep = is_mask_constant(c).unwrap();
                let mask = Mask {
                    shape: align_rank(c.shape(), rank),
                    keep,
                };
                let x = *x;
                let x = self.broadcast_to(name, x, shape.clone());
                Ok(Val::Node(self.emit(name, Op::Mask(mask), vec![x], shape)))
            }
            ("Add", Val::Node(x), Val::Const(c)) | ("Add", Val::Const(c), Val::Node(x))
                if uniform(c) == Some(0.0) =>
            {
                let x = *x;
                Ok(Val::Node(self.broadcast_to(name, x, shape)))
            }
            ("Max", Val::Node(x), Val::Const(c)) | ("Max", Val::Const(c), Val::Node(x))
                if uniform(c) == Some(0.0) =>
            {
                let x = *x;
                let y = self.emit(
                    name,
                    Op::Lookup {
                        func: Func::Relu,
                        table: None,
                    },
                    vec![x],
                    self.g.nodes[x].shape.clone(),
                );
                Ok(Val::Node(self.broadcast_to(name, y, shape)))
            }
            ("Pow", Val::Node(x), Val::Const(c)) if uniform(c).is_some() => {
                let x = *x;
                let func = Func::Pow {
                    exponent: uniform(c).unwrap(),
                };
                let y = self.emit(
                    name,
                    Op::Lookup { func, table: None },
                    vec![x],
                    self.g.nodes[x].shape.clone(),
                );
                Ok(Val::Node(self.broadcast_to(name, y, shape)))
            }
            ("Add" | "Sub" | "Mul", _, _) => {
                let a = self.tensor(node.inputs[0], rank)?;
                let b = self.tensor(node.inputs[1], rank)?;
                let ir = match op {
                    "Add" => Op::Add,
                    "Sub" => Op::Sub,
                    _ => Op::Hadamard,
                };
                Ok(Val::Node(self.emit(name, ir, vec![a, b], shape)))
            }
            (other, _, _) => Err(format!(
                "binary `{other}` of these operands is not provable"
            )),
        }
    }

    fn broadcast_to(&mut self, name: &str, x: NodeId, shape: Vec<usize>) -> NodeId {
        if self.g.nodes[x].shape == shape {
            x
        } else {
            self.emit(&format!("{name}/broadcast"), Op::Broadcast, vec![x], shape)
        }
    }

    fn iff(&mut self, name: &str, inputs: &[Val], shape: Vec<usize>) -> Result<Val, String> {
        let rank = shape.len();
        match inputs {
            // where(isnan(x), 0, x): quantized values are never NaN.
            [Val::IsNan(x), Val::Const(z), Val::Node(y)] if x == y && uniform(z) == Some(0.0) => {
                Ok(Val::Node(*x))
            }
            [Val::Const(cond), Val::Node(x), Val::Const(neg)]
            | [Val::Const(cond), Val::Const(neg), Val::Node(x)]
                if uniform(neg).is_some_and(|v| v as f32 <= MASK_THRESHOLD) =>
            {
                let cond_keep = matches!(inputs[1], Val::Node(_));
                let c = cond.cast_to::<bool>().map_err(|e| e.to_string())?;
                let keep: Vec<bool> = c
                    .to_plain_array_view::<bool>()
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(|&b| b == cond_keep)
                    .collect();
                let mask = Mask {
                    shape: align_rank(cond.shape(), rank),
                    keep,
                };
                let x = self.broadcast_to(name, *x, shape.clone());
                Ok(Val::Node(self.emit(name, Op::Mask(mask), vec![x], shape)))
            }
            _ => Err("select (where) that is neither a mask nor a NaN guard".into()),
        }
    }
}

pub(crate) fn lower(
    model: &TypedModel,
    initializers: &HashSet<String>,
    seq_len: usize,
) -> Result<Graph, ImportError> {
    let tract = |e: TractError| ImportError::Tract {
        stage: "lower",
        why: format!("{e:#}"),
    };
    let mut l = Lowering {
        model,
        initializers,
        g: Graph {
            seq_len,
            input: usize::MAX,
            ..Graph::default()
        },
        vals: HashMap::new(),
        materialized: HashMap::new(),
        names: HashSet::new(),
        unsupported: Vec::new(),
    };
    for id in model.eval_order().map_err(tract)? {
        let node = model.node(id);
        let v = match l.lower_node(node) {
            Ok(v) => v,
            Err(why) => {
                l.unsupported.push(Unsupported {
                    node: node.name.clone(),
                    op: node.op.name().to_string(),
                    why,
                });
                // A stand-in with the right shape lets the ops downstream be
                // checked too, so every refusal is reported at once. The graph
                // is discarded.
                match l.shape(OutletId::new(id, 0)) {
                    Ok(shape) => Val::Node(l.emit(
                        &node.name,
                        Op::Input {
                            name: "<unsupported>".into(),
                        },
                        vec![],
                        shape,
                    )),
                    Err(_) => Val::Poison,
                }
            }
        };
        for slot in 0..node.outputs.len() {
            l.vals.insert(OutletId::new(id, slot), v.clone());
        }
    }
    if !l.unsupported.is_empty() {
        return Err(ImportError::Unsupported(l.unsupported));
    }
    let out = model.output_outlets().map_err(tract)?[0];
    match l.vals.get(&out) {
        Some(Val::Node(id)) => l.g.output = *id,
        _ => return Err(ImportError::NoLogits),
    }
    if l.g.input == usize::MAX {
        return Err(ImportError::NoInputIds { inputs: vec![] });
    }
    Ok(l.g.prune().fuse_patterns())
}
