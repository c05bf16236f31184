//! A structured mutator of graphs: random edits of the structure a key's
//! graph carries (ids, inputs, shapes, ranks, shifts, table sizes, axes,
//! formats, input/output indices, node order), decoded from bytes. Shared by
//! the property test of key loading (`tests/soundness_key.rs`) and the
//! `key_graph` fuzz target, so both explore the same edits.

use super::{Graph, Op, Quant};

/// One structural edit; node indices are taken modulo the graph's length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Input slot `slot` of node `node` now names `to` (any id, even past the end).
    Input {
        node: usize,
        slot: usize,
        to: usize,
    },
    DropInput {
        node: usize,
    },
    AddInput {
        node: usize,
        to: usize,
    },
    Dim {
        node: usize,
        axis: usize,
        size: usize,
    },
    /// Adds a leading 1 (odd `node`) or removes the first axis.
    Rank {
        node: usize,
    },
    Shift {
        node: usize,
        shift: u32,
    },
    TableSize {
        node: usize,
        log_size: u32,
    },
    /// The op's axis, first permutation entry or rotary half.
    Axis {
        node: usize,
        value: usize,
    },
    Format {
        node: usize,
        bits: u32,
        frac_bits: i32,
    },
    Output {
        to: usize,
    },
    GraphInput {
        to: usize,
    },
    Swap {
        a: usize,
        b: usize,
    },
    Truncate {
        keep: usize,
    },
}

/// Bytes per encoded edit: kind, node, two arguments.
pub const EDIT_BYTES: usize = 4;

/// Decodes `bytes` as edits, [`EDIT_BYTES`] each (a shorter tail is ignored).
pub fn decode(bytes: &[u8]) -> Vec<Edit> {
    bytes
        .chunks_exact(EDIT_BYTES)
        .map(|c| {
            let (node, a, b) = (c[1] as usize, c[2] as usize, c[3] as usize);
            match c[0] % 13 {
                0 => Edit::Input {
                    node,
                    slot: a,
                    to: b,
                },
                1 => Edit::DropInput { node },
                2 => Edit::AddInput { node, to: a },
                3 => Edit::Dim {
                    node,
                    axis: a,
                    size: b + (a & 0xf0) * 4,
                },
                4 => Edit::Rank { node },
                5 => Edit::Shift {
                    node,
                    shift: (a % 40) as u32,
                },
                6 => Edit::TableSize {
                    node,
                    log_size: (a % 40) as u32,
                },
                7 => Edit::Axis { node, value: a % 8 },
                8 => Edit::Format {
                    node,
                    bits: (a % 70) as u32,
                    frac_bits: b as i32 - 128,
                },
                9 => Edit::Output { to: node },
                10 => Edit::GraphInput { to: node },
                11 => Edit::Swap { a: node, b: a },
                _ => Edit::Truncate { keep: node },
            }
        })
        .collect()
}

/// Applies one edit (a no-op where it does not fit the node).
pub fn apply(g: &mut Graph, e: &Edit) {
    let len = g.nodes.len();
    if len == 0 {
        return;
    }
    let at = |i: usize| i % len;
    match *e {
        Edit::Input { node, slot, to } => {
            let n = &mut g.nodes[at(node)];
            if !n.inputs.is_empty() {
                let k = slot % n.inputs.len();
                n.inputs[k] = to;
            }
        }
        Edit::DropInput { node } => {
            g.nodes[at(node)].inputs.pop();
        }
        Edit::AddInput { node, to } => g.nodes[at(node)].inputs.push(to),
        Edit::Dim { node, axis, size } => {
            let s = &mut g.nodes[at(node)].shape;
            if !s.is_empty() {
                let a = axis % s.len();
                s[a] = size;
            }
        }
        Edit::Rank { node } => {
            let s = &mut g.nodes[at(node)].shape;
            if node % 2 == 1 || s.len() <= 1 {
                s.insert(0, 1);
            } else {
                s.remove(0);
            }
        }
        Edit::Shift { node, shift: v } => {
            if let Op::Rescale { shift } = &mut g.nodes[at(node)].op {
                *shift = v;
            }
        }
        Edit::TableSize { node, log_size } => {
            if let Op::Lookup { table: Some(t), .. } = &mut g.nodes[at(node)].op {
                t.log_size = log_size;
            }
        }
        Edit::Axis { node, value } => match &mut g.nodes[at(node)].op {
            Op::Sum { axis } | Op::Concat { axis } | Op::Slice { axis, .. } => *axis = value,
            Op::Permute { perm } if !perm.is_empty() => perm[0] = value,
            Op::Rotary { half, .. } => *half = value,
            _ => {}
        },
        Edit::Format {
            node,
            bits,
            frac_bits,
        } => g.nodes[at(node)].quant = Some(Quant { bits, frac_bits }),
        Edit::Output { to } => g.output = to,
        Edit::GraphInput { to } => g.input = to,
        Edit::Swap { a, b } => g.nodes.swap(at(a), at(b)),
        Edit::Truncate { keep } => g.nodes.truncate(at(keep).max(1)),
    }
}
