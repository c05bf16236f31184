//! The calibration pass behind `zkllm calibrate`: token data, windows, the
//! ranges over the whole calibration set, the width selection and the
//! `calib.json` file.
//!
//! Scales come from `max |x|` over every calibration window (no percentile
//! clipping: DESIGN "Quantization" measured clipping the attention sink at
//! +164 ppl) times the configured headroom. A tensor whose range leaves its
//! typical value (`mean |x|`) fewer than `min_rel_bits` significant bits at
//! its default width is widened, up to [`MAX_BITS`].

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{quantize, Calibration, QuantConfig, QuantError, MAX_BITS};
use crate::ir::{float, Graph, Op};
use crate::witness::{self, WitnessError};

/// `(stage, done, total)`, as [`crate::pipeline::Progress`].
pub type Progress<'a> = &'a dyn Fn(&str, usize, usize);

/// Format tag of `calib.json`.
pub const FORMAT: &str = "zkllm-calib/1";

#[derive(Debug, Error)]
pub enum DataError {
    #[error("{what} is empty")]
    Empty { what: String },
    #[error("{what} is not JSON: {why}")]
    NotJson { what: String, why: String },
    #[error(
        "{what}: expected a JSON list of token-id sequences (e.g. [[1, 2, 3], [4, 5]]), a single list of token ids, or an object with \"input_ids\"; found {found}"
    )]
    Shape { what: String, found: String },
    #[error("{what}: sequence {seq}, position {pos}: {value} is not a token id (a non-negative integer)")]
    NotTokenId {
        what: String,
        seq: usize,
        pos: usize,
        value: String,
    },
    #[error("{what}: sequence {seq}, position {pos}: token id {id} is outside the model's vocabulary 0..{vocab}")]
    OutOfVocab {
        what: String,
        seq: usize,
        pos: usize,
        id: i64,
        vocab: usize,
    },
    #[error("{what} holds no tokens")]
    NoTokens { what: String },
}

#[derive(Debug, Error)]
pub enum CalibError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("float run on window {window}: {why}")]
    Float { window: usize, why: String },
    #[error("quantization: {0}")]
    Quant(#[from] QuantError),
    #[error(
        "quantized run on {set} window {window} (tokens {tokens:?}...): {err}; calibrate on more representative data or raise --headroom"
    )]
    Witness {
        set: &'static str,
        window: usize,
        tokens: Vec<i64>,
        err: Box<WitnessError>,
    },
    /// Held-out windows that leave the calibrated ranges: every such window
    /// is listed (not just the first), with the headroom that would cover
    /// the worst overflow of a width.
    #[error(
        "{failed} of {total} evaluation windows leave the calibrated ranges: {}; {advice}",
        windows.join("; ")
    )]
    EvalOutOfRange {
        failed: usize,
        total: usize,
        /// `window N (tokens [...]...): <the witness error>`, per window.
        windows: Vec<String>,
        /// What would cover it (a headroom, or more calibration data).
        advice: String,
    },
    /// The fixpoint did not converge: these tensors still leave their
    /// ranges after the last round.
    #[error(
        "calibration did not reach a fixpoint in {rounds} rounds: {} still leave their ranges on the calibration data",
        tensors.join(", ")
    )]
    NoFixpoint { rounds: usize, tensors: Vec<String> },
    #[error("--seq-len must be at least 1")]
    SeqLen,
    #[error("{0}")]
    Other(String),
}

