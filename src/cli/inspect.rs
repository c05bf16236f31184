//! `zkllm inspect MODEL.onnx`: the lowered graph, its default quantization,
//! the lookup tables it needs and size estimates — or every refusal at once.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use zkllm::import::{describe, import, ImportError, ImportOptions};
use zkllm::ir::{numel, Graph, Op};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The ONNX model (external `.onnx.data` files next to it are resolved).
    #[arg(required_unless_present = "vk")]
    pub model: Option<PathBuf>,
    /// Show what a verifying key commits to instead: its model digest,
    /// architecture (op counts and the node list), parameter count, and the
    /// public constants it carries.
    #[arg(long, conflicts_with = "model")]
    pub vk: Option<PathBuf>,
    /// Sequence length to fix (the length of `input_ids`).
    #[arg(long, default_value_t = 16)]
    pub seq_len: usize,
    /// Values of other symbolic dimensions, `name=value` (repeatable).
    #[arg(long = "dim", value_parser = parse_dim)]
    pub dims: Vec<(String, i64)>,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn parse_dim(s: &str) -> Result<(String, i64), String> {
    let (k, v) = s.split_once('=').ok_or("expected name=value")?;
    let v: i64 = v.parse().map_err(|_| format!("`{v}` is not an integer"))?;
    Ok((k.to_string(), v))
}

#[derive(Serialize)]
struct NodeRow {
    id: usize,
    name: String,
    op: String,
    gadget: &'static str,
    shape: Vec<usize>,
    inputs: Vec<usize>,
    bits: Option<u32>,
    frac_bits: Option<i32>,
}

#[derive(Serialize)]
struct Estimates {
    /// Proving key: circuit + quantized weights (4 B each) + one 32 B blind per Hyrax row.
    proving_key_bytes: u64,
    /// Verifying key: one 48 B compressed G1 commitment per Hyrax row of each weight.
    verifying_key_bytes: u64,
    /// Proof: per op, sumcheck rounds (log n × 5 × 32 B) plus activation
    /// commitments (√n × 48 B) and one opening (2·log n × 48 B).
    proof_bytes: u64,
    /// Setup memory: weights as field elements (32 B), twice.
    setup_memory_bytes: u64,
    /// Prove memory: the circuit's estimate (`circuit::memory`), the
    /// number `prove` checks against the machine.
    prove_memory_bytes: u64,
    /// What that estimate is made of (absent where the graph has no plan).
    prove_memory: Option<zkllm::circuit::memory::MemoryEstimate>,
}

#[derive(Serialize)]
struct Report {
    model: String,
    producer: String,
    opset: i64,
    inputs: BTreeMap<String, Vec<String>>,
    symbols: Vec<String>,
    seq_len: usize,
    parameters: usize,
    float_nodes: usize,
    op_counts: BTreeMap<String, usize>,
    lookup_tables: BTreeMap<String, u32>,
    nodes: Vec<NodeRow>,
    estimates: Estimates,
}

fn log2_ceil(n: usize) -> u64 {
    (usize::BITS - n.max(1).saturating_sub(1).leading_zeros()) as u64
}

fn estimate(q: &Graph) -> Estimates {
    let mut est = Estimates {
        proving_key_bytes: 0,
        verifying_key_bytes: 0,
        proof_bytes: 0,
        setup_memory_bytes: 0,
        prove_memory_bytes: 0,
        prove_memory: None,
    };
    let mut witness = 0u64;
    for n in &q.nodes {
        let size = numel(&n.shape).max(1);
        let rows = 1u64 << log2_ceil(size).div_ceil(2);
        witness += size as u64;
        match n.op {
            Op::Weight { .. } => {
                est.proving_key_bytes += 2 * size as u64 + 9 + 32 * rows;
                est.verifying_key_bytes += 48 * rows;
                est.setup_memory_bytes += 64 * size as u64;
            }
            Op::Input { .. } | Op::Constant => {}
            Op::Reshape
            | Op::Permute { .. }
            | Op::Slice { .. }
            | Op::Concat { .. }
            | Op::Broadcast => {}
            _ => {
                est.proof_bytes += log2_ceil(size) * 5 * 32 + 48 * rows + 2 * log2_ceil(size) * 48;
            }
        }
    }
    est.proving_key_bytes += serde_json::to_vec(
        &q.nodes
            .iter()
            .map(|n| (&n.name, n.op.kind(), &n.shape))
            .collect::<Vec<_>>(),
    )
    .map_or(0, |v| v.len() as u64);
    est.verifying_key_bytes += 64;
    // The prover's peak from the circuit's plan (`circuit::memory`, the
    // estimate `prove` checks against the machine); the witness-size guess
    // only where the graph has no plan.
    est.prove_memory = zkllm::circuit::Plan::new(q)
        .ok()
        .map(|plan| zkllm::circuit::memory::prove_memory(q, &plan));
    est.prove_memory_bytes = est.prove_memory.map_or(witness * 32 * 3, |m| m.bytes);
    est
}

