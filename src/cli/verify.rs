//! `zkllm verify --vk DIR/model.vk --proof proof.bin [--input input.json |
//! --prompt TEXT --tokenizer tokenizer.json]`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
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
    pipeline::verify(&vk, &proof, ids.as_deref())?;
    let secs = start.elapsed().as_secs_f64();
    let next = pipeline::next_token(&proof.statement);
    let next_text = tok.as_ref().map(|t| t.decode_one(next));
    let digest = pipeline::hex(&proof.vk_digest);
    if common.json {
        println!(
            "{}",
            serde_json::json!({"verified": true, "model_digest": digest, "input_len": proof.statement.position + 1, "next_token": next, "next_token_text": next_text, "seconds": secs})
        );
    } else if !common.quiet {
        let shown = next_text.map(|t| format!(" {t:?}")).unwrap_or_default();
        println!(
            "verified: model {digest}, {} input tokens, next token {next}{shown} ({secs:.2} s)",
            proof.statement.position + 1
        );
    }
    Ok(())
}