/// Token-id sequences parsed from a JSON data file.
///
/// Accepted shapes: `[[ids..], [ids..]]`, `[ids..]` (one sequence), or an
/// object with `"input_ids"` holding either (e.g. a fixture's `.ref.json`).
pub fn parse_token_data(text: &str, what: &str, vocab: usize) -> Result<Vec<Vec<i64>>, DataError> {
    let what = what.to_string();
    if text.trim().is_empty() {
        return Err(DataError::Empty { what });
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| DataError::NotJson {
        what: what.clone(),
        why: e.to_string(),
    })?;
    let kind = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::Null => "null".into(),
            serde_json::Value::Bool(_) => "a boolean".into(),
            serde_json::Value::Number(_) => "a number".into(),
            serde_json::Value::String(_) => "a string".into(),
            serde_json::Value::Array(_) => "a list".into(),
            serde_json::Value::Object(o) => {
                format!("an object with keys {:?}", o.keys().collect::<Vec<_>>())
            }
        }
    };
    let list = match &v {
        serde_json::Value::Object(o) => match o.get("input_ids") {
            Some(ids @ serde_json::Value::Array(_)) => ids,
            _ => {
                return Err(DataError::Shape {
                    what,
                    found: kind(&v),
                })
            }
        },
        serde_json::Value::Array(_) => &v,
        other => {
            return Err(DataError::Shape {
                what,
                found: kind(other),
            })
        }
    };
    let items = list.as_array().expect("checked");
    if items.is_empty() {
        return Err(DataError::NoTokens { what });
    }
    let nested = items.iter().any(|x| x.is_array());
    let seqs: Vec<&[serde_json::Value]> = if nested {
        let mut out = Vec::new();
        for (i, s) in items.iter().enumerate() {
            match s.as_array() {
                Some(a) => out.push(a.as_slice()),
                None => {
                    return Err(DataError::Shape {
                        what,
                        found: format!("a list whose item {i} is {}", kind(s)),
                    })
                }
            }
        }
        out
    } else {
        vec![items.as_slice()]
    };
    let mut result = Vec::with_capacity(seqs.len());
    for (si, s) in seqs.iter().enumerate() {
        let mut ids = Vec::with_capacity(s.len());
        for (pi, t) in s.iter().enumerate() {
            let id = t
                .as_i64()
                .filter(|&x| x >= 0)
                .ok_or_else(|| DataError::NotTokenId {
                    what: what.clone(),
                    seq: si,
                    pos: pi,
                    value: t.to_string(),
                })?;
            if id as u64 >= vocab as u64 {
                return Err(DataError::OutOfVocab {
                    what: what.clone(),
                    seq: si,
                    pos: pi,
                    id,
                    vocab,
                });
            }
            ids.push(id);
        }
        result.push(ids);
    }
    if result.iter().all(|s| s.is_empty()) {
        return Err(DataError::NoTokens { what });
    }
    Ok(result)
}

/// `seq_len` token ids of one model run: `len` real tokens, then padding
/// with token 0 (as `zkllm prove` pads; the causal mask keeps the padding
/// from affecting the real positions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub ids: Vec<i64>,
    pub len: usize,
}

/// Splits sequences into consecutive non-overlapping windows of `seq_len`
/// tokens (the last one of a sequence may be shorter and is padded).
pub fn windows(seqs: &[Vec<i64>], seq_len: usize) -> Vec<Window> {
    let mut out = Vec::new();
    for s in seqs {
        for chunk in s.chunks(seq_len.max(1)) {
            let mut ids = chunk.to_vec();
            ids.resize(seq_len, 0);
            out.push(Window {
                ids,
                len: chunk.len(),
            });
        }
    }
    out
}

/// Splits windows into (calibration, evaluation) when no separate eval data
/// is given: the last quarter (at least one window) is held out. With a
/// single window both sets are that window, and the description says so.
pub fn split_windows(w: Vec<Window>) -> (Vec<Window>, Vec<Window>, String) {
    let n = w.len();
    if n < 2 {
        let desc = format!(
            "not held out: the data gives {n} window(s), so the report is on the calibration data itself (pass --eval)"
        );
        return (w.clone(), w, desc);
    }
    let k = n.div_ceil(4).max(1);
    let (a, b) = w.split_at(n - k);
    let desc = format!("split: the last {k} of {n} windows of --data held out for evaluation");
    (a.to_vec(), b.to_vec(), desc)
}

/// The knobs of a calibration: a base [`QuantConfig`] and the width rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibSettings {
    /// The quantization settings (bits, residual_bits, headroom, tables...).
    #[serde(flatten)]
    pub quant: QuantConfig,
    /// Widen a tensor until its `mean |x|` gets at least this many
    /// significant bits (`log2(mean|x| · 2^frac_bits)`); 0 disables.
    pub min_rel_bits: f64,
}