/// One row per node, as the tables and `--json` show them.
fn node_rows(q: &Graph) -> Vec<NodeRow> {
    q.nodes
        .iter()
        .map(|n| NodeRow {
            id: n.id,
            name: n.name.clone(),
            op: match &n.op {
                Op::Lookup { func, .. } => format!("Lookup({})", func.name()),
                Op::EinSum { spec, .. } => format!("EinSum({spec})"),
                Op::Rescale { shift } => format!("Rescale({shift})"),
                Op::Softmax { mask, .. } => {
                    format!("Softmax{}", if mask.is_some() { "(masked)" } else { "" })
                }
                other => other.kind().to_string(),
            },
            gadget: n.op.gadget(),
            shape: n.shape.clone(),
            inputs: n.inputs.clone(),
            bits: n.quant.map(|q| q.bits),
            frac_bits: n.quant.map(|q| q.frac_bits),
        })
        .collect()
}

fn print_rows(rows: &[NodeRow]) {
    println!(
        "{:>5}  {:<44} {:<28} {:<18} {:>4} {:>5}  gadget",
        "id", "name", "op", "shape", "bits", "frac"
    );
    for n in rows {
        let name: String = if n.name.len() > 44 {
            format!("…{}", &n.name[n.name.len() - 43..])
        } else {
            n.name.clone()
        };
        println!(
            "{:>5}  {:<44} {:<28} {:<18} {:>4} {:>5}  {}",
            n.id,
            name,
            n.op,
            format!("{:?}", n.shape),
            n.bits.map_or("-".into(), |b| b.to_string()),
            n.frac_bits.map_or("-".into(), |b| b.to_string()),
            n.gadget
        );
    }
}

