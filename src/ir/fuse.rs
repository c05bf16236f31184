//! Pattern recognition on the float graph, and dead-node removal.

use super::{Data, Func, Graph, NodeId, Op};

/// Removes nodes the output does not depend on (keeping the input) and renumbers.
pub fn prune(g: Graph) -> Graph {
    let mut live = vec![false; g.nodes.len()];
    live[g.output] = true;
    live[g.input] = true;
    for n in g.nodes.iter().rev() {
        if live[n.id] {
            for &i in &n.inputs {
                live[i] = true;
            }
        }
    }
    let mut remap = vec![usize::MAX; g.nodes.len()];
    let mut out = Graph {
        seq_len: g.seq_len,
        ..Graph::default()
    };
    for mut n in g.nodes.into_iter().filter(|n| live[n.id]) {
        remap[n.id] = out.nodes.len();
        n.id = out.nodes.len();
        n.inputs = n.inputs.iter().map(|&i| remap[i]).collect();
        out.nodes.push(n);
    }
    out.input = remap[g.input];
    out.output = remap[g.output];
    out
}

fn is_table(g: &Graph, id: NodeId) -> bool {
    matches!(g.nodes[id].op, Op::Weight { .. })
}

/// `x∘table` with `x` an activation: `(x, table)`.
fn times_table(g: &Graph, id: NodeId) -> Option<(NodeId, NodeId)> {
    let n = &g.nodes[id];
    if !matches!(n.op, Op::Hadamard) {
        return None;
    }
    let (a, b) = (n.inputs[0], n.inputs[1]);
    match (is_table(g, a), is_table(g, b)) {
        (false, true) => Some((a, b)),
        (true, false) => Some((b, a)),
        _ => None,
    }
}

fn is_slice_of(g: &Graph, id: NodeId, x: NodeId, axis: usize, start: usize, end: usize) -> bool {
    let n = &g.nodes[id];
    n.inputs == [x]
        && n.op
            == Op::Slice {
                axis,
                start,
                end,
                step: 1,
            }
}

/// `Concat(−x[h..d], x[0..h])` along the last axis: `Some((x, h))`.
fn rotate_half_of(g: &Graph, id: NodeId) -> Option<(NodeId, usize)> {
    let n = &g.nodes[id];
    let Op::Concat { axis } = n.op else {
        return None;
    };
    if n.inputs.len() != 2 || axis + 1 != n.shape.len() {
        return None;
    }
    let neg = &g.nodes[n.inputs[0]];
    if !matches!(neg.op, Op::MulConst { value, .. } if value == -1.0) {
        return None;
    }
    let hi = &g.nodes[neg.inputs[0]];
    let Op::Slice {
        start: h, end: d, ..
    } = hi.op
    else {
        return None;
    };
    let x = hi.inputs[0];
    let ok = d == g.nodes[x].shape[axis]
        && 2 * h == d
        && is_slice_of(g, neg.inputs[0], x, axis, h, d)
        && is_slice_of(g, n.inputs[1], x, axis, 0, h);
    ok.then_some((x, h))
}

/// tract may push the slices of a partial rotary through, leaving
/// `x = Concat(a, b)` and `rotate_half(x) = Concat(−b, a)`: `Some(half)`.
fn rotate_half_of_concat(g: &Graph, r: NodeId, x: NodeId) -> Option<usize> {
    let (rn, xn) = (&g.nodes[r], &g.nodes[x]);
    let (Op::Concat { axis }, Op::Concat { axis: xa }) = (&rn.op, &xn.op) else {
        return None;
    };
    if axis != xa || rn.inputs.len() != 2 || xn.inputs.len() != 2 || axis + 1 != rn.shape.len() {
        return None;
    }
    let (a, b) = (xn.inputs[0], xn.inputs[1]);
    let neg = &g.nodes[rn.inputs[0]];
    let ok = matches!(neg.op, Op::MulConst { value, .. } if value == -1.0)
        && neg.inputs == [b]
        && rn.inputs[1] == a
        && g.nodes[a].shape == g.nodes[b].shape;
    ok.then_some(g.nodes[a].shape[*axis])
}