impl Default for CalibSettings {
    fn default() -> Self {
        CalibSettings {
            quant: crate::pipeline::default_quant_config(true),
            min_rel_bits: 8.0,
        }
    }
}

/// One tensor's line in `calib.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorInfo {
    pub name: String,
    pub op: String,
    pub elements: usize,
    pub bits: u32,
    pub frac_bits: i32,
    /// `max |x|` over the calibration set (before headroom).
    pub max_abs: f64,
    pub mean_abs: f64,
    /// `log2(mean|x| · 2^frac_bits)`.
    pub rel_bits: f64,
    /// Largest `|q| / 2^(bits-1)` seen in the quantized runs.
    pub fill: f64,
    /// The width before widening, when this tensor was widened.
    pub widened_from: Option<u32>,
}

/// A lookup table and the share of it the calibration inputs used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LookupInfo {
    pub name: String,
    pub func: String,
    pub table_lo: i64,
    pub table_log_size: u32,
    pub input_min: i64,
    pub input_max: i64,
    /// How far the seen inputs could grow before leaving the table
    /// (table half-width over the largest seen `|input - centre|`).
    pub headroom: f64,
}

/// What `zkllm calibrate` writes. `zkllm setup --calib` reads the flattened
/// [`Calibration`] (ranges and the quantization settings) and ignores the
/// rest, which documents the choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFile {
    pub format: String,
    #[serde(flatten)]
    pub calibration: Calibration,
    pub seq_len: usize,
    pub windows: usize,
    pub tokens: usize,
    pub min_rel_bits: f64,
    pub tensors: Vec<TensorInfo>,
    pub lookups: Vec<LookupInfo>,
    /// What the fixpoint changed, round by round (empty when the float
    /// ranges already fit every calibration window).
    #[serde(default)]
    pub fixpoint: Vec<FixpointChange>,
    /// How `--headroom auto` chose the headroom (absent when it was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headroom_auto: Option<AutoHeadroom>,
}

/// One range the calibration fixpoint widened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixpointChange {
    pub round: usize,
    /// The float-graph tensor whose range was widened.
    pub tensor: String,
    /// Which range: `max_abs` or `mean_sq_max` (a norm's sum of squares).
    pub range: String,
    /// The factor it was multiplied by.
    pub factor: f64,
    /// The width it was given to keep its scale: `[from, to]` bits. Absent
    /// when the range had no width of its own to grow (a norm's table input)
    /// or was already at [`MAX_BITS`], so that its scale coarsened instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<[u32; 2]>,
    /// The calibration window with the largest overflow.
    pub window: usize,
}

/// Rounds of the calibration fixpoint before it gives up.
pub const MAX_FIXPOINT_ROUNDS: usize = 12;
/// A widened range covers the worst overflow with this margin.
pub const FIXPOINT_MARGIN: f64 = 1.05;

/// A range of the [`Calibration`] that the fixpoint can widen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RangeKey {
    /// `max_abs` of a float-graph tensor.
    Range(String),
    /// `mean_sq_max` of a norm (its sum of squares, rescaled into the table).
    NormSquares(String),
}

impl RangeKey {
    fn name(&self) -> &str {
        match self {
            RangeKey::Range(n) | RangeKey::NormSquares(n) => n,
        }
    }
    fn what(&self) -> &'static str {
        match self {
            RangeKey::Range(_) => "max_abs",
            RangeKey::NormSquares(_) => "mean_sq_max",
        }
    }
}

/// The range to widen, and by what factor, for a quantized run's range
/// error: the failing node's own range when it has one, a norm's squares
/// for its rescaled sum of squares and table input, else the range of the
/// nearest input that has one (nodes quantization adds, such as a lookup's
/// input rescale, are named `source/part`). `None` for errors no range fixes.
fn range_fix(qgraph: &Graph, calib: &Calibration, err: &RunFailure) -> Option<(RangeKey, f64)> {
    let err = match err {
        RunFailure::Clamped(c) => {
            let bits = qgraph.nodes.get(c.node)?.quant?.bits;
            let factor = c.peak as f64 / 2f64.powi(bits as i32 - 1);
            return range_fix_at(qgraph, calib, c.node, factor);
        }
        RunFailure::Error(e) => e,
    };
    let (node, factor) = match err {
        WitnessError::OutOfRange { node, factor, .. } => (*node, *factor),
        WitnessError::OutsideTable {
            node,
            value,
            lo,
            hi,
            ..
        } => {
            let span = (hi - lo).max(1) as f64;
            let over = if value < lo {
                (hi - value) as f64
            } else {
                (value - lo + 1) as f64
            };
            (*node, (over / span).max(1.0))
        }
        _ => return None,
    };
    range_fix_at(qgraph, calib, node, factor)
}

