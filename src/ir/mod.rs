//! The provable graph: the model as zkllm sees it.
//!
//! A [`Graph`] is a list of [`Node`]s in topological order (a node's inputs
//! always have smaller ids). The importer produces a *float* graph (weights as
//! `f32`, no [`Quant`] on the nodes); [`crate::quant::quantize`] turns it into
//! a *fixed-point* graph where every node carries its bit width and
//! power-of-two scale, weights are integers, products are followed by explicit
//! [`Op::Rescale`] nodes and norms are expanded into primitive ops. The
//! witness generator ([`crate::witness`]) runs the fixed-point graph exactly.
//!
//! Every op is one of the provable ops of the design ("IR"); the free index
//! maps ([`Op::Reshape`], [`Op::Permute`], [`Op::Slice`], [`Op::Concat`],
//! [`Op::Broadcast`]) cost nothing in the proof. The whole graph is serde
//! serialisable so the proving key can embed it.

pub mod check;
mod einsum;
pub mod float;
mod func;
mod fuse;
mod gemm;
#[doc(hidden)]
pub mod mutate;
mod shape;
pub mod stored;

pub use einsum::EinsumSpec;
pub use func::Func;
pub use shape::{align_rank, broadcast_shape, numel, strides};

/// Index maps of the free ops (flat source index for each output entry).
pub mod shape_maps {
    pub use super::shape::{
        broadcast_index_map, concat, permute_index_map, rotary_map, rotary_partner,
        slice_index_map, slice_len,
    };
}

use serde::{Deserialize, Serialize};

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;

/// Fixed-point format of a tensor: the integer `q` stands for `q / 2^frac_bits`
/// and must lie in `[-2^(bits-1), 2^(bits-1))`. `frac_bits` may be negative
/// (a value with large magnitude stored in integer steps of `2^-frac_bits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quant {
    pub bits: u32,
    pub frac_bits: i32,
}

/// Tensor contents of weights and constants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Data {
    /// Float values (float graph only).
    F32(Vec<f32>),
    /// Quantized integers at the node's [`Quant`].
    I64(Vec<i64>),
    /// Quantized integers read in place from a proving key's weight section
    /// ([`stored`]); never in a key's JSON.
    #[serde(skip)]
    Stored(stored::StoredInts),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Stored(v) => v.len(),
        }
    }
    /// Integers `start..start + n` into `buf` (cleared first); floats read
    /// nothing.
    pub fn read(&self, start: usize, n: usize, buf: &mut Vec<i64>) {
        match self {
            Data::F32(_) => buf.clear(),
            Data::I64(v) => {
                buf.clear();
                buf.extend_from_slice(&v[start..start + n]);
            }
            Data::Stored(v) => v.read(start, n, buf),
        }
    }
    /// The integers (a stored tensor read out whole); `None` for floats.
    pub fn ints(&self) -> Option<std::borrow::Cow<'_, [i64]>> {
        match self {
            Data::F32(_) => None,
            Data::I64(v) => Some(std::borrow::Cow::Borrowed(v)),
            Data::Stored(v) => Some(std::borrow::Cow::Owned(v.to_vec())),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Kind of normalisation. LayerNorm arrives from tract as
/// `x - mean(x)` (an [`Op::Sum`], an [`Op::MulConst`] and an [`Op::Sub`])
/// followed by an RMS norm, so one kind is enough; gains and biases are the
/// [`Op::Hadamard`] / [`Op::Add`] with a weight that follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NormKind {
    Rms,
}

/// Table range of a lookup: the input must lie in `[lo, lo + 2^log_size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRange {
    pub lo: i64,
    pub log_size: u32,
}

impl TableRange {
    pub fn contains(&self, x: i64) -> bool {
        x >= self.lo && (x - self.lo) < (1i64 << self.log_size)
    }
}

/// Keep-mask for softmax: `true` where the score takes part. Its shape is
/// broadcastable to the softmax input (same rank, dims equal or 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mask {
    pub shape: Vec<usize>,
    pub keep: Vec<bool>,
}

