//! `zkllm verify --vk DIR/model.vk --proof proof.bin [--input input.json |
//! --prompt TEXT --tokenizer tokenizer.json]`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use zkllm::artifacts::{ProofFile, VerifyingKey};
use zkllm::pipeline;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Verifying key from `zkllm setup`.
    #[arg(long)]
    pub vk: PathBuf,
    /// Proof from `zkllm prove`.
    #[arg(long)]
    pub proof: PathBuf,
    /// Check that the proof is for these token ids (or this prompt).
    #[command(flatten)]
    pub tokens: super::prove::TokenSource,
    /// A prover's `out.json`: every field is checked against what the proof
    /// shows (logits, next token, scale, position, input, model digest).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also accept a proof made with `prove --no-zk` (not zero-knowledge:
    /// its messages reveal information about the weights).
    #[arg(long)]
    pub allow_non_zk: bool,
}

pub fn run(args: &VerifyArgs, common: &super::progress::Common) -> Result<()> {
    common.init();
    let start = Instant::now();
    let vk = VerifyingKey::load(&args.vk)?;
    let proof = ProofFile::load(&args.proof)?;
    let tok = args.tokens.tokenizer()?;
    let ids = args
        .tokens
        .ids(tok.as_ref(), pipeline::vocab_size(&vk.graph))?;
    pipeline::verify_with(&vk, &proof, ids.as_deref(), args.allow_non_zk)?;
    let next = pipeline::next_token(&proof.statement);
    let next_text = tok.as_ref().map(|t| t.decode_one(next));
    let public = pipeline::public_output(&vk.graph, &proof, next_text.as_deref());
    if let Some(p) = &args.output {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let claimed: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))?;
        pipeline::check_public_output(&claimed, &public)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    }
    let secs = start.elapsed().as_secs_f64();
    let digest = pipeline::hex(&proof.vk_digest);
    if common.json {
        let mut j = serde_json::json!({"verified": true, "seconds": secs, "output_checked": args.output.is_some(), "zero_knowledge": proof.proof.zero_knowledge()});
        j["public_output"] = public;
        j["model_digest"] = digest.into();
        j["input_len"] = (proof.statement.position + 1).into();
        j["next_token"] = next.into();
        j["next_token_text"] = next_text.into();
        println!("{j}");
    } else if !common.quiet {
        let shown = next_text.map(|t| format!(" {t:?}")).unwrap_or_default();
        let checked = args
            .output
            .as_ref()
            .map(|p| format!("; {} matches", p.display()))
            .unwrap_or_default();
        let kind = if proof.proof.zero_knowledge() {
            "zero-knowledge proof"
        } else {
            "NOT zero-knowledge proof (--allow-non-zk)"
        };
        println!(
            "verified {kind}: model {digest}, {} input tokens, next token {next}{shown}{checked} ({secs:.2} s)",
            proof.statement.position + 1
        );
        println!("{}", super::prove::clamp_line(&public));
    }
    Ok(())
}