/// [`range_fix`] for node `node` over its range by `factor`.
fn range_fix_at(
    qgraph: &Graph,
    calib: &Calibration,
    node: usize,
    factor: f64,
) -> Option<(RangeKey, f64)> {
    let mut id = node;
    for _ in 0..8 {
        let name = &qgraph.nodes.get(id)?.name;
        if calib.max_abs.contains_key(name) {
            return Some((RangeKey::Range(name.clone()), factor.max(1.0)));
        }
        // Nodes that quantization adds are `source/part` (ONNX names may
        // hold slashes too, so only the last component is a part).
        if let Some((base, part)) = name.rsplit_once('/') {
            if calib.norms.contains_key(base) && matches!(part, "sumsq_rescaled" | "rsqrt") {
                return Some((RangeKey::NormSquares(base.to_string()), factor * factor));
            }
        }
        id = *qgraph.nodes[id].inputs.first()?;
    }
    None
}

/// Widths: quantize at the defaults, widen the tensors that lack precision
/// (`min_rel_bits`). Returns the configuration and the widened tensors'
/// default widths.
fn choose_widths(
    graph: &Graph,
    calib: &Calibration,
    stats: &AbsStats,
    settings: &CalibSettings,
) -> Result<(QuantConfig, BTreeMap<String, u32>), CalibError> {
    let mut cfg = settings.quant.clone();
    let mut widened: BTreeMap<String, u32> = BTreeMap::new();
    if settings.min_rel_bits <= 0.0 {
        return Ok((cfg, widened));
    }
    let base = quantize(graph, calib, &cfg)?;
    let base_q: HashMap<&str, crate::ir::Quant> = base
        .nodes
        .iter()
        .filter_map(|n| n.quant.map(|q| (n.name.as_str(), q)))
        .collect();
    for n in &graph.nodes {
        if !widenable(&n.op) || cfg.overrides.contains_key(&n.name) {
            continue;
        }
        let (Some(q), mean) = (base_q.get(n.name.as_str()), stats.mean(&n.name)) else {
            continue;
        };
        if mean <= 0.0 || q.bits >= MAX_BITS {
            continue;
        }
        let rel = mean.log2() + q.frac_bits as f64;
        if rel < settings.min_rel_bits {
            let extra = (settings.min_rel_bits - rel).ceil() as u32;
            let bits = (q.bits + extra).min(MAX_BITS);
            cfg.overrides.insert(n.name.clone(), bits);
            widened.insert(n.name.clone(), q.bits);
        }
    }
    Ok((cfg, widened))
}

/// Per quantized node: the largest `|q| / 2^(bits-1)` seen.
type Fill = HashMap<usize, f64>;
/// Per lookup node: the smallest and largest input seen.
type LookupSpan = HashMap<usize, (i64, i64)>;

/// Why a calibration window does not fit: the witness refused it, or a
/// saturating rescale clamped (which costs accuracy on the calibration data
/// itself, so the fixpoint widens that range too).
#[derive(Debug)]
enum RunFailure {
    Error(WitnessError),
    Clamped(witness::Clamped),
}

