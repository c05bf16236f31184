//! The accuracy report of `zkllm calibrate`: float vs exact quantized
//! inference on held-out windows, as a struct (JSON), a terminal table and a
//! self-contained HTML page with SVG plots.
//!
//! "Float" is the lowered graph run in `f64` ([`crate::ir::float::eval`]),
//! which the import tests hold to tract's inference of the ONNX file;
//! "quantized" is the witness ([`crate::witness::generate`]), exactly what is
//! proven.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::calibrate::{CalibError, CalibrationFile, Progress, Window};
use super::{dequantize, plots, QuantConfig};
use crate::ir::shape_maps::broadcast_index_map;
use crate::ir::{float, Graph, Op};
use crate::witness;

/// Tensors listed in the terminal table of a large model.
const TEXT_TENSORS: usize = 30;

/// Float vs quantized error of one tensor (an IR node of the float graph).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeError {
    pub name: String,
    pub op: String,
    pub bits: u32,
    pub frac_bits: i32,
    pub max_abs_err: f64,
    pub mean_abs_err: f64,
    /// `max |x|` of the float tensor on the evaluation data.
    pub float_max_abs: f64,
}

/// The softmax's own error: zkAttn applied to the quantized scores against
/// the float softmax of the same scores, and the bound the design states:
/// `(e^(2^-(f_in+1)) − 1) + 2^-(f_out+1)` (the rounded log-sum-exp shift and
/// the output rounding).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxError {
    pub name: String,
    pub max_abs_err: f64,
    pub bound: f64,
    pub within_bound: bool,
}

/// A tensor widened by calibration: its estimated proof-time cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Widened {
    pub name: String,
    pub from_bits: u32,
    pub to_bits: u32,
    pub elements: usize,
    /// Extra 16-bit range-check limbs per proof: `elements × (⌈to/16⌉ − ⌈from/16⌉)`.
    pub extra_limb_lookups: usize,
    /// Significant bits of the tensor's typical value (`log2(mean|x|·2^frac)`)
    /// at the default width and as widened: the tensor's own gain, always
    /// measured (the end-to-end gain needs `--ablate`).
    #[serde(default)]
    pub rel_bits_from: f64,
    #[serde(default)]
    pub rel_bits_to: f64,
    /// The accuracy with this tensor left at its default width (the others
    /// widened), from [`ablate`]: the gain that the cost buys.
    #[serde(default)]
    pub at_default_width: Option<Ablation>,
    /// Why the default width fails outright (a value leaves its range).
    #[serde(default)]
    pub default_width_error: Option<String>,
}

/// Accuracy of one ablated quantization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ablation {
    pub ppl_quant: f64,
    pub top1_agreement: f64,
    pub mean_kl: f64,
}

/// Re-evaluates with each widened tensor in turn at its default width.
pub fn ablate(
    float_graph: &Graph,
    calib: &CalibrationFile,
    report: &mut AccuracyReport,
    windows: &[Window],
    progress: Progress<'_>,
) -> Result<(), CalibError> {
    let cfg = calib.calibration.config.clone().unwrap_or_default();
    let total = report.widened.len();
    for (i, w) in report.widened.iter_mut().enumerate() {
        progress("ablation", i, total);
        let mut c = cfg.clone();
        c.overrides.remove(&w.name);
        let q = super::quantize(float_graph, &calib.calibration, &c)?;
        match evaluate(float_graph, &q, windows, calib, "", &|_, _, _| {}) {
            Ok(r) => {
                w.at_default_width = Some(Ablation {
                    ppl_quant: r.ppl_quant,
                    top1_agreement: r.top1_agreement,
                    mean_kl: r.mean_kl,
                })
            }
            Err(e @ CalibError::EvalOutOfRange { .. }) => {
                w.default_width_error = Some(e.to_string())
            }
            Err(e) => return Err(e),
        }
    }
    progress("ablation", total, total);
    Ok(())
}