/// Follows Reshapes and `MulConst(−1)`s back from `id`: the node reached and
/// whether an odd number of negations was passed.
fn through_reshape_and_neg(g: &Graph, mut id: NodeId) -> (NodeId, bool) {
    let mut neg = false;
    loop {
        let n = &g.nodes[id];
        match n.op {
            Op::Reshape => id = n.inputs[0],
            Op::MulConst { value: -1.0, .. } => {
                neg = !neg;
                id = n.inputs[0];
            }
            _ => return (id, neg),
        }
    }
}

/// Entries of the last axis a node takes from an earlier node, following
/// chains of Slices on that axis: `(base, start, step, len)`.
fn last_axis_slice(g: &Graph, id: NodeId) -> (NodeId, usize, usize, usize) {
    let n = &g.nodes[id];
    let last = n.shape.len().saturating_sub(1);
    match n.op {
        Op::Slice {
            axis,
            start,
            end,
            step,
        } if axis == last && g.nodes[n.inputs[0]].shape.len() == n.shape.len() => {
            let (base, s0, st0, _) = last_axis_slice(g, n.inputs[0]);
            (
                base,
                s0 + st0 * start,
                st0 * step,
                super::shape::slice_len(start, end, step),
            )
        }
        _ => (id, 0, 1, n.shape.get(last).copied().unwrap_or(1)),
    }
}

/// GPT-J's `rotate_every_two(x)`: `Reshape(Concat(−x[…, 1::2, None], x[…, ::2, None]))`
/// along a new last axis, with Reshapes and the negation in any order, and
/// the strided slices possibly taken from a wider tensor than `x` (tract
/// moves slices around): `Some(d/2)`.
fn rotate_pairs_of(g: &Graph, id: NodeId, x: NodeId) -> Option<usize> {
    let r = &g.nodes[id];
    if !matches!(r.op, Op::Reshape) || r.shape != g.nodes[x].shape {
        return None;
    }
    let c = &g.nodes[r.inputs[0]];
    let Op::Concat { axis } = c.op else {
        return None;
    };
    if c.inputs.len() != 2 || axis + 1 != c.shape.len() || c.shape[axis] != 2 {
        return None;
    }
    let (odd, odd_neg) = through_reshape_and_neg(g, c.inputs[0]);
    let (even, even_neg) = through_reshape_and_neg(g, c.inputs[1]);
    let (xb, xs, xst, d) = last_axis_slice(g, x);
    let rank = g.nodes[x].shape.len();
    let same_rank = |n: NodeId| g.nodes[n].shape.len() == rank;
    let ok = odd_neg
        && !even_neg
        && d % 2 == 0
        && same_rank(odd)
        && same_rank(even)
        && last_axis_slice(g, odd) == (xb, xs + xst, 2 * xst, d / 2)
        && last_axis_slice(g, even) == (xb, xs, 2 * xst, d / 2);
    ok.then_some(d / 2)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * b.abs()
}

/// The input of `MulConst(c)`.
fn mulconst_of(g: &Graph, id: NodeId, c: f64) -> Option<NodeId> {
    match g.nodes[id].op {
        Op::MulConst { value, .. } if close(value, c) => Some(g.nodes[id].inputs[0]),
        _ => None,
    }
}

/// The input of a one-input lookup of `func`.
fn lookup_of(g: &Graph, id: NodeId, func: &Func) -> Option<NodeId> {
    match &g.nodes[id].op {
        Op::Lookup { func: f, .. } if f == func => Some(g.nodes[id].inputs[0]),
        _ => None,
    }
}

/// `y` of `y + 1` (the 1 a public scalar constant).
fn plus_one(g: &Graph, id: NodeId) -> Option<NodeId> {
    let n = &g.nodes[id];
    if !matches!(n.op, Op::Add) {
        return None;
    }
    let one = |i: NodeId| {
        matches!(g.nodes[i].op, Op::Constant)
            && matches!(&g.nodes[i].data, Some(Data::F32(v)) if v.len() == 1 && v[0] == 1.0)
    };
    match (one(n.inputs[0]), one(n.inputs[1])) {
        (false, true) => Some(n.inputs[0]),
        (true, false) => Some(n.inputs[1]),
        _ => None,
    }
}