/// One provable operation. Inputs are listed in [`Node::inputs`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Public integer input (token ids), `frac_bits = 0`.
    Input { name: String },
    /// Committed parameter; its data is in [`Node::data`]. `initializer` is
    /// false when tract derived it from parameters (e.g. a folded slice or a
    /// rotary table computed from constants): still committed, never public.
    Weight { name: String, initializer: bool },
    /// Public constant (scalars of the graph); data in [`Node::data`].
    Constant,
    /// `out[t.., :] = table[ids[t..], :]`. Inputs: `[table, ids]`.
    Embedding,
    /// Contraction of two tensors, `spec` in einsum notation with batch axes.
    /// `weight_operand` is `Some(i)` when input `i` is a [`Op::Weight`].
    /// Fixed-point: exact sum of products at `frac_a + frac_b`.
    EinSum {
        spec: EinsumSpec,
        weight_operand: Option<usize>,
    },
    /// Broadcasting sum of two tensors (equal `frac_bits` in fixed point).
    Add,
    /// Broadcasting difference of two tensors (equal `frac_bits`).
    Sub,
    /// Broadcasting element-wise product of two tensors, exact at
    /// `frac_a + frac_b`.
    Hadamard,
    /// Product by a public constant: float `value`; in fixed point the
    /// integer `q = round(value·2^frac_bits)`, output at `frac_in + frac_bits`.
    MulConst { value: f64, q: i64, frac_bits: i32 },
    /// `q = floor((x + 2^(shift-1)) / 2^shift)` (see [`crate::quant::rescale`]).
    Rescale { shift: u32 },
    /// Element-wise table lookup `out = round(2^f_out · func(x / 2^f_in))`,
    /// clamped to the output's bit width (the clamp is part of the table);
    /// `table` (set in fixed point) is the input range, and an input outside
    /// it is a witness error (see [`crate::quant::lookup_value`]).
    Lookup {
        func: Func,
        table: Option<TableRange>,
    },
    /// Row-wise softmax over the last axis, optionally masked.
    /// `exp_frac_bits` is the scale of the exp table output (fixed point).
    /// See [`crate::quant::softmax_row`] for the exact integer function.
    Softmax {
        mask: Option<Mask>,
        exp_frac_bits: Option<i32>,
    },
    /// `x / sqrt(mean(x², axis) + eps)` (float graph only: quantization
    /// expands it into Hadamard, Sum, Rescale, Lookup(RsqrtMean), Hadamard, Rescale).
    Norm {
        kind: NormKind,
        axis: usize,
        eps: f64,
    },
    /// Exact sum over `axis`, which is kept with size 1.
    Sum { axis: usize },
    /// Rotary embedding `y = x∘cos + rot(x)∘sin` along the last axis of size
    /// `2·half`. Half-split form (LLaMA, Qwen2, NeoX): `rot(x)[j] = −x[j+half]`
    /// for `j < half` and `x[j−half]` otherwise. Interleaved form (GPT-J,
    /// `rotate_every_two`): `rot(x)[2i] = −x[2i+1]`, `rot(x)[2i+1] = x[2i]`.
    /// Inputs `[x, cos, sin]` (tables broadcastable to
    /// `x`, committed weights, equal `frac_bits` in fixed point). Fixed point:
    /// exact at `frac_x + frac_cos`. Partial rotary is a Slice/Concat around it.
    Rotary {
        half: usize,
        #[serde(default)]
        interleaved: bool,
    },
    /// Keep-mask added to scores (`-inf` where not kept). Only valid as the
    /// input of a [`Op::Softmax`], into which the importer fuses it.
    Mask(Mask),
    /// Same data, new shape (row-major order unchanged). Free.
    Reshape,
    /// `out` axis `i` is input axis `perm[i]`. Free.
    Permute { perm: Vec<usize> },
    /// `start, start+step, …` below `end` along `axis` (`step ≥ 1`; a
    /// step of 2 is how exports spell GPT-J's interleaved rotary).
    Slice {
        axis: usize,
        start: usize,
        end: usize,
        #[serde(default = "one")]
        step: usize,
    },
    /// Concatenation along `axis` (equal `frac_bits`). Free.
    Concat { axis: usize },
    /// Broadcast size-1 axes up to the node's shape. Free.
    Broadcast,
}