/// `inspect --vk`: what the key commits to and what it makes public. The
/// key is loaded (and so checked) like `verify` loads it.
fn run_vk(path: &std::path::Path, json: bool) -> Result<()> {
    let vk = zkllm::artifacts::VerifyingKey::load(path)?;
    let g = &vk.graph;
    let mut op_counts = BTreeMap::new();
    for n in &g.nodes {
        *op_counts.entry(n.op.kind().to_string()).or_insert(0usize) += 1;
    }
    let constants: Vec<serde_json::Value> = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Constant))
        .map(|n| {
            let values = match &n.data {
                Some(zkllm::ir::Data::I64(v)) if v.len() <= 8 => serde_json::json!(v),
                Some(d) => serde_json::json!(format!("{} entries", d.len())),
                None => serde_json::Value::Null,
            };
            serde_json::json!({"id": n.id, "name": n.name, "shape": n.shape, "values": values})
        })
        .collect();
    let (seq, vocab) = {
        let s = &g.nodes[g.output].shape;
        (s[s.len() - 2], s[s.len() - 1])
    };
    let weights = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .count();
    let rows = node_rows(g);
    let digest = zkllm::pipeline::hex(&vk.digest());
    if json {
        let doc = serde_json::json!({
            "verifying_key": path.display().to_string(),
            "model_digest": digest,
            "seq_len": seq,
            "vocab": vocab,
            "parameters": g.parameter_count(),
            "weight_tensors": weights,
            "op_counts": op_counts,
            "public_constants": constants,
            "nodes": rows,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("verifying key {}", path.display());
    println!("model digest  {digest}");
    println!("circuit       {seq} positions, vocabulary {vocab}");
    println!(
        "parameters    {} in {weights} committed weight tensors (hidden)",
        g.parameter_count()
    );
    println!(
        "public        {} constant tensors (in the key, in the clear)",
        constants.len()
    );
    println!();
    print_rows(&rows);
    println!();
    println!("ops           {op_counts:?}");
    for c in &constants {
        println!("constant      {c}");
    }
    Ok(())
}

pub fn run(args: &InspectArgs) -> Result<()> {
    if let Some(vk) = &args.vk {
        return run_vk(vk, args.json);
    }
    let model = args
        .model
        .clone()
        .context("give MODEL.onnx or --vk model.vk")?;
    let desc = describe(&model)?;
    let opts = ImportOptions {
        seq_len: args.seq_len,
        dims: args.dims.iter().cloned().collect(),
    };
    let graph = match import(&model, &opts) {
        Ok(g) => g,
        Err(ImportError::Unsupported(list)) if args.json => {
            let rows: Vec<serde_json::Value> = list
                .iter()
                .map(|u| serde_json::json!({"node": u.node, "op": u.op, "why": u.why}))
                .collect();
            let doc = serde_json::json!({"model": model.display().to_string(), "error": "unsupported ops", "unsupported": rows});
            println!("{}", serde_json::to_string_pretty(&doc)?);
            return Err(anyhow::Error::new(ImportError::Unsupported(list)));
        }
        Err(e @ ImportError::Unsupported(_)) => {
            return Err(
                anyhow::Error::new(e).context(format!("{} cannot be proven", model.display()))
            )
        }
        Err(e) => return Err(e.into()),
    };
    // The quantization `setup` makes without a calibration file (scales from
    // float runs on deterministic sample sequences), so the tables and the
    // estimates are those of the key it would write.
    let q = zkllm::pipeline::quantize_float_graph(
        &graph,
        None,
        &zkllm::pipeline::default_quant_config(false),
    )
    .context("default quantization")?;

    let mut op_counts = BTreeMap::new();
    let mut lookup_tables = BTreeMap::new();
    for n in &q.nodes {
        *op_counts.entry(n.op.kind().to_string()).or_insert(0) += 1;
        match &n.op {
            Op::Lookup {
                func,
                table: Some(t),
            } => {
                lookup_tables.insert(
                    format!("{} [{}, +2^{})", func.name(), t.lo, t.log_size),
                    t.log_size,
                );
            }
            Op::Softmax { .. } => {
                lookup_tables.insert("softmax exp (zkAttn digits)".into(), 16);
            }
            Op::Rescale { shift } => {
                lookup_tables.insert(format!("range 2^{shift} (rescale remainder)"), *shift);
            }
            _ => {}
        }
    }
    let report = Report {
        model: model.display().to_string(),
        producer: desc.producer.clone(),
        opset: desc.opset,
        inputs: desc
            .inputs
            .iter()
            .map(|i| (i.name.clone(), i.dims.clone()))
            .collect(),
        symbols: desc.symbols.clone(),
        seq_len: args.seq_len,
        parameters: q.parameter_count(),
        float_nodes: graph.nodes.len(),
        op_counts,
        lookup_tables,
        nodes: node_rows(&q),
        estimates: estimate(&q),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "model      {} ({}, opset {})",
        report.model, report.producer, report.opset
    );
    for (k, v) in &report.inputs {
        println!("input      {k} [{}]", v.join(", "));
    }
    println!(
        "symbols    {:?} (sequence bound to {})",
        report.symbols, report.seq_len
    );
    println!("parameters {}", report.parameters);
    println!();
    print_rows(&report.nodes);
    println!();
    println!("ops        {:?}", report.op_counts);
    println!(
        "tables     {}",
        report
            .lookup_tables
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mb = |b: u64| b as f64 / 1e6;
    let e = &report.estimates;
    println!(
        "estimates  pk {:.2} MB, vk {:.3} MB, proof {:.3} MB, setup memory {:.1} MB, prove memory {:.1} MB",
        mb(e.proving_key_bytes),
        mb(e.verifying_key_bytes),
        mb(e.proof_bytes),
        mb(e.setup_memory_bytes),
        mb(e.prove_memory_bytes)
    );
    Ok(())
}
