//! Shared helpers of the import tests: fixture listing, reference files, and
//! the float / quantized comparison.
#![allow(dead_code)]

use std::path::PathBuf;

use serde::Deserialize;
use zkllm::import::{import, tract_logits, ImportOptions};
use zkllm::ir::float;
use zkllm::quant::{quantize, Calibration, QuantConfig};
use zkllm::witness;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Fixture base names (`NAME.onnx` with a `NAME.ref.json`).
pub fn fixture_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".onnx"))
                .map(String::from)
        })
        .filter(|n| fixtures_dir().join(format!("{n}.ref.json")).exists())
        .collect();
    v.sort();
    v
}

#[derive(Deserialize)]
pub struct Reference {
    pub family: String,
    pub exporter: String,
    pub inputs: Vec<String>,
    pub input_ids: Vec<i64>,
    pub vocab: usize,
    pub logits_torch: Vec<f32>,
    pub logits_ort: Option<Vec<f32>>,
    pub max_abs_torch_vs_ort: Option<f64>,
}

impl Reference {
    /// torch's logits, or onnxruntime's where the export departs from torch
    /// (an exporter defect, not an importer one).
    pub fn expected(&self) -> Vec<f32> {
        match (&self.logits_ort, self.max_abs_torch_vs_ort) {
            (Some(ort), Some(d)) if d > 1e-3 => ort.clone(),
            _ => self.logits_torch.clone(),
        }
    }
}

pub fn load_ref(name: &str) -> Reference {
    let s =
        std::fs::read_to_string(fixtures_dir().join(format!("{name}.ref.json"))).expect("ref json");
    serde_json::from_str(&s).expect("ref json parses")
}

/// `(max abs err, mean abs err)`.
pub fn compare(a: &[f32], b: &[f64]) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    let errs: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y).abs())
        .collect();
    let max = errs.iter().cloned().fold(0.0, f64::max);
    (max, errs.iter().sum::<f64>() / errs.len() as f64)
}

pub struct FixtureRun {
    pub tract: Vec<f32>,
    pub ir_float: Vec<f64>,
    pub witness: Vec<f64>,
    pub quant_nodes: usize,
    pub max_err: f64,
    pub mean_err: f64,
    pub positions: usize,
    pub top1_agree: usize,
    pub confident_agree: String,
    pub confident_disagree: usize,
    /// (softmax nodes, softmax nodes with a causal mask).
    pub softmax: (usize, usize),
    /// Number of fused rotary ops.
    pub rotary: usize,
    /// Number of GELU lookups (tanh or erf form).
    pub gelu: usize,
}

fn argmax2(row: &[f64]) -> (usize, f64) {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.sort_by(|&a, &b| row[b].partial_cmp(&row[a]).unwrap());
    (idx[0], row[idx[0]] - row[idx[1]])
}

pub fn run_fixture(name: &str) -> FixtureRun {
    let path = fixtures_dir().join(format!("{name}.onnx"));
    let reference = load_ref(name);
    let opts = ImportOptions {
        seq_len: reference.input_ids.len(),
        ..Default::default()
    };
    let graph = import(&path, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let tract =
        tract_logits(&path, &opts, &reference.input_ids).unwrap_or_else(|e| panic!("{name}: {e}"));
    let values =
        float::eval(&graph, &reference.input_ids).unwrap_or_else(|e| panic!("{name}: {e}"));
    let ir_float = values[graph.output].clone();
    let calib = Calibration::from_float_run(&graph, &values);
    let q =
        quantize(&graph, &calib, &QuantConfig::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let w = witness::generate(&q, &reference.input_ids).unwrap_or_else(|e| panic!("{name}: {e}"));
    let wl = w.logits_f64();
    let (max_err, mean_err) = compare(&tract, &wl);
    let vocab = *graph.nodes[graph.output].shape.last().unwrap();
    let positions = tract.len() / vocab;
    let (mut agree, mut conf, mut conf_agree) = (0, 0, 0);
    for p in 0..positions {
        let t: Vec<f64> = tract[p * vocab..(p + 1) * vocab]
            .iter()
            .map(|&x| x as f64)
            .collect();
        let (ta, margin) = argmax2(&t);
        let (wa, _) = argmax2(&wl[p * vocab..(p + 1) * vocab]);
        agree += (ta == wa) as usize;
        if margin > 0.01 {
            conf += 1;
            conf_agree += (ta == wa) as usize;
        }
    }
    let softmax = q.nodes.iter().filter_map(|n| match &n.op {
        zkllm::ir::Op::Softmax { mask, .. } => Some(mask.is_some()),
        _ => None,
    });
    let softmax = softmax.fold((0, 0), |(n, m), masked| (n + 1, m + masked as usize));
    let rotary = q
        .nodes
        .iter()
        .filter(|n| matches!(n.op, zkllm::ir::Op::Rotary { .. }))
        .count();
    let gelu = q
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                n.op,
                zkllm::ir::Op::Lookup {
                    func: zkllm::ir::Func::Gelu | zkllm::ir::Func::GeluTanh,
                    ..
                }
            )
        })
        .count();
    FixtureRun {
        gelu,
        rotary,
        softmax,
        tract,
        ir_float,
        witness: wl,
        quant_nodes: q.nodes.len(),
        max_err,
        mean_err,
        positions,
        top1_agree: agree,
        confident_agree: format!("{conf_agree}/{conf}"),
        confident_disagree: conf - conf_agree,
    }
}