impl Op {
    /// Short name used by `zkllm inspect`.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Input { .. } => "Input",
            Op::Weight { .. } => "Weight",
            Op::Constant => "Constant",
            Op::Embedding => "Embedding",
            Op::EinSum { .. } => "EinSum",
            Op::Add => "Add",
            Op::Sub => "Sub",
            Op::Hadamard => "Hadamard",
            Op::MulConst { .. } => "MulConst",
            Op::Rescale { .. } => "Rescale",
            Op::Lookup { .. } => "Lookup",
            Op::Softmax { .. } => "Softmax",
            Op::Norm { .. } => "Norm",
            Op::Sum { .. } => "Sum",
            Op::Rotary { .. } => "Rotary",
            Op::Mask(_) => "Mask",
            Op::Reshape => "Reshape",
            Op::Permute { .. } => "Permute",
            Op::Slice { .. } => "Slice",
            Op::Concat { .. } => "Concat",
            Op::Broadcast => "Broadcast",
        }
    }

    /// The gadget of the proof system that proves this op (design "Gadgets").
    pub fn gadget(&self) -> &'static str {
        match self {
            Op::Input { .. } | Op::Constant => "public",
            Op::Weight { .. } => "commitment",
            Op::Embedding => "embedding (one-hot sumcheck)",
            Op::EinSum { .. } => "matmul sumcheck",
            Op::Add | Op::Sub | Op::MulConst { .. } | Op::Sum { .. } => "linear (claim passes)",
            Op::Hadamard => "hadamard sumcheck",
            Op::Rescale { .. } => "rescale (range lookup)",
            Op::Lookup { .. } => "tlookup",
            Op::Softmax { .. } => "zkAttn",
            Op::Norm { .. } => "norm (sumcheck + rsqrt lookup)",
            Op::Rotary { .. } => "rotary (hadamard + signed index map)",
            Op::Mask(_) => "mask (fused into zkAttn)",
            Op::Reshape
            | Op::Permute { .. }
            | Op::Slice { .. }
            | Op::Concat { .. }
            | Op::Broadcast => "free index map",
        }
    }
}

/// A node of the graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    /// The ONNX/tract node this came from (for messages and calibration keys).
    pub name: String,
    pub op: Op,
    pub inputs: Vec<NodeId>,
    /// Output shape (row-major).
    pub shape: Vec<usize>,
    /// Fixed-point format; `None` in a float graph.
    pub quant: Option<Quant>,
    /// Contents of weights and constants.
    pub data: Option<Data>,
}

/// The provable graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// The token-id input node.
    pub input: NodeId,
    /// The logits node, shape `[1, seq, vocab]`.
    pub output: NodeId,
    /// Sequence length the graph was built for.
    pub seq_len: usize,
    /// Rescale outputs saturate at the edges of their width (clamped, and
    /// the clamp proven) instead of being refused; see
    /// [`crate::circuit::saturation`]. Keys written before it existed do not
    /// saturate.
    #[serde(default)]
    pub saturating: bool,
}

impl Graph {
    /// Appends a node and returns its id.
    pub fn push(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: Vec<NodeId>,
        shape: Vec<usize>,
    ) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            id,
            name: name.into(),
            op,
            inputs,
            shape,
            quant: None,
            data: None,
        });
        id
    }

    /// True once [`crate::quant::quantize`] has run.
    pub fn is_quantized(&self) -> bool {
        self.nodes.iter().all(|n| n.quant.is_some())
    }

    /// Number of committed parameters (weight entries).
    pub fn parameter_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Weight { .. }))
            .map(|n| numel(&n.shape))
            .sum()
    }

    /// Recognises decomposed patterns (rotary embedding) and replaces them
    /// by one op, then removes dead nodes. Run by the importer.
    pub fn fuse_patterns(self) -> Graph {
        fuse::fuse(self)
    }

    /// Removes nodes the output does not depend on (keeping the input) and
    /// renumbers the rest.
    pub fn prune(self) -> Graph {
        fuse::prune(self)
    }

    /// For each node, the ids of the nodes that read it.
    pub fn consumers(&self) -> Vec<Vec<NodeId>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for n in &self.nodes {
            for &i in &n.inputs {
                out[i].push(n.id);
            }
        }
        out
    }
}

/// Serde default of [`Op::Slice`]'s `step` (graphs written before it existed).
fn one() -> usize {
    1
}
