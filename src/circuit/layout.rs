//! Tensor layout: every axis zero-padded to a power of two on its own, the
//! last axis in the low variables. A point on a tensor is the concatenation
//! of one block of coordinates per axis, last axis first.

use rayon::prelude::*;

use crate::field::{from_i64, Fr};
use crate::poly::num_vars_for;
use crate::protocols::linear::prefix_indicator;

/// Variables of each axis (outermost first).
pub fn axis_logs(shape: &[usize]) -> Vec<usize> {
    shape.iter().map(|&d| num_vars_for(d)).collect()
}

pub fn num_vars(shape: &[usize]) -> usize {
    axis_logs(shape).iter().sum()
}

/// Splits a point into per-axis blocks (outermost axis first).
pub fn blocks<'a>(shape: &[usize], point: &'a [Fr]) -> Vec<&'a [Fr]> {
    let logs = axis_logs(shape);
    let mut out = vec![&point[..0]; shape.len()];
    let mut rest = point;
    for a in (0..shape.len()).rev() {
        let (b, tail) = rest.split_at(logs[a]);
        out[a] = b;
        rest = tail;
    }
    debug_assert!(rest.is_empty());
    out
}

/// Joins per-axis blocks (outermost first) into a point.
pub fn join(blocks: &[&[Fr]]) -> Vec<Fr> {
    blocks
        .iter()
        .rev()
        .flat_map(|b| b.iter().copied())
        .collect()
}

/// Padded index of row-major element `e`.
pub fn padded_index(shape: &[usize], mut e: usize) -> usize {
    let logs = axis_logs(shape);
    let mut idx = 0usize;
    let mut shift = 0;
    for a in (0..shape.len()).rev() {
        let i = e % shape[a];
        e /= shape[a];
        idx |= i << shift;
        shift += logs[a];
    }
    idx
}

/// The padded table of a row-major integer tensor.
pub fn padded_table(shape: &[usize], values: &[i64]) -> Vec<Fr> {
    let mut t = vec![Fr::from(0u64); 1 << num_vars(shape)];
    if shape.iter().all(|&d| d > 0) {
        for (e, v) in values.iter().enumerate() {
            if *v != 0 {
                t[padded_index(shape, e)] = from_i64(*v);
            }
        }
    }
    t
}

/// The padded integer tensor (for small-scalar commitments).
pub fn padded_ints(shape: &[usize], values: &[i64]) -> Vec<i64> {
    let mut t = vec![0i64; 1 << num_vars(shape)];
    for (e, v) in values.iter().enumerate() {
        t[padded_index(shape, e)] = *v;
    }
    t
}

/// MLE at `point` of the indicator of the real (unpadded) entries.
pub fn real_indicator(shape: &[usize], point: &[Fr]) -> Fr {
    blocks(shape, point)
        .iter()
        .zip(shape)
        .map(|(b, &d)| prefix_indicator(b, d))
        .product()
}

/// Aligns `in_shape` to the rank of `out_shape` (numpy broadcasting).
pub use crate::ir::align_rank as align;

/// A claim on `broadcast(input)` (to `out_shape`) at `point` with value `v`
/// is the claim on `input` at the kept blocks with value `v / Π ind`, where
/// `ind` is the real-indicator of each broadcast axis. `None` if an
/// indicator vanishes (never at a random point).
pub fn unbroadcast_point(
    in_shape: &[usize],
    out_shape: &[usize],
    point: &[Fr],
) -> Option<(Vec<Fr>, Fr)> {
    let aligned = align(in_shape, out_shape.len());
    let bl = blocks(out_shape, point);
    let mut kept: Vec<&[Fr]> = Vec::new();
    let mut factor = Fr::from(1u64);
    let lead = out_shape.len() - in_shape.len();
    for (a, (&di, &dout)) in aligned.iter().zip(out_shape).enumerate() {
        if di == dout {
            if a >= lead {
                kept.push(bl[a]);
            }
        } else {
            factor *= prefix_indicator(bl[a], dout);
            if a >= lead {
                kept.push(&[]);
            }
        }
    }
    let inv = ark_ff::Field::inverse(&factor)?;
    Some((join(&kept), inv))
}

/// Materialises `broadcast(input)` as a padded table of `out_shape`.
pub fn broadcast_table(in_shape: &[usize], out_shape: &[usize], values: &[i64]) -> Vec<Fr> {
    let aligned = align(in_shape, out_shape.len());
    let map = crate::ir::shape_maps::broadcast_index_map(&aligned, out_shape);
    let full: Vec<i64> = map.iter().map(|&i| values[i]).collect();
    padded_table(out_shape, &full)
}

/// Permutes the axes of a padded table: output axis `i` is input axis `perm[i]`.
pub fn permute_table(table: &[Fr], in_shape: &[usize], perm: &[usize]) -> Vec<Fr> {
    let logs = axis_logs(in_shape);
    let out_logs: Vec<usize> = perm.iter().map(|&p| logs[p]).collect();
    // Bit offset of each input axis.
    let mut in_off = vec![0; logs.len()];
    let mut acc = 0;
    for a in (0..logs.len()).rev() {
        in_off[a] = acc;
        acc += logs[a];
    }
    let mut out = vec![Fr::from(0u64); table.len()];
    for (o, slot) in out.iter_mut().enumerate() {
        let mut rest = o;
        let mut src = 0;
        for i in (0..perm.len()).rev() {
            let c = rest & ((1 << out_logs[i]) - 1);
            rest >>= out_logs[i];
            src |= c << in_off[perm[i]];
        }
        *slot = table[src];
    }
    out
}

