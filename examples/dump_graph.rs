//! Prints a fixture's quantized graph, one node a line: id, name, op,
//! inputs, shape and fixed-point format (a debugging aid, not run by CI).
//!
//! ```text
//! cargo run --release --example dump_graph -- [FIXTURE]   # default gpt2_dynamo
//! ```
//! `FIXTURE` names `fixtures/FIXTURE.onnx`; its `FIXTURE.ref.json` gives the
//! token ids the scales are calibrated on (the default quantization config).

use std::path::PathBuf;

use zkllm::import::{import, ImportOptions};
use zkllm::ir::{float, Op};
use zkllm::quant::{quantize, Calibration, QuantConfig};

fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "gpt2_dynamo".into());
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures.join(format!("{name}.ref.json")))?)?;
    let ids: Vec<i64> = serde_json::from_value(reference["input_ids"].clone())?;
    let opts = ImportOptions {
        seq_len: ids.len(),
        ..Default::default()
    };
    let graph = import(&fixtures.join(format!("{name}.onnx")), &opts)?;
    let values = float::eval(&graph, &ids)?;
    let calib = Calibration::from_float_run(&graph, &values);
    let q = quantize(&graph, &calib, &QuantConfig::default())?;
    for n in &q.nodes {
        let op = match &n.op {
            Op::EinSum { spec, .. } => format!("EinSum {spec}"),
            o => format!("{o:?}").chars().take(60).collect(),
        };
        println!(
            "{:>3} {:<40} {:<50} {:?} {:?} {:?}",
            n.id,
            n.name.chars().take(40).collect::<String>(),
            op,
            n.inputs,
            n.shape,
            n.quant
        );
    }
    Ok(())
}
