//! `zkllm calibrate MODEL.onnx --data DATA [--tokenizer tokenizer.json] --seq-len N
//! -o calib.json [--eval DATA] [--report report.html] [--json]`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;

use zkllm::import::{import, ImportOptions};
use zkllm::pipeline;
use zkllm::quant::calibrate::{self, CalibSettings};
use zkllm::quant::report;
use zkllm::tokenize::TextTokenizer;

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// The ONNX model.
    pub model: PathBuf,
    /// Calibration data: a text file (with --tokenizer), or a JSON list of
    /// token-id sequences (`[[1, 2, 3], [4, 5]]`), one list of ids, or
    /// `{"input_ids": ...}`.
    #[arg(long)]
    pub data: PathBuf,
    /// Hugging Face tokenizer.json: --data and --eval are then text files.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Held-out evaluation data (same format). Without it the last quarter of
    /// the --data windows is held out.
    #[arg(long)]
    pub eval: Option<PathBuf>,
    /// Window length: the sequence length the circuit will be set up for.
    #[arg(long)]
    pub seq_len: usize,
    /// Where to write the calibration (input of `zkllm setup --calib`).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Write the accuracy report as a self-contained HTML page.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Settings preset: a built-in name (default, accurate, compact) or a JSON file.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Range margin (overrides the preset's `headroom`): a number >= 1, or
    /// `auto` for the smallest candidate that clamps nothing on a held-back
    /// part of the calibration data.
    #[arg(long)]
    pub headroom: Option<String>,
    /// Measure each widened tensor's accuracy gain: re-evaluate with it at its default width.
    #[arg(long)]
    pub ablate: bool,
    /// Widening threshold in significant bits (overrides the preset's `min_rel_bits`; 0 disables).
    #[arg(long)]
    pub min_rel_bits: Option<f64>,
}

fn settings(args: &CalibrateArgs) -> Result<CalibSettings> {
    let mut s = match CalibSettings::preset(&args.preset) {
        Some(s) => s,
        None => {
            let p = Path::new(&args.preset);
            if !p.exists() {
                let names: Vec<&str> = calibrate::PRESETS.iter().map(|(n, _)| *n).collect();
                bail!(
                    "--preset {}: neither a built-in preset ({}) nor a file",
                    args.preset,
                    names.join(", ")
                );
            }
            let t =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            CalibSettings::from_preset_json(&t)
                .map_err(|e| anyhow!("preset {}: {e}", p.display()))?
        }
    };
    match args.headroom.as_deref() {
        None | Some("auto") => {}
        Some(text) => {
            let h: f64 = text
                .parse()
                .map_err(|_| anyhow!("--headroom must be a number >= 1 or `auto`, got {text}"))?;
            if !(h.is_finite() && h >= 1.0) {
                bail!("--headroom must be a number >= 1 or `auto`, got {h}");
            }
            s.quant.headroom = h;
        }
    }
    if let Some(b) = args.min_rel_bits {
        s.min_rel_bits = b;
    }
    Ok(s)
}

fn read_data(path: &Path, vocab: usize, tok: Option<&TextTokenizer>) -> Result<Vec<Vec<i64>>> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8(text).map_err(|_| {
        anyhow!(
            "{}: not UTF-8 text; --data takes text (with --tokenizer) or a JSON list of token-id sequences",
            path.display()
        )
    })?;
    if let Some(t) = tok {
        // A JSON list of token ids is token ids, tokenizer or not: read as
        // prose its digits and brackets would be tokenized.
        if let Ok(ids) = calibrate::parse_token_data(&text, &path.display().to_string(), vocab) {
            eprintln!(
                "note: {} is a JSON list of token ids; read as ids, not tokenized with --tokenizer",
                path.display()
            );
            return Ok(ids);
        }
        if looks_like_token_json(&text) {
            // JSON ids that do not parse (e.g. out of the vocabulary): say why.
            calibrate::parse_token_data(&text, &path.display().to_string(), vocab)?;
        }
        if text.trim().is_empty() {
            bail!("{}: the text is empty", path.display());
        }
        let ids = t
            .encode(&text, vocab)
            .with_context(|| format!("tokenizing {}", path.display()))?;
        return Ok(vec![ids]);
    }
    Ok(calibrate::parse_token_data(
        &text,
        &path.display().to_string(),
        vocab,
    )?)
}