/// `out[o·2^inner + i] = Σ_m eq[m]·T[o][m][i]`, `T` the padded table of
/// slot `slot` of `tensors` (of `shape`) with its axes permuted by `perm`
/// ([`permute_table`]) and split into `(outer, mid, inner)` low variables
/// `(…, eq's, inner)`: `fold_axis(permute_table(padded_table))` read from
/// the integers, one product per entry, with no field table of the tensor.
/// A key's weight is folded from the tables its commitment was made of.
pub fn fold_ints(
    tensors: &dyn crate::claims::SmallTensors,
    slot: usize,
    shape: &[usize],
    perm: &[usize],
    inner: usize,
    eq: &[Fr],
) -> Vec<Fr> {
    let logs = axis_logs(shape);
    let total: usize = logs.iter().sum();
    let mid = eq.len().trailing_zeros() as usize;
    assert!(mid + inner <= total, "fold past the table");
    // Per axis: where its bits lie in the padded table and in the permuted one.
    let mut from = vec![0usize; shape.len()];
    let mut acc = 0;
    for a in (0..shape.len()).rev() {
        from[a] = acc;
        acc += logs[a];
    }
    let mut to = vec![0usize; shape.len()];
    let mut acc = 0;
    for j in (0..perm.len()).rev() {
        to[perm[j]] = acc;
        acc += logs[perm[j]];
    }
    let permuted = |p: usize| -> usize {
        (0..shape.len())
            .map(|a| ((p >> from[a]) & ((1usize << logs[a]) - 1)) << to[a])
            .fold(0, |c, x| c | x)
    };
    let out_len = 1usize << (total - mid);
    let (mid_mask, inner_mask) = ((1usize << mid) - 1, (1usize << inner) - 1);
    (0..tensors.runs(slot))
        .into_par_iter()
        .fold(
            || (vec![Fr::from(0u64); out_len], Vec::new()),
            |(mut out, mut buf), k| {
                let start = tensors.run(slot, k, &mut buf);
                for (j, &v) in buf.iter().enumerate() {
                    if v == 0 {
                        continue;
                    }
                    let c = permuted(start + j);
                    let m = (c >> inner) & mid_mask;
                    let o = ((c >> (inner + mid)) << inner) | (c & inner_mask);
                    out[o] += eq[m] * from_i64(v);
                }
                (out, buf)
            },
        )
        .map(|(out, _)| out)
        .reduce(
            || vec![Fr::from(0u64); out_len],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Reorders a point's per-axis blocks: `from` names the axes of `point` (with
/// their shape), `to` the wanted order; axes of `to` missing in `from` get
/// empty blocks (size-1 axes).
pub fn reorder_point(point: &[Fr], from_shape: &[usize], from: &[char], to: &[char]) -> Vec<Fr> {
    let bl = blocks(from_shape, point);
    let picked: Vec<&[Fr]> = to
        .iter()
        .map(|c| {
            from.iter()
                .position(|f| f == c)
                .map(|i| bl[i])
                .unwrap_or(&[])
        })
        .collect();
    join(&picked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::default_backend;
    use crate::circuit::WeightRows;
    use crate::claims::SmallTensors;
    use crate::ir::{stored::StoredInts, Data, Graph, Op};
    use ark_std::UniformRand;

    /// [`fold_ints`] is `fold_axis(permute_table(padded_table))`, for
    /// padded tables in memory and weights in rows (in memory and stored),
    /// every axis order and split.
    #[test]
    fn folding_integers_matches_folding_the_permuted_field_table() {
        let be = default_backend();
        let mut rng = ark_std::test_rng();
        for (shape, perm) in [
            (vec![3usize, 5], vec![0usize, 1]),
            (vec![3, 5], vec![1, 0]),
            (vec![2, 3, 6], vec![1, 2, 0]),
            (vec![4, 1, 7], vec![2, 0, 1]),
            (vec![9], vec![0]),
        ] {
            let n: usize = shape.iter().product();
            let values: Vec<i64> = (0..n as i64).map(|i| (i * 37 % 23) - 11).collect();
            let table = permute_table(&padded_table(&shape, &values), &shape, &perm);
            let total = table.len().trailing_zeros() as usize;
            let weight = |data: Data| {
                let mut g = Graph::default();
                let op = Op::Weight {
                    name: "w".into(),
                    initializer: true,
                };
                let id = g.push("w", op, vec![], shape.clone());
                g.nodes[id].data = Some(data);
                WeightRows::new(&g, &[id]).unwrap()
            };
            let readers: [Box<dyn SmallTensors>; 3] = [
                Box::new(vec![padded_ints(&shape, &values)]),
                Box::new(weight(Data::I64(values.clone()))),
                Box::new(weight(Data::Stored(StoredInts::from_values(&values)))),
            ];
            for tensors in &readers {
                for inner in 0..=total {
                    for mid in 0..=total - inner {
                        let eq: Vec<Fr> = (0..1 << mid).map(|_| Fr::rand(&mut rng)).collect();
                        let outer = table.len() >> (mid + inner);
                        let want = be.fold_axis(&table, outer, 1 << mid, 1 << inner, &eq);
                        let got = fold_ints(tensors.as_ref(), 0, &shape, &perm, inner, &eq);
                        assert_eq!(got, want, "{shape:?} {perm:?} inner {inner} mid {mid}");
                    }
                }
            }
        }
    }
}