/// Histogram of `log10 |quantized − float|` over the logits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Lower edge of the first bin (log10).
    pub lo: f64,
    /// Bin width (log10).
    pub width: f64,
    pub counts: Vec<u64>,
    /// Errors that are exactly 0.
    pub zeros: u64,
    /// Below `lo` / above the last bin.
    pub under: u64,
    pub over: u64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            lo: -9.0,
            width: 0.25,
            counts: vec![0; 48],
            zeros: 0,
            under: 0,
            over: 0,
        }
    }
    fn add(&mut self, e: f64) {
        let a = e.abs();
        if a == 0.0 {
            self.zeros += 1;
            return;
        }
        let b = ((a.log10() - self.lo) / self.width).floor();
        if b < 0.0 {
            self.under += 1;
        } else if b as usize >= self.counts.len() {
            self.over += 1;
        } else {
            self.counts[b as usize] += 1;
        }
    }
}

/// Every metric of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    /// Where the evaluation windows came from (`--eval` or the stated split).
    pub eval_source: String,
    pub windows: usize,
    /// Real (non-padding) positions compared.
    pub positions: usize,
    /// Positions with a next token (the perplexity's terms).
    pub targets: usize,
    pub ppl_float: f64,
    pub ppl_quant: f64,
    pub ppl_delta: f64,
    /// Share of positions whose argmax agrees.
    pub top1_agreement: f64,
    /// Mean `KL(P_float ‖ P_quant)` of the next-token distributions (nats).
    pub mean_kl: f64,
    pub max_kl: f64,
    pub logit_max_abs_err: f64,
    pub logit_mean_abs_err: f64,
    pub logit_error_hist: Histogram,
    /// Per tensor, in graph order.
    pub nodes: Vec<NodeError>,
    pub softmax: Vec<SoftmaxError>,
    pub widened: Vec<Widened>,
    /// Values the saturating rescales clamped over the evaluation windows,
    /// out of every value they produced (the clamp rate's terms).
    #[serde(default)]
    pub clamped_values: usize,
    #[serde(default)]
    pub rescaled_values: usize,
}

fn log_softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
    x.iter().map(|v| v - lse).collect()
}

fn argmax(x: &[f64]) -> usize {
    let mut b = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[b] {
            b = i;
        }
    }
    b
}

fn skip(op: &Op) -> bool {
    matches!(op, Op::Weight { .. } | Op::Constant | Op::Input { .. })
}