/// The exact integer runs of every window: their fill and lookup spans,
/// or every window's range error (or clamps).
fn quantized_runs(
    qgraph: &Graph,
    windows: &[Window],
    round: usize,
    progress: Progress<'_>,
) -> Result<(Fill, LookupSpan), Vec<(usize, RunFailure)>> {
    let stage = if round == 1 {
        "quantized runs".to_string()
    } else {
        format!("quantized runs (fixpoint round {round})")
    };
    let mut fill: Fill = HashMap::new();
    let mut lk: LookupSpan = HashMap::new();
    let mut failures = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        progress(&stage, i, windows.len());
        // The probe records every range the window leaves (clamping to go
        // on), so one round widens all of them, not one per round.
        let wit = match witness::probe(qgraph, &w.ids) {
            Ok((wit, found)) if found.is_empty() => wit,
            Ok((wit, found)) => {
                failures.extend(found.into_iter().map(|e| (i, RunFailure::Error(e))));
                failures.extend(wit.clamped.iter().map(|c| (i, RunFailure::Clamped(*c))));
                continue;
            }
            Err(e) => {
                failures.push((i, RunFailure::Error(e)));
                continue;
            }
        };
        if !wit.clamped.is_empty() {
            failures.extend(wit.clamped.iter().map(|c| (i, RunFailure::Clamped(*c))));
            continue;
        }
        for n in &qgraph.nodes {
            if matches!(n.op, Op::Weight { .. } | Op::Constant | Op::Input { .. }) {
                continue;
            }
            let q = n.quant.expect("quantized");
            let v = wit.node(n.id);
            let m = v.iter().map(|x| x.unsigned_abs()).max().unwrap_or(0);
            let f = m as f64 / 2f64.powi(q.bits as i32 - 1);
            let e = fill.entry(n.id).or_insert(0.0);
            *e = e.max(f);
            if let Op::Lookup { .. } = n.op {
                let x = wit.node(n.inputs[0]);
                let lo = x.iter().copied().min().unwrap_or(0);
                let hi = x.iter().copied().max().unwrap_or(0);
                let e = lk.entry(n.id).or_insert((lo, hi));
                e.0 = e.0.min(lo);
                e.1 = e.1.max(hi);
            }
        }
    }
    progress(&stage, windows.len(), windows.len());
    if failures.is_empty() {
        Ok((fill, lk))
    } else {
        Err(failures)
    }
}

/// Result of [`calibrate`]: the file and the quantized graph it gives.
pub struct Calibrated {
    pub file: CalibrationFile,
    pub graph: Graph,
}

fn widenable(op: &Op) -> bool {
    matches!(
        op,
        Op::EinSum { .. }
            | Op::Hadamard
            | Op::MulConst { .. }
            | Op::Add
            | Op::Sub
            | Op::Concat { .. }
            | Op::Norm { .. }
            | Op::Rotary { .. }
            | Op::Lookup { .. }
    )
}

/// Per-node `Σ|x|` and element counts of float runs.
#[derive(Clone, Default)]
struct AbsStats {
    sum: HashMap<String, (f64, usize)>,
}

impl AbsStats {
    fn add(&mut self, graph: &Graph, vals: &[Vec<f64>]) {
        for (n, v) in graph.nodes.iter().zip(vals) {
            let s: f64 = v.iter().filter(|x| x.is_finite()).map(|x| x.abs()).sum();
            let e = self.sum.entry(n.name.clone()).or_insert((0.0, 0));
            e.0 += s;
            e.1 += v.len();
        }
    }
    fn mean(&self, name: &str) -> f64 {
        self.sum
            .get(name)
            .map(|&(s, c)| if c > 0 { s / c as f64 } else { 0.0 })
            .unwrap_or(0.0)
    }
}

/// The calibration pass over `windows` of the float graph `graph`.
pub fn calibrate(
    graph: &Graph,
    windows: &[Window],
    settings: &CalibSettings,
    progress: Progress<'_>,
) -> Result<Calibrated, CalibError> {
    if windows.is_empty() {
        return Err(CalibError::Data(DataError::NoTokens {
            what: "the calibration data".into(),
        }));
    }
    let mut pass = FloatPass::default();
    pass.extend(graph, windows, 0, progress)?;
    calibrate_from(graph, windows, pass, settings, progress)
}

/// The float ranges and `|x|` statistics of some windows: computed once and
/// shared by every headroom [`choose_headroom`] tries.
#[derive(Clone, Default)]
pub struct FloatPass {
    calib: Calibration,
    stats: AbsStats,
}

