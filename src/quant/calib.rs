//! Per-tensor ranges that fix the scales (the `calib.json` data).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ir::{Graph, Op};

/// Row statistics of a norm's mean of squares, which size its `1/√` table.
/// All-zero rows are left out of the minimum: their `1/√ε` saturates the
/// table, harmlessly, since the row itself is zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormStats {
    pub mean_sq_min: f64,
    pub mean_sq_max: f64,
}

/// Ranges observed on sample inputs, keyed by IR node name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// `max |x|` of each node's output.
    pub max_abs: BTreeMap<String, f64>,
    /// Statistics of each [`Op::Norm`] node.
    pub norms: BTreeMap<String, NormStats>,
    /// Quantization settings chosen with these ranges (`zkllm calibrate`:
    /// widths, headroom); `None` means the defaults of `zkllm setup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<super::QuantConfig>,
}

impl Calibration {
    /// Ranges from one float run ([`crate::ir::float::eval`]) of `graph`.
    pub fn from_float_run(graph: &Graph, values: &[Vec<f64>]) -> Calibration {
        let mut c = Calibration::default();
        c.merge_float_run(graph, values);
        c
    }

    /// Widens the ranges with another float run (max over runs).
    pub fn merge_float_run(&mut self, graph: &Graph, values: &[Vec<f64>]) {
        for (node, v) in graph.nodes.iter().zip(values) {
            let m = v
                .iter()
                .filter(|x| x.is_finite())
                .fold(0.0f64, |a, &x| a.max(x.abs()));
            let e = self.max_abs.entry(node.name.clone()).or_insert(0.0);
            *e = e.max(m);
            if let Op::Norm { axis, .. } = node.op {
                let x = &values[node.inputs[0]];
                let s = &graph.nodes[node.inputs[0]].shape;
                let d = s[axis];
                let sq: Vec<f64> = x.iter().map(|v| v * v).collect();
                let sums = crate::ir::float::sum_axis(&sq, s, axis);
                let (lo, hi) = sums.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &t| {
                    (
                        if t > 0.0 { lo.min(t / d as f64) } else { lo },
                        hi.max(t / d as f64),
                    )
                });
                let e = self.norms.entry(node.name.clone()).or_insert(NormStats {
                    mean_sq_min: lo,
                    mean_sq_max: hi,
                });
                e.mean_sq_min = e.mean_sq_min.min(lo);
                e.mean_sq_max = e.mean_sq_max.max(hi);
            }
        }
    }
}