/// Runs float and quantized inference on `windows` and measures the error.
pub fn evaluate(
    float_graph: &Graph,
    qgraph: &Graph,
    windows: &[Window],
    calib: &CalibrationFile,
    eval_source: &str,
    progress: Progress<'_>,
) -> Result<AccuracyReport, CalibError> {
    let vocab = *float_graph.nodes[float_graph.output]
        .shape
        .last()
        .unwrap_or(&1);
    let qid: HashMap<&str, usize> = qgraph
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.id))
        .collect();
    let pairs: Vec<(usize, usize)> = float_graph
        .nodes
        .iter()
        .filter(|n| !skip(&n.op))
        .filter_map(|n| qid.get(n.name.as_str()).map(|&q| (n.id, q)))
        .filter(|&(f, q)| float_graph.nodes[f].shape == qgraph.nodes[q].shape)
        .collect();
    // (max err, sum err, count, float max)
    let mut acc: Vec<(f64, f64, usize, f64)> = vec![(0.0, 0.0, 0, 0.0); pairs.len()];
    let softmaxes: Vec<usize> = qgraph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Softmax { .. }))
        .map(|n| n.id)
        .collect();
    let mut sm_err = vec![0.0f64; softmaxes.len()];
    let (mut nll_f, mut nll_q, mut kl_sum, mut kl_max) = (0.0, 0.0, 0.0, 0.0f64);
    let (mut agree, mut positions, mut targets) = (0usize, 0usize, 0usize);
    let (mut lmax, mut lsum, mut lcount) = (0.0f64, 0.0, 0usize);
    let mut hist = Histogram::new();
    let (mut overflows, mut worst_factor) = (Vec::<String>::new(), 0.0f64);
    let (mut clamped_values, mut rescaled_values) = (0usize, 0usize);
    let per_window_rescaled: usize = crate::circuit::saturating_rescales(qgraph)
        .iter()
        .map(|&id| crate::ir::numel(&qgraph.nodes[id].shape))
        .sum();
    for (wi, w) in windows.iter().enumerate() {
        progress("evaluating", wi, windows.len());
        let fv = float::eval(float_graph, &w.ids).map_err(|e| CalibError::Float {
            window: wi,
            why: e.to_string(),
        })?;
        let wit = match witness::generate(qgraph, &w.ids) {
            Ok(wit) => wit,
            Err(err) => {
                // Go on: the user learns every window that overflows, and by how much.
                if let witness::WitnessError::OutOfRange { factor, .. } = &err {
                    worst_factor = worst_factor.max(*factor);
                }
                let tokens: Vec<i64> = w.ids.iter().take(8).copied().collect();
                overflows.push(format!("window {wi} (tokens {tokens:?}...): {err}"));
                continue;
            }
        };
        clamped_values += wit.clamped.iter().map(|c| c.above + c.below).sum::<usize>();
        rescaled_values += per_window_rescaled;
        let fl = &fv[float_graph.output];
        let ql = wit.logits_f64();
        for p in 0..w.len {
            let (a, b) = (
                &fl[p * vocab..(p + 1) * vocab],
                &ql[p * vocab..(p + 1) * vocab],
            );
            for (x, y) in a.iter().zip(b) {
                let e = y - x;
                lmax = lmax.max(e.abs());
                lsum += e.abs();
                lcount += 1;
                hist.add(e);
            }
            let (lf, lq) = (log_softmax(a), log_softmax(b));
            let kl: f64 = lf.iter().zip(&lq).map(|(f, q)| f.exp() * (f - q)).sum();
            let kl = kl.max(0.0);
            kl_sum += kl;
            kl_max = kl_max.max(kl);
            positions += 1;
            if argmax(a) == argmax(b) {
                agree += 1;
            }
            if p + 1 < w.len {
                let t = w.ids[p + 1] as usize;
                nll_f -= lf[t];
                nll_q -= lq[t];
                targets += 1;
            }
        }
        for (k, &(f, q)) in pairs.iter().enumerate() {
            let fq = qgraph.nodes[q].quant.expect("quantized").frac_bits;
            let (x, y) = (&fv[f], wit.node(q));
            let a = &mut acc[k];
            for (xv, &yv) in x.iter().zip(y) {
                let e = (dequantize(yv, fq) - xv).abs();
                a.0 = a.0.max(e);
                a.1 += e;
                a.3 = a.3.max(xv.abs());
            }
            a.2 += x.len();
        }
        for (k, &s) in softmaxes.iter().enumerate() {
            let node = &qgraph.nodes[s];
            let Op::Softmax { mask, .. } = &node.op else {
                continue;
            };
            let fin = qgraph.nodes[node.inputs[0]]
                .quant
                .expect("quantized")
                .frac_bits;
            let fout = node.quant.expect("quantized").frac_bits;
            let n = *node.shape.last().unwrap_or(&1);
            let keep: Option<Vec<bool>> = mask.as_ref().map(|m| {
                broadcast_index_map(&m.shape, &node.shape)
                    .iter()
                    .map(|&i| m.keep[i])
                    .collect()
            });
            let (x, y) = (wit.node(node.inputs[0]), wit.node(s));
            for r in 0..x.len() / n.max(1) {
                let kept = |j: usize| keep.as_ref().is_none_or(|k| k[r * n + j]);
                let row: Vec<f64> = (0..n).map(|j| dequantize(x[r * n + j], fin)).collect();
                let m = (0..n)
                    .filter(|&j| kept(j))
                    .map(|j| row[j])
                    .fold(f64::NEG_INFINITY, f64::max);
                if m == f64::NEG_INFINITY {
                    continue;
                }
                let s: f64 = (0..n)
                    .filter(|&j| kept(j))
                    .map(|j| (row[j] - m).exp())
                    .sum();
                for j in 0..n {
                    let p = if kept(j) { (row[j] - m).exp() / s } else { 0.0 };
                    let e = (dequantize(y[r * n + j], fout) - p).abs();
                    sm_err[k] = sm_err[k].max(e);
                }
            }
        }
    }
    progress("evaluating", windows.len(), windows.len());
    if !overflows.is_empty() {
        let headroom = calib
            .calibration
            .config
            .as_ref()
            .map_or(QuantConfig::default().headroom, |c| c.headroom);
        let advice = if worst_factor > 1.0 {
            format!(
                "the worst value is {worst_factor:.2}x past its range: calibrate on more representative data, or raise --headroom (now {headroom}; a range is a power of two and doubles once max |x| times the headroom passes it)"
            )
        } else {
            format!("calibrate on more representative data, or raise --headroom (now {headroom})")
        };
        return Err(CalibError::EvalOutOfRange {
            failed: overflows.len(),
            total: windows.len(),
            windows: overflows,
            advice,
        });
    }
    if targets == 0 {
        return Err(CalibError::Other(
            "the evaluation data has no next-token targets (every window holds a single token)"
                .into(),
        ));
    }
    let ppl_float = (nll_f / targets as f64).exp();
    let ppl_quant = (nll_q / targets as f64).exp();
    let nodes = pairs
        .iter()
        .zip(&acc)
        .map(|(&(f, q), a)| {
            let qq = qgraph.nodes[q].quant.expect("quantized");
            NodeError {
                name: float_graph.nodes[f].name.clone(),
                op: float_graph.nodes[f].op.kind().to_string(),
                bits: qq.bits,
                frac_bits: qq.frac_bits,
                max_abs_err: a.0,
                mean_abs_err: if a.2 > 0 { a.1 / a.2 as f64 } else { 0.0 },
                float_max_abs: a.3,
            }
        })
        .collect();
    let softmax = softmaxes
        .iter()
        .zip(&sm_err)
        .map(|(&s, &e)| {
            let node = &qgraph.nodes[s];
            let fin = qgraph.nodes[node.inputs[0]]
                .quant
                .expect("quantized")
                .frac_bits;
            let fout = node.quant.expect("quantized").frac_bits;
            let bound = (2f64.powi(-(fin + 1))).exp_m1() + 2f64.powi(-(fout + 1));
            SoftmaxError {
                name: node.name.clone(),
                max_abs_err: e,
                bound,
                within_bound: e <= bound * (1.0 + 1e-9),
            }
        })
        .collect();
    let limbs = |b: u32| b.div_ceil(16) as usize;
    let widened = calib
        .tensors
        .iter()
        .filter_map(|t| {
            t.widened_from.map(|from| Widened {
                name: t.name.clone(),
                from_bits: from,
                to_bits: t.bits,
                elements: t.elements,
                extra_limb_lookups: t.elements * (limbs(t.bits) - limbs(from).min(limbs(t.bits))),
                rel_bits_from: t.rel_bits - f64::from(t.bits.saturating_sub(from)),
                rel_bits_to: t.rel_bits,
                at_default_width: None,
                default_width_error: None,
            })
        })
        .collect();
    Ok(AccuracyReport {
        eval_source: eval_source.to_string(),
        windows: windows.len(),
        positions,
        targets,
        ppl_float,
        ppl_quant,
        ppl_delta: ppl_quant - ppl_float,
        top1_agreement: agree as f64 / positions.max(1) as f64,
        mean_kl: kl_sum / positions.max(1) as f64,
        max_kl: kl_max,
        logit_max_abs_err: lmax,
        logit_mean_abs_err: lsum / lcount.max(1) as f64,
        logit_error_hist: hist,
        nodes,
        softmax,
        widened,
        clamped_values,
        rescaled_values,
    })
}

