//! `zkllm verify --vk DIR/model.vk --proof proof.bin [--input input.json]`.

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
    /// Check that the proof is for these token ids.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

pub fn run(args: &VerifyArgs, common: &super::progress::Common) -> Result<()> {
    common.init();
    let start = Instant::now();
    let vk = VerifyingKey::load(&args.vk)?;
    let proof = ProofFile::load(&args.proof)?;
    let ids = match &args.input {
        Some(p) => Some(super::prove::read_input(p)?),
        None => None,
    };
    pipeline::verify(&vk, &proof, ids.as_deref())?;
    let secs = start.elapsed().as_secs_f64();
    let next = pipeline::argmax(proof.statement.last_logits());
    let digest = pipeline::hex(&proof.vk_digest);
    if common.json {
        println!(
            "{}",
            serde_json::json!({"verified": true, "model_digest": digest, "input_len": proof.statement.position + 1, "next_token": next, "seconds": secs})
        );
    } else if !common.quiet {
        println!(
            "verified: model {digest}, {} input tokens, next token {next} ({secs:.2} s)",
            proof.statement.position + 1
        );
    }
    Ok(())
}
