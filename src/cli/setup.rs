//! `zkllm setup MODEL.onnx --seq-len N [--calib calib.json] -o DIR`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use zkllm::pipeline;
use zkllm::quant::Calibration;

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The ONNX model.
    pub model: PathBuf,
    /// Sequence length the circuit is built for (prompts up to this length).
    #[arg(long)]
    pub seq_len: usize,
    /// Calibration from `zkllm calibrate` (default: ranges from sample runs).
    #[arg(long)]
    pub calib: Option<PathBuf>,
    /// Output directory for model.pk and model.vk.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Build the refusing circuit: rescale outputs are range-checked but
    /// not clamped, so a prompt past a calibrated range cannot be proven
    /// (smaller, faster proofs; the default saturates and proves the clamp).
    #[arg(long)]
    pub no_saturate: bool,
}

pub fn run(args: &SetupArgs, common: &super::progress::Common) -> Result<()> {
    common.init();
    let start = Instant::now();
    let calib: Option<Calibration> = match &args.calib {
        Some(p) => {
            let s =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let not_calib = || format!("{}: not a calibration file", p.display());
            let json: serde_json::Value = serde_json::from_str(&s).with_context(not_calib)?;
            // A causal model's values at a position do not depend on later
            // tokens, so windows of n tokens cover every position below n.
            let seen = json["seq_len"].as_u64();
            let calib = serde_json::from_value(json).with_context(not_calib)?;
            if let Some(n) = seen.filter(|&n| (n as usize) < args.seq_len) {
                if !common.quiet {
                    eprintln!(
                        "warning: {} was calibrated on windows of {n} tokens; positions {n}..{} were never seen, and a prompt that reaches them may leave a range (zkllm prove reports it before proving)",
                        p.display(),
                        args.seq_len
                    );
                }
            }
            Some(calib)
        }
        None => None,
    };
    let mut graph = pipeline::quantized_graph(&args.model, args.seq_len, calib.as_ref())
        .with_context(|| format!("{}", args.model.display()))?;
    if args.no_saturate {
        graph.saturating = false;
    }
    let bars = common.bars();
    let pk = pipeline::setup(graph, &|s, d, t| bars.update(s, d, t))?;
    bars.finish();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (pk_path, vk_path) = (args.out.join("model.pk"), args.out.join("model.vk"));
    pk.save(&pk_path)?;
    pk.vk.save(&vk_path)?;
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let digest = pipeline::hex(&pk.vk.digest());
    if common.json {
        println!(
            "{}",
            serde_json::json!({
                "pk": pk_path, "vk": vk_path, "pk_bytes": size(&pk_path), "vk_bytes": size(&vk_path),
                "model_digest": digest, "seconds": start.elapsed().as_secs_f64(),
                "parameters": pk.graph.parameter_count(),
            })
        );
    } else if !common.quiet {
        println!("model digest {digest}");
        println!(
            "wrote {} ({} bytes) and {} ({} bytes) in {:.2} s",
            pk_path.display(),
            size(&pk_path),
            vk_path.display(),
            size(&vk_path),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
