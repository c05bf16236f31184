//! Float vs quantized agreement of a real model on real text (not run by CI).
//!
//! ```text
//! cargo run --release --example real_model_agreement -- MODEL.onnx MODEL.ref.json [SEQ]
//! ```
//! `MODEL.ref.json` comes from `importers/export_hf.py --text CALIB --text EVAL`:
//! scales are calibrated on the first text and measured on the second, both
//! cut to `SEQ` tokens (default 32). For several residual-stream widths it
//! prints max/mean |logit error| and top-1 agreement against tract's float
//! inference of the same file, and the mean KL(float ‖ quantized).

use std::path::PathBuf;

use zkllm::import::{import, tract_logits, ImportOptions};
use zkllm::ir::float;
use zkllm::quant::{quantize, Calibration, QuantConfig};
use zkllm::witness;

fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

fn argmax(x: &[f64]) -> usize {
    (0..x.len())
        .max_by(|&a, &b| x[a].partial_cmp(&x[b]).unwrap())
        .unwrap()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let model = PathBuf::from(
        args.get(1)
            .ok_or("usage: MODEL.onnx MODEL.ref.json [SEQ]")?,
    );
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(args.get(2).ok_or("ref json")?)?)?;
    let seq: usize = args.get(3).map_or(Ok(32), |s| s.parse())?;
    let texts = reference["texts"]
        .as_array()
        .ok_or("ref json has no texts (use --text twice)")?;
    let ids = |i: usize| -> Vec<i64> {
        texts[i]["input_ids"]
            .as_array()
            .unwrap()
            .iter()
            .take(seq)
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    let (calib_ids, eval_ids) = (ids(0), ids(1));
    let seq = seq.min(calib_ids.len()).min(eval_ids.len());
    let (calib_ids, eval_ids) = (calib_ids[..seq].to_vec(), eval_ids[..seq].to_vec());
    let opts = ImportOptions {
        seq_len: seq,
        ..Default::default()
    };

    let t0 = std::time::Instant::now();
    let graph = import(&model, &opts)?;
    println!(
        "imported {} ({} IR nodes, {} parameters) in {:.1}s",
        model.display(),
        graph.nodes.len(),
        graph.parameter_count(),
        t0.elapsed().as_secs_f64()
    );
    let t0 = std::time::Instant::now();
    let tract: Vec<f64> = tract_logits(&model, &opts, &eval_ids)?
        .into_iter()
        .map(|x| x as f64)
        .collect();
    println!("tract float inference {:.1}s", t0.elapsed().as_secs_f64());
    // ZKLLM_CALIB_ON_EVAL=1 calibrates on the evaluation text itself (no
    // generalisation margin needed): isolates the quantization error.
    let on_eval = std::env::var("ZKLLM_CALIB_ON_EVAL").is_ok();
    let calib_values = float::eval(&graph, if on_eval { &eval_ids } else { &calib_ids })?;
    let calib = Calibration::from_float_run(&graph, &calib_values);
    drop(calib_values);
    let ir_float = float::eval(&graph, &eval_ids)?;
    let lowering_err = tract
        .iter()
        .zip(&ir_float[graph.output])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("lowered float graph vs tract: max |err| {lowering_err:.2e}");

    let vocab = *graph.nodes[graph.output].shape.last().unwrap();
    println!(
        "{:<28} {:>10} {:>10} {:>8} {:>10}",
        "config", "max|err|", "mean|err|", "top1", "KL"
    );
    let configs: Vec<(u32, f64)> = match std::env::var("ZKLLM_CONFIGS") {
        Ok(s) => s
            .split(',')
            .map(|c| {
                let (b, h) = c.split_once(':').unwrap();
                (b.parse().unwrap(), h.parse().unwrap())
            })
            .collect(),
        Err(_) => vec![(16, 2.0), (20, 2.0), (24, 2.0), (20, 4.0)],
    };
    for (residual_bits, headroom) in configs {
        let cfg = QuantConfig {
            residual_bits,
            headroom,
            norm_table_bits: std::env::var("ZKLLM_NORM_BITS").map_or(22, |v| v.parse().unwrap()),
            ..QuantConfig::default()
        };
        let q = quantize(&graph, &calib, &cfg)?;
        let t0 = std::time::Instant::now();
        let w = match witness::generate(&q, &eval_ids) {
            Ok(w) => w,
            Err(e) => {
                println!("residual {residual_bits} bits, headroom {headroom}: witness failed: {e}");
                continue;
            }
        };
        let secs = t0.elapsed().as_secs_f64();
        let wl = w.logits_f64();
        if std::env::var("ZKLLM_DIAG").is_ok() {
            // Relative error of each tensor against the float run, in graph order.
            let by_name: std::collections::HashMap<&str, usize> =
                q.nodes.iter().map(|n| (n.name.as_str(), n.id)).collect();
            for n in graph
                .nodes
                .iter()
                .filter(|n| !matches!(n.op, zkllm::ir::Op::Weight { .. }))
            {
                let Some(&qi) = by_name.get(n.name.as_str()) else {
                    continue;
                };
                let f = q.nodes[qi].quant.unwrap().frac_bits;
                let fv = &ir_float[n.id];
                let m = fv.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
                let e = fv.iter().zip(w.node(qi)).fold(0.0f64, |a, (&x, &y)| {
                    a.max((x - zkllm::quant::dequantize(y, f)).abs())
                });
                println!(
                    "  {:>5} {:<50} {:<10} max {:>10.3} err {:>10.4} rel {:>8.4}",
                    n.id,
                    n.name,
                    n.op.kind(),
                    m,
                    e,
                    e / m.max(1e-9)
                );
            }
        }
        let errs: Vec<f64> = tract.iter().zip(&wl).map(|(a, b)| (a - b).abs()).collect();
        let (mut agree, mut kl) = (0, 0.0);
        for p in 0..seq {
            let (t, q) = (
                &tract[p * vocab..(p + 1) * vocab],
                &wl[p * vocab..(p + 1) * vocab],
            );
            agree += (argmax(t) == argmax(q)) as usize;
            let (pt, pq) = (softmax(t), softmax(q));
            kl += pt
                .iter()
                .zip(&pq)
                .map(|(a, b)| {
                    if *a > 0.0 {
                        a * (a / b.max(1e-300)).ln()
                    } else {
                        0.0
                    }
                })
                .sum::<f64>();
        }
        println!(
            "{:<28} {:>10.4} {:>10.4} {:>4}/{:<3} {:>10.5}   (witness {secs:.1}s)",
            format!("res {residual_bits}b, headroom {headroom}"),
            errs.iter().cloned().fold(0.0, f64::max),
            errs.iter().sum::<f64>() / errs.len() as f64,
            agree,
            seq,
            kl / seq as f64
        );
    }
    Ok(())
}
