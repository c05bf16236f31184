//! The einsum as batched `A·Bᵀ` over packed operands: the fast path of
//! [`super::EinsumSpec::eval`].
//!
//! A strided dot product per output entry walks a `[k, n]` weight with a
//! stride of `n` elements and misses the cache on every step; the exact
//! integer witness and the float reference of a 135M-parameter model spend
//! nearly all their time there. Packing both operands so the summed axes are
//! contiguous (`A` as `[batch, m, k]`, `B` as `[batch, n, k]`) and computing
//! four outputs per pass over a row of `A` (four independent accumulators)
//! keeps the inner loop in L1 and the adds pipelined. The generic `mac` is
//! kept, so the result is the same fold, in the same order, as the plain
//! loop: integers bit-exact, floats identical.

use rayon::prelude::*;

use super::EinsumSpec;

/// How many `B` rows one task owns (a block stays in L2 while every row of
/// `A` passes over it).
const ROWS_PER_TASK: usize = 32;

/// The axes of a spec grouped as `batch`, `m` (only in `a`), `n` (only in
/// `b`) and `k` (summed, in both), or `None` when an axis of size above one
/// falls outside these groups (summed in one operand only).
struct Groups {
    batch: Vec<char>,
    m: Vec<char>,
    n: Vec<char>,
    k: Vec<char>,
}

fn groups(spec: &EinsumSpec, size: &dyn Fn(char) -> usize) -> Option<Groups> {
    let (in_a, in_b) = (|c: &char| spec.a.contains(c), |c: &char| spec.b.contains(c));
    let in_out = |c: &char| spec.out.contains(c);
    let lone_summed = spec
        .a
        .iter()
        .chain(&spec.b)
        .any(|c| !in_out(c) && (in_a(c) != in_b(c)) && size(*c) > 1);
    if lone_summed {
        return None;
    }
    let pick = |from: &[char], f: &dyn Fn(&char) -> bool| -> Vec<char> {
        from.iter().copied().filter(|c| f(c)).collect()
    };
    Some(Groups {
        batch: pick(&spec.out, &|c| in_a(c) && in_b(c)),
        m: pick(&spec.out, &|c| in_a(c) && !in_b(c)),
        n: pick(&spec.out, &|c| in_b(c) && !in_a(c)),
        k: pick(&spec.a, &|c| in_b(c) && !in_out(c)),
    })
}

/// Copies `x` (axes `spec_x`, row-major `shape`) into the row-major order of
/// `order`; axes of `x` not in `order` must have size 1.
fn pack<T: Copy + Send + Sync>(
    x: &[T],
    spec_x: &[char],
    shape: &[usize],
    order: &[char],
    size: &dyn Fn(char) -> usize,
) -> Vec<T> {
    let strides = super::strides(shape);
    let stride = |c: char| {
        spec_x
            .iter()
            .position(|&d| d == c)
            .map_or(0, |i| strides[i])
    };
    let sizes: Vec<usize> = order.iter().map(|&c| size(c)).collect();
    let steps: Vec<usize> = order.iter().map(|&c| stride(c)).collect();
    let inner = sizes.last().copied().unwrap_or(1).max(1);
    let inner_step = steps.last().copied().unwrap_or(0);
    let total: usize = sizes.iter().product();
    let mut out = Vec::with_capacity(total);
    out.par_extend((0..total / inner).into_par_iter().flat_map_iter(|row| {
        // The offset of this row: decode its multi-index (all but the last axis).
        let (mut rest, mut base) = (row, 0usize);
        for ax in (0..sizes.len().saturating_sub(1)).rev() {
            base += (rest % sizes[ax]) * steps[ax];
            rest /= sizes[ax];
        }
        (0..inner).map(move |i| x[base + i * inner_step])
    }));
    out
}