/// `tanh(√(2/π)·(x + 0.044715·x³))` or `erf(x/√2)` of `x`: the GELU kind.
fn gelu_inner(g: &Graph, t: NodeId, x: NodeId) -> Option<Func> {
    if let Some(s) = lookup_of(g, t, &Func::Tanh) {
        let a = mulconst_of(g, s, (2.0 / std::f64::consts::PI).sqrt())?;
        let n = &g.nodes[a];
        if !matches!(n.op, Op::Add) || n.shape != g.nodes[x].shape {
            return None;
        }
        let m = if n.inputs[0] == x {
            n.inputs[1]
        } else if n.inputs[1] == x {
            n.inputs[0]
        } else {
            return None;
        };
        let p = mulconst_of(g, m, 0.044715)?;
        return (lookup_of(g, p, &Func::Pow { exponent: 3.0 })? == x).then_some(Func::GeluTanh);
    }
    let d = lookup_of(g, t, &Func::Erf)?;
    (mulconst_of(g, d, std::f64::consts::FRAC_1_SQRT_2)? == x).then_some(Func::Gelu)
}

/// A GELU spelled out (`0.5·x·(1 + tanh(…))` or `0.5·x·(1 + erf(x/√2))`, the
/// 0.5 on either factor): `Some((x, func))`.
fn gelu_of(g: &Graph, id: NodeId) -> Option<(NodeId, Func)> {
    let n = &g.nodes[id];
    if !matches!(n.op, Op::Hadamard) || n.inputs[0] == n.inputs[1] {
        return None;
    }
    let (a, b) = (n.inputs[0], n.inputs[1]);
    for (p, q) in [(a, b), (b, a)] {
        let candidates = [
            mulconst_of(g, p, 0.5).map(|x| (x, q)),
            mulconst_of(g, q, 0.5).map(|u| (p, u)),
        ];
        for (x, u) in candidates.into_iter().flatten() {
            if g.nodes[x].shape != n.shape {
                continue;
            }
            if let Some(func) = plus_one(g, u).and_then(|t| gelu_inner(g, t, x)) {
                return Some((x, func));
            }
        }
    }
    None
}

/// Replaces `x∘cos + rot(x)∘sin` (either rotary form) by [`Op::Rotary`] and a spelled-out
/// GELU (tanh or erf form) by one [`Op::Lookup`].
pub fn fuse(mut g: Graph) -> Graph {
    for id in 0..g.nodes.len() {
        if let Some((x, func)) = gelu_of(&g, id) {
            let node = &mut g.nodes[id];
            node.op = Op::Lookup { func, table: None };
            node.inputs = vec![x];
        }
    }
    for id in 0..g.nodes.len() {
        if !matches!(g.nodes[id].op, Op::Add) {
            continue;
        }
        let (p, q) = (g.nodes[id].inputs[0], g.nodes[id].inputs[1]);
        for (p, q) in [(p, q), (q, p)] {
            let (Some((x, cos)), Some((r, sin))) = (times_table(&g, p), times_table(&g, q)) else {
                continue;
            };
            let (half, interleaved) = match rotate_half_of(&g, r) {
                Some((x2, half)) if x2 == x => (half, false),
                _ => match (rotate_half_of_concat(&g, r, x), rotate_pairs_of(&g, r, x)) {
                    (Some(half), _) => (half, false),
                    (None, Some(half)) => (half, true),
                    _ => continue,
                },
            };
            if g.nodes[x].shape != g.nodes[id].shape {
                continue;
            }
            let node = &mut g.nodes[id];
            node.op = Op::Rotary { half, interleaved };
            node.inputs = vec![x, cos, sin];
            break;
        }
    }
    prune(g)
}
