//! Shape helpers shared by the float evaluator and the witness generator.

/// Number of entries of a tensor of this shape.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Prepends size-1 axes so that `shape` has `rank` axes (numpy broadcasting).
pub fn align_rank(shape: &[usize], rank: usize) -> Vec<usize> {
    let mut s = vec![1; rank.saturating_sub(shape.len())];
    s.extend_from_slice(shape);
    s
}

/// Numpy-style broadcast of two shapes of equal rank; `None` if incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    if a.len() != b.len() {
        return None;
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Some(x),
            (1, _) => Some(y),
            (_, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// For each flat index of `out_shape`, the flat index of a tensor of shape
/// `in_shape` (dims equal or 1, missing leading axes taken as 1) that it
/// broadcasts from.
pub fn broadcast_index_map(in_shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    // A lower-rank input broadcasts from the right, as in numpy (the graph
    // checker accepts it; the importer happens to align ranks itself).
    let in_shape = &align_rank(in_shape, out_shape.len());
    let in_strides = strides(in_shape);
    let eff: Vec<usize> = in_shape
        .iter()
        .zip(&in_strides)
        .map(|(&d, &s)| if d == 1 { 0 } else { s })
        .collect();
    let n = numel(out_shape);
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; out_shape.len()];
    for _ in 0..n {
        out.push(idx.iter().zip(&eff).map(|(i, s)| i * s).sum());
        for ax in (0..idx.len()).rev() {
            idx[ax] += 1;
            if idx[ax] < out_shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    out
}

/// Source flat index for each output entry of a permutation (`out` axis `i`
/// is input axis `perm[i]`).
pub fn permute_index_map(in_shape: &[usize], perm: &[usize]) -> Vec<usize> {
    let in_strides = strides(in_shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| in_shape[p]).collect();
    let permuted: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let ones = vec![1; out_shape.len()];
    let _ = ones;
    let n = numel(&out_shape);
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; out_shape.len()];
    for _ in 0..n {
        out.push(idx.iter().zip(&permuted).map(|(i, s)| i * s).sum());
        for ax in (0..idx.len()).rev() {
            idx[ax] += 1;
            if idx[ax] < out_shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    out
}

/// Source flat index for each output entry of `start..end` along `axis`.
pub fn slice_index_map(
    in_shape: &[usize],
    axis: usize,
    start: usize,
    end: usize,
    step: usize,
) -> Vec<usize> {
    let outer: usize = in_shape[..axis].iter().product();
    let inner: usize = in_shape[axis + 1..].iter().product();
    let d = in_shape[axis];
    let mut out = Vec::with_capacity(outer * slice_len(start, end, step) * inner);
    for o in 0..outer {
        for a in (start..end).step_by(step) {
            for i in 0..inner {
                out.push((o * d + a) * inner + i);
            }
        }
    }
    out
}

/// Number of entries of `start..end` taken with `step`.
pub fn slice_len(start: usize, end: usize, step: usize) -> usize {
    end.saturating_sub(start).div_ceil(step)
}

/// The rotary partner of position `j` of a last axis of size `2·half`:
/// `(source position, negated)` of [`super::Op::Rotary`]'s `rot(x)[j]`.
pub fn rotary_partner(j: usize, half: usize, interleaved: bool) -> (usize, bool) {
    match (interleaved, j % 2 == 0) {
        (true, true) => (j + 1, true),
        (true, false) => (j - 1, false),
        (false, _) if j < half => (j + half, true),
        (false, _) => (j - half, false),
    }
}

/// `rot(x)` of [`super::Op::Rotary`] along the last axis (size `2·half`):
/// for each entry, the flat source index and the sign.
pub fn rotary_map(shape: &[usize], half: usize, interleaved: bool) -> Vec<(usize, bool)> {
    let d = *shape.last().unwrap_or(&1);
    (0..numel(shape))
        .map(|i| {
            let (row, j) = (i / d, i % d);
            let (src, neg) = rotary_partner(j, half, interleaved);
            (row * d + src, neg)
        })
        .collect()
}

/// Concatenates row-major tensors along `axis`.
pub fn concat<T: Copy>(parts: &[(&[T], &[usize])], axis: usize) -> Vec<T> {
    let outer: usize = parts[0].1[..axis].iter().product();
    let mut out = Vec::new();
    for o in 0..outer {
        for (data, shape) in parts {
            let chunk: usize = shape[axis..].iter().product();
            out.extend_from_slice(&data[o * chunk..(o + 1) * chunk]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_and_permute() {
        assert_eq!(broadcast_shape(&[2, 1], &[1, 3]), Some(vec![2, 3]));
        assert_eq!(
            broadcast_index_map(&[2, 1], &[2, 3]),
            vec![0, 0, 0, 1, 1, 1]
        );
        // A lower rank broadcasts from the right (a norm gain `[3]`).
        assert_eq!(
            broadcast_index_map(&[3], &[1, 2, 3]),
            vec![0, 1, 2, 0, 1, 2]
        );
        assert_eq!(permute_index_map(&[2, 3], &[1, 0]), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(slice_index_map(&[2, 3], 1, 1, 3, 1), vec![1, 2, 4, 5]);
        assert_eq!(slice_index_map(&[2, 5], 1, 1, 5, 2), vec![1, 3, 6, 8]);
        let a = [1, 2, 3, 4];
        let b = [5, 6];
        assert_eq!(
            concat(&[(&a[..], &[2, 2][..]), (&b[..], &[2, 1][..])], 1),
            vec![1, 2, 5, 3, 4, 6]
        );
    }
}