/// Evaluates `spec` as packed, blocked `A·Bᵀ`; `None` when the spec does not
/// group (see [`Groups`]), and the caller falls back to the plain loop.
#[allow(clippy::too_many_arguments)]
pub(super) fn eval<T, A, R, E>(
    spec: &EinsumSpec,
    (a, a_shape): (&[T], &[usize]),
    (b, b_shape): (&[T], &[usize]),
    out_shape: &[usize],
    zero: A,
    mac: &(impl Fn(A, T, T) -> A + Sync),
    fin: &(impl Fn(A) -> Result<R, E> + Sync),
) -> Option<Result<Vec<R>, E>>
where
    T: Copy + Send + Sync,
    A: Copy + Sync,
    R: Send,
    E: Send,
{
    let size = |c: char| spec.size_of(c, a_shape, b_shape);
    let g = groups(spec, &size)?;
    let prod = |cs: &[char]| cs.iter().map(|&c| size(c)).product::<usize>();
    let (nb, m, n, k) = (prod(&g.batch), prod(&g.m), prod(&g.n), prod(&g.k));
    let a_order = [&g.batch[..], &g.m, &g.k].concat();
    let b_order = [&g.batch[..], &g.n, &g.k].concat();
    let pa = pack(a, &spec.a, a_shape, &a_order, &size);
    let pb = pack(b, &spec.b, b_shape, &b_order, &size);

    // One task per (batch, block of B rows): its outputs, row of B major.
    let blocks_per_batch = n.div_ceil(ROWS_PER_TASK).max(1);
    let blocks: Result<Vec<Vec<R>>, E> = (0..nb * blocks_per_batch)
        .into_par_iter()
        .map(|t| {
            let (bi, blk) = (t / blocks_per_batch, t % blocks_per_batch);
            let (j0, j1) = (blk * ROWS_PER_TASK, ((blk + 1) * ROWS_PER_TASK).min(n));
            let arows = &pa[bi * m * k..(bi + 1) * m * k];
            let brow = |j: usize| &pb[(bi * n + j) * k..(bi * n + j + 1) * k];
            let mut res = Vec::with_capacity((j1 - j0) * m);
            let mut j = j0;
            while j + 4 <= j1 {
                let (b0, b1, b2, b3) = (brow(j), brow(j + 1), brow(j + 2), brow(j + 3));
                let mut quad = Vec::with_capacity(4 * m);
                for i in 0..m {
                    let ar = &arows[i * k..(i + 1) * k];
                    let mut acc = [zero; 4];
                    for ((((&x, &y0), &y1), &y2), &y3) in ar.iter().zip(b0).zip(b1).zip(b2).zip(b3)
                    {
                        acc[0] = mac(acc[0], x, y0);
                        acc[1] = mac(acc[1], x, y1);
                        acc[2] = mac(acc[2], x, y2);
                        acc[3] = mac(acc[3], x, y3);
                    }
                    quad.push(acc);
                }
                for q in 0..4 {
                    for acc in &quad {
                        res.push(fin(acc[q])?);
                    }
                }
                j += 4;
            }
            for j in j..j1 {
                let bj = brow(j);
                for i in 0..m {
                    let ar = &arows[i * k..(i + 1) * k];
                    let acc = ar.iter().zip(bj).fold(zero, |acc, (&x, &y)| mac(acc, x, y));
                    res.push(fin(acc)?);
                }
            }
            Ok(res)
        })
        .collect();
    let blocks = match blocks {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };

    // Gather into the output's axis order: each output entry's (batch, i, j).
    let mut slots: Vec<Vec<Option<R>>> = blocks
        .into_iter()
        .map(|v| v.into_iter().map(Some).collect())
        .collect();
    // Per output axis: its group (batch, m, n; none for a size-1 axis in
    // neither operand) and its weight in that group's row-major index.
    let weight_in = |cs: &[char], c: char| -> usize {
        let at = cs.iter().position(|&d| d == c).expect("in group");
        cs[at + 1..].iter().map(|&d| size(d)).product()
    };
    let axes: Vec<(usize, usize)> = spec
        .out
        .iter()
        .map(|&c| {
            [&g.batch, &g.m, &g.n]
                .iter()
                .position(|cs| cs.contains(&c))
                .map_or((3, 0), |gi| (gi, weight_in([&g.batch, &g.m, &g.n][gi], c)))
        })
        .collect();
    let total = super::numel(out_shape);
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; out_shape.len()];
    for _ in 0..total {
        let mut c = [0usize; 4];
        for (ax, &(gi, w)) in axes.iter().enumerate() {
            c[gi] += idx[ax] * w;
        }
        let (bi, i, j) = (c[0], c[1], c[2]);
        let blk = &mut slots[bi * blocks_per_batch + j / ROWS_PER_TASK];
        out.push(
            blk[(j % ROWS_PER_TASK) * m + i]
                .take()
                .expect("each entry once"),
        );
        for ax in (0..idx.len()).rev() {
            idx[ax] += 1;
            if idx[ax] < out_shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    Some(Ok(out))
}