impl FloatPass {
    /// Merges the float runs of `windows` (numbered from `first` in errors).
    fn extend(
        &mut self,
        graph: &Graph,
        windows: &[Window],
        first: usize,
        progress: Progress<'_>,
    ) -> Result<(), CalibError> {
        for (i, w) in windows.iter().enumerate() {
            progress("float ranges", i, windows.len());
            let vals = float::eval(graph, &w.ids).map_err(|e| CalibError::Float {
                window: first + i,
                why: e.to_string(),
            })?;
            self.calib.merge_float_run(graph, &vals);
            self.stats.add(graph, &vals);
        }
        progress("float ranges", windows.len(), windows.len());
        Ok(())
    }
}

/// [`calibrate`] from the float pass of the same `windows`.
fn calibrate_from(
    graph: &Graph,
    windows: &[Window],
    pass: FloatPass,
    settings: &CalibSettings,
    progress: Progress<'_>,
) -> Result<Calibrated, CalibError> {
    let FloatPass { mut calib, stats } = pass;
    // The fixpoint: quantize, run every calibration window exactly, and
    // widen the range of each tensor the integer pass drove past it, until
    // every window fits (bounded rounds). Ranges thus come from the exact
    // integer pass, not only the float pass.
    //
    // A widened range keeps its scale: its width grows by the bits the
    // overflow needs (up to MAX_BITS). Growing the range alone would coarsen
    // the scale, and rounds compound: measured on SmolLM2-135M, 8 rounds of
    // coarsening cost +54 ppl, where the extra bits cost only range-check limbs.
    let mut fixpoint: Vec<FixpointChange> = Vec::new();
    let mut fixpoint_bits: BTreeMap<String, u32> = BTreeMap::new();
    let mut round = 0;
    let (qgraph, cfg, widened, fill, lk) = loop {
        round += 1;
        let (mut cfg, widened) = choose_widths(graph, &calib, &stats, settings)?;
        for (name, &bits) in &fixpoint_bits {
            let w = cfg.overrides.entry(name.clone()).or_insert(bits);
            *w = (*w).max(bits);
        }
        let qgraph = quantize(graph, &calib, &cfg)?;
        let failures = match quantized_runs(&qgraph, windows, round, progress) {
            Ok((fill, lk)) => break (qgraph, cfg, widened, fill, lk),
            Err(f) => f,
        };
        // One fix per tensor per round: the largest overflow over the windows.
        let mut fixes: BTreeMap<RangeKey, (f64, usize)> = BTreeMap::new();
        for (window, err) in &failures {
            let fix = range_fix(&qgraph, &calib, err).ok_or_else(|| match err {
                RunFailure::Error(e) => CalibError::Witness {
                    set: "calibration",
                    window: *window,
                    tokens: windows[*window].ids.iter().take(8).copied().collect(),
                    err: Box::new(e.clone()),
                },
                RunFailure::Clamped(c) => CalibError::Other(format!(
                    "calibration window {window}: node {} '{}' clamps and no range governs it",
                    c.node, qgraph.nodes[c.node].name
                )),
            })?;
            let e = fixes.entry(fix.0).or_insert((1.0, *window));
            if fix.1 > e.0 {
                *e = (fix.1, *window);
            }
        }
        if round >= MAX_FIXPOINT_ROUNDS {
            let names: Vec<String> = fixes.keys().map(|k| k.name().to_string()).collect();
            return Err(CalibError::NoFixpoint {
                rounds: round,
                tensors: names,
            });
        }
        let width_of: HashMap<&str, u32> = qgraph
            .nodes
            .iter()
            .filter_map(|n| n.quant.map(|q| (n.name.as_str(), q.bits)))
            .collect();
        for (key, (factor, window)) in fixes {
            let factor = factor * FIXPOINT_MARGIN;
            let mut bits = None;
            match &key {
                RangeKey::Range(n) => {
                    if let Some(m) = calib.max_abs.get_mut(n) {
                        *m *= factor;
                    }
                    if let Some(&from) = width_of.get(n.as_str()) {
                        let to = (from + factor.log2().ceil().max(0.0) as u32).min(MAX_BITS);
                        if to > from {
                            fixpoint_bits.insert(n.clone(), to);
                            bits = Some([from, to]);
                        }
                    }
                }
                RangeKey::NormSquares(n) => {
                    if let Some(st) = calib.norms.get_mut(n) {
                        st.mean_sq_max *= factor;
                    }
                }
            }
            fixpoint.push(FixpointChange {
                round,
                tensor: key.name().to_string(),
                range: key.what().into(),
                factor,
                bits,
                window,
            });
        }
    };

    let qid: HashMap<&str, usize> = qgraph
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.id))
        .collect();
    let mut tensors = Vec::new();
    for n in &graph.nodes {
        if matches!(n.op, Op::Weight { .. } | Op::Constant | Op::Input { .. }) {
            continue;
        }
        let Some(&id) = qid.get(n.name.as_str()) else {
            continue;
        };
        let q = qgraph.nodes[id].quant.expect("quantized");
        let mean = stats.mean(&n.name);
        tensors.push(TensorInfo {
            name: n.name.clone(),
            op: n.op.kind().to_string(),
            elements: crate::ir::numel(&n.shape),
            bits: q.bits,
            frac_bits: q.frac_bits,
            max_abs: calib.max_abs.get(&n.name).copied().unwrap_or(0.0),
            mean_abs: mean,
            rel_bits: if mean > 0.0 {
                mean.log2() + q.frac_bits as f64
            } else {
                f64::NAN
            },
            fill: fill.get(&id).copied().unwrap_or(0.0),
            widened_from: widened.get(&n.name).copied(),
        });
    }
    let mut lookups = Vec::new();
    for n in &qgraph.nodes {
        if let Op::Lookup {
            func,
            table: Some(t),
        } = &n.op
        {
            let (lo, hi) = lk.get(&n.id).copied().unwrap_or((0, 0));
            let size = 1i64 << t.log_size;
            let centre = t.lo as f64 + size as f64 / 2.0;
            let spread = (hi as f64 - centre)
                .abs()
                .max((lo as f64 - centre).abs())
                .max(1.0);
            lookups.push(LookupInfo {
                name: n.name.clone(),
                func: format!("{func:?}"),
                table_lo: t.lo,
                table_log_size: t.log_size,
                input_min: lo,
                input_max: hi,
                headroom: size as f64 / 2.0 / spread,
            });
        }
    }
    calib.config = Some(cfg);
    let file = CalibrationFile {
        format: FORMAT.into(),
        calibration: calib,
        seq_len: graph.seq_len,
        windows: windows.len(),
        tokens: windows.iter().map(|w| w.len).sum(),
        min_rel_bits: settings.min_rel_bits,
        tensors,
        lookups,
        fixpoint,
        headroom_auto: None,
    };
    Ok(Calibrated {
        file,
        graph: qgraph,
    })
}

