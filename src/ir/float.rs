//! Float reference evaluation of a float [`Graph`] (`f64` arithmetic).
//!
//! Used to check the lowering against tract, and as the calibration run that
//! gives each tensor its range before quantization.

use rayon::prelude::*;
use thiserror::Error;

use super::shape::{broadcast_index_map, concat, permute_index_map, slice_index_map};
use super::{numel, Data, Graph, Op};

#[derive(Debug, Error)]
pub enum FloatEvalError {
    #[error("node {node} ({name}): {what}")]
    Bad {
        node: usize,
        name: String,
        what: String,
    },
}

/// Runs the float graph on token ids; returns every node's values.
pub fn eval(graph: &Graph, ids: &[i64]) -> Result<Vec<Vec<f64>>, FloatEvalError> {
    let mut vals: Vec<Vec<f64>> = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let bad = |what: String| FloatEvalError::Bad {
            node: node.id,
            name: node.name.clone(),
            what,
        };
        let inp = |i: usize| &vals[node.inputs[i]];
        let shp = |i: usize| &graph.nodes[node.inputs[i]].shape;
        let out: Vec<f64> = match &node.op {
            Op::Input { .. } => {
                if ids.len() != numel(&node.shape) {
                    return Err(bad(format!(
                        "expected {} token ids, got {}",
                        numel(&node.shape),
                        ids.len()
                    )));
                }
                ids.iter().map(|&t| t as f64).collect()
            }
            Op::Weight { .. } | Op::Constant => match &node.data {
                Some(Data::F32(v)) => v.iter().map(|&x| x as f64).collect(),
                Some(Data::I64(_) | Data::Stored(_)) | None => {
                    return Err(bad("float data missing".into()))
                }
            },
            Op::Embedding => {
                let table = inp(0);
                let rows = shp(0)[0];
                let d = numel(&shp(0)[1..]);
                let mut out = Vec::with_capacity(numel(&node.shape));
                for &t in inp(1) {
                    let t = t as usize;
                    if t >= rows {
                        return Err(bad(format!(
                            "token id {t} out of range (vocabulary {rows})"
                        )));
                    }
                    out.extend_from_slice(&table[t * d..(t + 1) * d]);
                }
                out
            }
            Op::EinSum { spec, .. } => spec
                .eval(
                    (inp(0), shp(0)),
                    (inp(1), shp(1)),
                    0.0f64,
                    |acc, x, y| acc + x * y,
                    Ok::<_, ()>,
                )
                .map_err(|_| bad("einsum".into()))?,
            Op::Add | Op::Sub | Op::Hadamard => {
                let ma = broadcast_index_map(shp(0), &node.shape);
                let mb = broadcast_index_map(shp(1), &node.shape);
                let (a, b) = (inp(0), inp(1));
                let f = |x: f64, y: f64| match node.op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    _ => x * y,
                };
                ma.iter().zip(&mb).map(|(&i, &j)| f(a[i], b[j])).collect()
            }
            Op::MulConst { value, .. } => inp(0).iter().map(|x| x * value).collect(),
            Op::Rescale { .. } => return Err(bad("Rescale in a float graph".into())),
            Op::Lookup { func, .. } => inp(0).par_iter().map(|&x| func.eval(x)).collect(),
            Op::Softmax { mask, .. } => {
                let x = inp(0);
                let n = *node.shape.last().unwrap_or(&1);
                let keep = mask.as_ref().map(|m| {
                    let map = broadcast_index_map(&m.shape, &node.shape);
                    map.iter().map(|&i| m.keep[i]).collect::<Vec<bool>>()
                });
                let mut out = vec![0.0; x.len()];
                out.par_chunks_mut(n.max(1))
                    .enumerate()
                    .for_each(|(r, row)| {
                        let k = |j: usize| keep.as_ref().is_none_or(|k| k[r * n + j]);
                        let m = (0..n)
                            .filter(|&j| k(j))
                            .map(|j| x[r * n + j])
                            .fold(f64::NEG_INFINITY, f64::max);
                        let mut s = 0.0;
                        for j in 0..n {
                            row[j] = if k(j) { (x[r * n + j] - m).exp() } else { 0.0 };
                            s += row[j];
                        }
                        if s > 0.0 {
                            row.iter_mut().for_each(|v| *v /= s);
                        }
                    });
                out
            }
            Op::Norm { axis, eps, .. } => {
                let x = inp(0);
                let s = shp(0);
                let d = s[*axis];
                let inner: usize = s[axis + 1..].iter().product();
                let mut out = vec![0.0; x.len()];
                for o in 0..numel(&s[..*axis]) {
                    for i in 0..inner {
                        let at = |k: usize| (o * d + k) * inner + i;
                        let ms = (0..d).map(|k| x[at(k)] * x[at(k)]).sum::<f64>() / d as f64;
                        let r = 1.0 / (ms + eps).sqrt();
                        for k in 0..d {
                            out[at(k)] = x[at(k)] * r;
                        }
                    }
                }
                out
            }
            Op::Sum { axis } => sum_axis(inp(0), shp(0), *axis),
            Op::Rotary { half, interleaved } => {
                let x = inp(0);
                let mc = broadcast_index_map(shp(1), &node.shape);
                let ms = broadcast_index_map(shp(2), &node.shape);
                let rh = super::shape::rotary_map(&node.shape, *half, *interleaved);
                (0..x.len())
                    .map(|i| {
                        let (src, neg) = rh[i];
                        let r = if neg { -x[src] } else { x[src] };
                        x[i] * inp(1)[mc[i]] + r * inp(2)[ms[i]]
                    })
                    .collect()
            }
            Op::Mask(m) => {
                let map = broadcast_index_map(&m.shape, &node.shape);
                inp(0)
                    .iter()
                    .zip(&map)
                    .map(|(&x, &i)| if m.keep[i] { x } else { f64::NEG_INFINITY })
                    .collect()
            }
            Op::Reshape => inp(0).clone(),
            Op::Permute { perm } => permute_index_map(shp(0), perm)
                .iter()
                .map(|&i| inp(0)[i])
                .collect(),
            Op::Slice {
                axis,
                start,
                end,
                step,
            } => slice_index_map(shp(0), *axis, *start, *end, *step)
                .iter()
                .map(|&i| inp(0)[i])
                .collect(),
            Op::Concat { axis } => {
                let parts: Vec<(&[f64], &[usize])> = (0..node.inputs.len())
                    .map(|i| {
                        (
                            &vals[node.inputs[i]][..],
                            &graph.nodes[node.inputs[i]].shape[..],
                        )
                    })
                    .collect();
                concat(&parts, *axis)
            }
            Op::Broadcast => broadcast_index_map(shp(0), &node.shape)
                .iter()
                .map(|&i| inp(0)[i])
                .collect(),
        };
        if out.len() != numel(&node.shape) {
            return Err(bad(format!(
                "produced {} values for shape {:?}",
                out.len(),
                node.shape
            )));
        }
        vals.push(out);
    }
    Ok(vals)
}

/// Sum over `axis`, keeping it with size 1. Generic over the element type.
pub fn sum_axis<T: Copy + std::iter::Sum<T>>(x: &[T], shape: &[usize], axis: usize) -> Vec<T> {
    let d = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            out.push((0..d).map(|k| x[(o * d + k) * inner + i]).sum());
        }
    }
    out
}