/// JSON whose shape is that of token data (a list, or an object with
/// `input_ids`), whatever its entries.
fn looks_like_token_json(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(_)) => true,
        Ok(serde_json::Value::Object(o)) => o.contains_key("input_ids"),
        _ => false,
    }
}

pub fn run(args: &CalibrateArgs, common: &super::progress::Common) -> Result<()> {
    common.init();
    let start = Instant::now();
    if args.seq_len == 0 {
        bail!("--seq-len must be at least 1");
    }
    let settings = settings(args)?;
    let opts = ImportOptions {
        seq_len: args.seq_len,
        ..Default::default()
    };
    let graph = import(&args.model, &opts).with_context(|| format!("{}", args.model.display()))?;
    let vocab = pipeline::vocab_size(&graph);
    let tok = match &args.tokenizer {
        Some(p) => Some(TextTokenizer::load(p)?),
        None => None,
    };
    let data = read_data(&args.data, vocab, tok.as_ref())?;
    let all = calibrate::windows(&data, args.seq_len);
    let (calib_w, eval_w, eval_source) = match &args.eval {
        Some(p) => {
            let e = read_data(p, vocab, tok.as_ref())?;
            (
                all,
                calibrate::windows(&e, args.seq_len),
                format!("--eval {}", p.display()),
            )
        }
        None => calibrate::split_windows(all),
    };
    let bars = common.bars();
    let progress = |s: &str, d: usize, t: usize| bars.update(s, d, t);
    let cal = if args.headroom.as_deref() == Some("auto") {
        calibrate::choose_headroom(&graph, &calib_w, &settings, &progress)?
    } else {
        calibrate::calibrate(&graph, &calib_w, &settings, &progress)?
    };
    if let (Some(a), false) = (&cal.file.headroom_auto, common.quiet) {
        let tried: Vec<String> = a
            .trials
            .iter()
            .map(|t| format!("{} → {} clamped", t.headroom, t.clamped_values))
            .collect();
        bars.println(&format!(
            "headroom auto: chose {} ({}; calibrated on {} window(s), tested on {} held back: {})",
            a.chosen,
            if a.clamp_free {
                "the smallest candidate that clamps nothing held back"
            } else {
                "the largest candidate; it still clamps on the held-back windows"
            },
            a.fit_windows,
            a.held_back_windows,
            tried.join(", ")
        ));
    }
    if !common.quiet && !cal.file.fixpoint.is_empty() {
        bars.println(&format!(
            "calibration fixpoint: {} range(s) widened so that every calibration window fits the exact integer run",
            cal.file.fixpoint.len()
        ));
        for c in &cal.file.fixpoint {
            let width = match c.bits {
                Some([from, to]) => format!(", {from} -> {to} bits"),
                None => String::new(),
            };
            bars.println(&format!(
                "  round {}: {} {} x{:.3}{width} (window {})",
                c.round, c.tensor, c.range, c.factor, c.window
            ));
        }
    }
    // Written before the evaluation: it fits every calibration window, and a
    // held-out window that overflows should not cost the calibration run.
    let json = serde_json::to_string_pretty(&cal.file)?;
    std::fs::write(&args.out, json + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    let mut rep = report::evaluate(
        &graph,
        &cal.graph,
        &eval_w,
        &cal.file,
        &eval_source,
        &progress,
    )
    .with_context(|| {
        format!(
            "{} was written (it fits the calibration data); the accuracy report was not",
            args.out.display()
        )
    })?;
    if args.ablate {
        report::ablate(&graph, &cal.file, &mut rep, &eval_w, &progress)?;
    }
    bars.finish();
    if let Some(p) = &args.report {
        std::fs::write(p, rep.to_html(&cal.file, &args.model.display().to_string()))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if common.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "calib": args.out,
                "report_html": args.report,
                "seconds": start.elapsed().as_secs_f64(),
                "widened": cal.file.tensors.iter().filter(|t| t.widened_from.is_some()).count(),
                "fixpoint": cal.file.fixpoint,
                "headroom_auto": cal.file.headroom_auto,
                "report": rep,
            }))?
        );
    } else if !common.quiet {
        print!("{}", rep.to_text(&cal.file));
        println!();
        println!(
            "wrote {} in {:.2} s",
            args.out.display(),
            start.elapsed().as_secs_f64()
        );
        if let Some(p) = &args.report {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}