/// The headrooms `--headroom auto` chooses from, smallest first.
pub const AUTO_HEADROOMS: &[f64] = &[
    1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0,
];

/// One headroom `--headroom auto` tried: calibrated on the fitting part, run
/// on the held-back part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadroomTrial {
    pub headroom: f64,
    /// Values the saturating rescales clamped on the held-back windows.
    pub clamped_values: usize,
    /// Held-back windows the quantized model refused outright (a range no
    /// rescale saturates, e.g. a lookup fed by an unrescaled tensor).
    pub refused_windows: usize,
}

impl HeadroomTrial {
    fn fits(&self) -> bool {
        self.clamped_values == 0 && self.refused_windows == 0
    }
}

/// What `--headroom auto` did: the split, the trials, the choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoHeadroom {
    pub chosen: f64,
    /// Whether the chosen headroom clamps nothing on the held-back part
    /// (false only when even the largest candidate clamps).
    pub clamp_free: bool,
    pub fit_windows: usize,
    pub held_back_windows: usize,
    /// In the order tried (a bisection of [`AUTO_HEADROOMS`]).
    pub trials: Vec<HeadroomTrial>,
}

/// `--headroom auto`: the smallest of [`AUTO_HEADROOMS`] whose calibration
/// on the first part of `windows` clamps nothing on the held-back part (the
/// last quarter, at least one window), then the calibration of all of
/// `windows` at that headroom.
///
/// Clamps fall as the headroom rises, so the candidates are bisected
/// (about four calibrations, not thirteen): the choice clamps nothing and
/// the candidate below it, when tried, clamps. When even the largest
/// candidate clamps, it is chosen and `clamp_free` says so.
pub fn choose_headroom(
    graph: &Graph,
    windows: &[Window],
    settings: &CalibSettings,
    progress: Progress<'_>,
) -> Result<Calibrated, CalibError> {
    if windows.len() < 2 {
        return Err(CalibError::Other(format!(
            "--headroom auto holds back part of the calibration data to test each headroom on, and the data gives {} window(s); give at least 2 windows (more --data) or a number for --headroom",
            windows.len()
        )));
    }
    let held = windows.len().div_ceil(4).max(1);
    let (fit, back) = windows.split_at(windows.len() - held);
    let mut fit_pass = FloatPass::default();
    fit_pass.extend(graph, fit, 0, progress)?;
    let mut trials: Vec<HeadroomTrial> = Vec::new();
    let mut trial = |i: usize| -> Result<bool, CalibError> {
        if let Some(t) = trials.iter().find(|t| t.headroom == AUTO_HEADROOMS[i]) {
            return Ok(t.fits());
        }
        let mut s = settings.clone();
        s.quant.headroom = AUTO_HEADROOMS[i];
        let cal = calibrate_from(graph, fit, fit_pass.clone(), &s, progress)?;
        let mut t = HeadroomTrial {
            headroom: AUTO_HEADROOMS[i],
            clamped_values: 0,
            refused_windows: 0,
        };
        let stage = format!("headroom {} on held-back windows", AUTO_HEADROOMS[i]);
        for (k, w) in back.iter().enumerate() {
            progress(&stage, k, back.len());
            match witness::generate(&cal.graph, &w.ids) {
                Ok(wit) => {
                    t.clamped_values += wit.clamped.iter().map(|c| c.above + c.below).sum::<usize>()
                }
                Err(_) => t.refused_windows += 1,
            }
        }
        progress(&stage, back.len(), back.len());
        let fits = t.fits();
        trials.push(t);
        Ok(fits)
    };
    let (mut lo, mut hi) = (0, AUTO_HEADROOMS.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if trial(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let clamp_free = trial(lo)?;
    let chosen = AUTO_HEADROOMS[lo];
    let mut all_pass = fit_pass;
    all_pass.extend(graph, back, fit.len(), progress)?;
    let mut s = settings.clone();
    s.quant.headroom = chosen;
    let mut cal = calibrate_from(graph, windows, all_pass, &s, progress)?;
    cal.file.headroom_auto = Some(AutoHeadroom {
        chosen,
        clamp_free,
        fit_windows: fit.len(),
        held_back_windows: back.len(),
        trials,
    });
    Ok(cal)
}

/// Built-in presets (`calibration/presets/*.json`).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../calibration/presets/default.json"),
    ),
    (
        "accurate",
        include_str!("../../calibration/presets/accurate.json"),
    ),
    (
        "compact",
        include_str!("../../calibration/presets/compact.json"),
    ),
];

impl CalibSettings {
    /// Settings from a preset JSON object: its keys replace the defaults'
    /// (any [`QuantConfig`] field, and `min_rel_bits`); `"description"` is
    /// ignored.
    pub fn from_preset_json(text: &str) -> Result<CalibSettings, String> {
        let preset: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let serde_json::Value::Object(p) = preset else {
            return Err("a preset is a JSON object".into());
        };
        let mut base = serde_json::to_value(CalibSettings::default()).map_err(|e| e.to_string())?;
        let obj = base.as_object_mut().expect("struct");
        for (k, v) in p {
            if k == "description" {
                continue;
            }
            if !obj.contains_key(&k) {
                return Err(format!(
                    "unknown setting `{k}` (known: {})",
                    obj.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            obj.insert(k, v);
        }
        serde_json::from_value(base).map_err(|e| e.to_string())
    }

    /// A built-in preset by name.
    pub fn preset(name: &str) -> Option<CalibSettings> {
        PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| CalibSettings::from_preset_json(t).expect("built-in presets parse"))
    }
}