impl AccuracyReport {
    /// Share of the saturating rescales' values that were clamped (0 for a
    /// refusing key).
    pub fn clamp_rate(&self) -> f64 {
        self.clamped_values as f64 / self.rescaled_values.max(1) as f64
    }

    /// The summary metrics as `(name, value)`: every one must be finite.
    pub fn metrics(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("ppl_float", self.ppl_float),
            ("ppl_quant", self.ppl_quant),
            ("ppl_delta", self.ppl_delta),
            ("top1_agreement", self.top1_agreement),
            ("mean_kl", self.mean_kl),
            ("max_kl", self.max_kl),
            ("logit_max_abs_err", self.logit_max_abs_err),
            ("logit_mean_abs_err", self.logit_mean_abs_err),
        ]
    }

    /// The terminal table.
    pub fn to_text(&self, calib: &CalibrationFile) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "calibration: {} window(s) of {} tokens ({} tokens); evaluation: {} window(s), {} positions ({})",
            calib.windows, calib.seq_len, calib.tokens, self.windows, self.positions, self.eval_source
        );
        if let Some(a) = &calib.headroom_auto {
            let _ = writeln!(
                s,
                "headroom: auto chose {} ({} on {} held-back calibration window(s))",
                a.chosen,
                if a.clamp_free {
                    "clamps nothing"
                } else {
                    "the largest candidate, still clamping"
                },
                a.held_back_windows
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "  {:<24} {:>14} {:>14} {:>14}",
            "metric", "float", "quantized", "delta"
        );
        let _ = writeln!(
            s,
            "  {:<24} {:>14.6} {:>14.6} {:>+14.6}",
            "perplexity", self.ppl_float, self.ppl_quant, self.ppl_delta
        );
        let _ = writeln!(
            s,
            "  {:<24} {:>44.4}%",
            "top-1 agreement",
            self.top1_agreement * 100.0
        );
        let _ = writeln!(s, "  {:<24} {:>44.3e}", "mean KL (nats)", self.mean_kl);
        let _ = writeln!(
            s,
            "  {:<24} {:>44}",
            "clamped values",
            format!(
                "{} of {} ({:.3e})",
                self.clamped_values,
                self.rescaled_values,
                self.clamp_rate()
            )
        );
        let _ = writeln!(s, "  {:<24} {:>44.3e}", "max KL (nats)", self.max_kl);
        let _ = writeln!(
            s,
            "  {:<24} {:>44.3e}",
            "logit max |err|", self.logit_max_abs_err
        );
        let _ = writeln!(
            s,
            "  {:<24} {:>44.3e}",
            "logit mean |err|", self.logit_mean_abs_err
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "  {:<44} {:<10} {:>5} {:>5} {:>11} {:>11} {:>11}",
            "tensor", "op", "bits", "frac", "max|err|", "mean|err|", "max|x|"
        );
        // Large models: the tensors with the largest error relative to their
        // range, in graph order; the JSON and HTML list every tensor.
        let shown: Vec<&NodeError> = if self.nodes.len() > TEXT_TENSORS {
            let rel = |n: &NodeError| n.mean_abs_err / n.float_max_abs.max(f64::MIN_POSITIVE);
            let mut idx: Vec<usize> = (0..self.nodes.len()).collect();
            idx.sort_by(|&a, &b| rel(&self.nodes[b]).total_cmp(&rel(&self.nodes[a])));
            idx.truncate(TEXT_TENSORS);
            idx.sort_unstable();
            idx.iter().map(|&i| &self.nodes[i]).collect()
        } else {
            self.nodes.iter().collect()
        };
        for n in shown {
            let _ = writeln!(
                s,
                "  {:<44} {:<10} {:>5} {:>5} {:>11.3e} {:>11.3e} {:>11.3e}",
                trunc(&n.name, 44),
                n.op,
                n.bits,
                n.frac_bits,
                n.max_abs_err,
                n.mean_abs_err,
                n.float_max_abs
            );
        }
        if self.nodes.len() > TEXT_TENSORS {
            let _ = writeln!(
                s,
                "  ({TEXT_TENSORS} of {} tensors: the largest mean |err| / max |x|; --json and --report list all)",
                self.nodes.len()
            );
        }
        if !self.softmax.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "  {:<44} {:>11} {:>11}",
                "softmax (own error)", "max|err|", "bound"
            );
            for m in &self.softmax {
                let _ = writeln!(
                    s,
                    "  {:<44} {:>11.3e} {:>11.3e} {}",
                    trunc(&m.name, 44),
                    m.max_abs_err,
                    m.bound,
                    if m.within_bound {
                        "ok"
                    } else {
                        "EXCEEDS BOUND"
                    }
                );
            }
        }
        let _ = writeln!(s);
        if self.widened.is_empty() {
            let _ = writeln!(s, "  no tensor widened beyond its default width");
        } else {
            let _ = writeln!(
                s,
                "  {:<44} {:>9} {:>12} {:>13} {:>26}",
                "widened tensor",
                "bits",
                "extra limbs",
                "typical sig.",
                "at default width: KL, top-1"
            );
            for w in &self.widened {
                let _ = writeln!(
                    s,
                    "  {:<44} {:>4}->{:<4} {:>12} {:>5.1}->{:<6.1} {:>26}",
                    trunc(&w.name, 44),
                    w.from_bits,
                    w.to_bits,
                    w.extra_limb_lookups,
                    w.rel_bits_from,
                    w.rel_bits_to,
                    w.gain_text()
                );
            }
        }
        s
    }

    /// A self-contained HTML page (inline SVG, no scripts, no external files).
    pub fn to_html(&self, calib: &CalibrationFile, model: &str) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>zkllm calibration report: {}</title>\
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}table{{border-collapse:collapse;font-size:13px}}\
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}td:first-child,th:first-child{{text-align:left}}\
.bad{{color:#b00;font-weight:bold}}svg{{background:#fff;border:1px solid #ddd;margin:6px 0}}</style></head><body>\n",
            esc(model)
        );
        let _ = writeln!(h, "<h1>zkllm calibration report</h1><p>model <code>{}</code>; calibration: {} window(s) of {} tokens ({} tokens); evaluation: {} window(s), {} positions, {} next-token targets ({}).</p>",
            esc(model), calib.windows, calib.seq_len, calib.tokens, self.windows, self.positions, self.targets, esc(&self.eval_source));
        let _ = writeln!(h, "<h2>Summary</h2><table id=\"summary\"><tr><th>metric</th><th>float</th><th>quantized</th><th>delta</th></tr>");
        let _ = writeln!(
            h,
            "<tr><td>perplexity</td><td>{:.6}</td><td>{:.6}</td><td>{:+.6}</td></tr>",
            self.ppl_float, self.ppl_quant, self.ppl_delta
        );
        for (k, v) in [
            (
                "top-1 agreement",
                format!("{:.4}%", self.top1_agreement * 100.0),
            ),
            ("mean KL (nats)", format!("{:.3e}", self.mean_kl)),
            (
                "clamped values (rate)",
                format!(
                    "{} of {} ({:.3e})",
                    self.clamped_values,
                    self.rescaled_values,
                    self.clamp_rate()
                ),
            ),
            ("max KL (nats)", format!("{:.3e}", self.max_kl)),
            ("logit max |err|", format!("{:.3e}", self.logit_max_abs_err)),
            (
                "logit mean |err|",
                format!("{:.3e}", self.logit_mean_abs_err),
            ),
        ] {
            let _ = writeln!(h, "<tr><td>{k}</td><td colspan=\"3\">{v}</td></tr>");
        }
        let _ = writeln!(h, "</table>");
        let _ = writeln!(h, "<h2>Perplexity</h2>");
        h.push_str(&plots::perplexity(self.ppl_float, self.ppl_quant));
        let _ = writeln!(h, "<h2>Error per layer</h2><p>max and mean |quantized − float| of each tensor, in graph order (log scale; the tensor numbers are those of the table below; exact tensors have no point).</p>");
        let max_err: Vec<f64> = self.nodes.iter().map(|n| n.max_abs_err).collect();
        let mean_err: Vec<f64> = self.nodes.iter().map(|n| n.mean_abs_err).collect();
        h.push_str(&plots::error_per_tensor(&max_err, &mean_err));
        let _ = writeln!(h, "<h2>Logit errors</h2><p>histogram of log10 |quantized − float| over all logits of the evaluated positions ({} exactly zero, {} below, {} above the range).</p>",
            self.logit_error_hist.zeros, self.logit_error_hist.under, self.logit_error_hist.over);
        h.push_str(&plots::logit_error_histogram(&self.logit_error_hist));
        let _ = writeln!(h, "<h2>Softmax (own error vs bound)</h2><table><tr><th>softmax</th><th>max |err|</th><th>bound</th><th></th></tr>");
        for m in &self.softmax {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{:.3e}</td><td>{:.3e}</td><td{}>{}</td></tr>",
                esc(&m.name),
                m.max_abs_err,
                m.bound,
                if m.within_bound { "" } else { " class=\"bad\"" },
                if m.within_bound { "ok" } else { "exceeds" }
            );
        }
        let _ = writeln!(h, "</table><h2>Widened tensors</h2>");
        if self.widened.is_empty() {
            let _ = writeln!(h, "<p>No tensor was widened beyond its default width.</p>");
        } else {
            let _ = writeln!(h, "<table><tr><th>tensor</th><th>bits</th><th>elements</th><th>extra 16-bit limb lookups per proof</th><th>significant bits of a typical value</th><th>at default width: mean KL, top-1 (vs {:.3e}, {:.2}%)</th></tr>",
                self.mean_kl, self.top1_agreement * 100.0);
            for w in &self.widened {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}→{}</td><td>{}</td><td>{}</td><td>{:.1}→{:.1}</td><td>{}</td></tr>",
                    esc(&w.name),
                    w.from_bits,
                    w.to_bits,
                    w.elements,
                    w.extra_limb_lookups,
                    w.rel_bits_from,
                    w.rel_bits_to,
                    esc(&w.gain_text())
                );
            }
            let _ = writeln!(h, "</table>");
        }
        let _ = writeln!(h, "<h2>Tensors</h2><table id=\"tensors\"><tr><th>#</th><th>tensor</th><th>op</th><th>bits</th><th>frac bits</th><th>max |err|</th><th>mean |err|</th><th>max |x|</th></tr>");
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = writeln!(
                h,
                "<tr><td>{i}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3e}</td><td>{:.3e}</td><td>{:.3e}</td></tr>",
                esc(&n.name),
                n.op,
                n.bits,
                n.frac_bits,
                n.max_abs_err,
                n.mean_abs_err,
                n.float_max_abs
            );
        }
        let _ = writeln!(h, "</table><h2>Lookup tables</h2><table><tr><th>lookup</th><th>table</th><th>inputs seen</th><th>headroom</th></tr>");
        for l in &calib.lookups {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>[{}, {})</td><td>[{}, {}]</td><td>{:.2}×</td></tr>",
                esc(&l.name),
                l.table_lo,
                l.table_lo + (1i64 << l.table_log_size),
                l.input_min,
                l.input_max,
                l.headroom
            );
        }
        let _ = writeln!(h, "</table></body></html>");
        h
    }
}

impl Widened {
    fn gain_text(&self) -> String {
        match (&self.at_default_width, &self.default_width_error) {
            (Some(a), _) => format!("{:.3e}, {:.2}%", a.mean_kl, a.top1_agreement * 100.0),
            (None, Some(e)) => format!("fails: {}", trunc(e, 60)),
            (None, None) => "not measured (--ablate)".into(),
        }
    }
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(n - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
