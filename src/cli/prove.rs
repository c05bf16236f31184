//! `zkllm prove --pk DIR/model.pk (--input input.json | --prompt TEXT --tokenizer
//! tokenizer.json) -o proof.bin [--output out.json]`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Deserialize;

use zkllm::artifacts::ProvingKey;
use zkllm::pipeline::{self, Publish};
use zkllm::tokenize::TextTokenizer;

/// Where the token ids come from: a JSON file, or a prompt and a tokenizer.
#[derive(Args, Debug)]
pub struct TokenSource {
    /// JSON file `{"input_ids": [...]}`.
    #[arg(long, conflicts_with = "prompt")]
    pub input: Option<PathBuf>,
    /// Prompt text, tokenized with --tokenizer (instead of --input).
    #[arg(long, requires = "tokenizer")]
    pub prompt: Option<String>,
    /// Hugging Face tokenizer.json: tokenizes --prompt, and names the next token.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
}

impl TokenSource {
    pub fn tokenizer(&self) -> Result<Option<TextTokenizer>> {
        Ok(match &self.tokenizer {
            Some(p) => Some(TextTokenizer::load(p)?),
            None => None,
        })
    }

    /// The token ids, if any were given (`vocab`: the model's vocabulary).
    pub fn ids(&self, tok: Option<&TextTokenizer>, vocab: usize) -> Result<Option<Vec<i64>>> {
        match (&self.input, &self.prompt, tok) {
            (Some(p), _, _) => read_input(p).map(Some),
            (None, Some(text), Some(t)) => Ok(Some(t.encode(text, vocab)?)),
            _ => Ok(None),
        }
    }
}

#[derive(Args, Debug)]
pub struct ProveArgs {
    /// Proving key from `zkllm setup`.
    #[arg(long)]
    pub pk: PathBuf,
    #[command(flatten)]
    pub tokens: TokenSource,
    /// Where to write the proof.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Where to write the public output as JSON.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// What to publish: `last` (the last prompt position's logits),
    /// `all-logits` (every position's), or `token` (only the next token,
    /// proven to be the argmax; the logits stay hidden).
    #[arg(long, default_value = "last", value_parser = ["last", "all-logits", "token"])]
    pub public: String,
    /// Refuse a prompt that drives any value past its calibrated range
    /// (instead of proving it with the value clamped to the range's edge).
    #[arg(long)]
    pub strict: bool,
    /// Make a faster proof that is NOT zero-knowledge: its sumcheck messages
    /// and opening values are in the clear and, over many proofs, reveal the
    /// weights. `verify` refuses it unless given `--allow-non-zk`.
    #[arg(long)]
    pub no_zk: bool,
    /// The memory the prover may use, in MiB (default: what is available on
    /// this machine); a proof estimated to need more is refused before any
    /// work, with the estimate. `off` skips the check.
    #[arg(long, value_name = "MIB|off", value_parser = parse_memory_limit)]
    pub max_memory: Option<pipeline::MemoryLimit>,
}

fn parse_memory_limit(s: &str) -> std::result::Result<pipeline::MemoryLimit, String> {
    if s == "off" {
        return Ok(pipeline::MemoryLimit::Off);
    }
    s.parse::<u64>()
        .ok()
        .filter(|&m| m > 0)
        .map(|m| pipeline::MemoryLimit::Bytes(m << 20))
        .ok_or_else(|| format!("expected a number of MiB or `off`, got {s:?}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub input_ids: Vec<i64>,
}

pub fn read_input(path: &Path) -> Result<Vec<i64>> {
    let s = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let f: InputFile = serde_json::from_str(&s).with_context(|| {
        format!(
            "{}: expected {{\"input_ids\": [token ids]}}",
            path.display()
        )
    })?;
    if f.input_ids.is_empty() {
        bail!("{}: input_ids is empty", path.display());
    }
    Ok(f.input_ids)
}

pub fn run(args: &ProveArgs, common: &super::progress::Common) -> Result<()> {
    common.init();
    let tok = args.tokens.tokenizer()?;
    let start = Instant::now();
    let pk = ProvingKey::load(&args.pk)?;
    let Some(ids) = args
        .tokens
        .ids(tok.as_ref(), pipeline::vocab_size(&pk.graph))?
    else {
        bail!("no input: give --input input.json, or --prompt TEXT --tokenizer tokenizer.json");
    };
    let bars = common.bars();
    let opts = pipeline::ProveOptions {
        publish: match args.public.as_str() {
            "all-logits" => Publish::AllLogits,
            "token" => Publish::NextToken,
            _ => Publish::LastLogits,
        },
        strict: args.strict,
        zero_knowledge: !args.no_zk,
        // Blinds and nonces always come from the OS generator: a known seed
        // would let anyone unblind the commitments.
        seed: None,
        memory_limit: args.max_memory.unwrap_or(pipeline::MemoryLimit::Available),
    };
    let proof = pipeline::prove_opts(&pk, &ids, &opts, &|s, d, t| bars.update(s, d, t))?;
    bars.finish();
    proof.save(&args.out)?;
    let secs = start.elapsed().as_secs_f64();
    let next = pipeline::next_token(&proof.statement);
    let next_text = tok.as_ref().map(|t| t.decode_one(next));
    let output = pipeline::public_output(&pk.graph, &proof, next_text.as_deref());
    if let Some(p) = &args.output {
        std::fs::write(p, serde_json::to_string_pretty(&output)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    if common.json {
        println!(
            "{}",
            serde_json::json!({"proof": args.out, "proof_bytes": bytes, "seconds": secs, "next_token": next, "next_token_text": next_text, "zero_knowledge": output["zero_knowledge"], "clamped_values": output["clamped_values"], "clamped": output["clamped"]})
        );
    } else if !common.quiet {
        let shown = next_text.map(|t| format!(" {t:?}")).unwrap_or_default();
        let kind = if args.no_zk {
            "NOT zero-knowledge (--no-zk)"
        } else {
            "zero-knowledge"
        };
        println!(
            "proved {} tokens in {secs:.2} s: next token {next}{shown}; {kind} proof {} ({bytes} bytes)",
            ids.len(),
            args.out.display()
        );
        println!("{}", clamp_line(&output));
    }
    Ok(())
}

/// One line on the values the proof clamped (public, proven).
pub fn clamp_line(output: &serde_json::Value) -> String {
    let n = output["clamped_values"].as_u64().unwrap_or(0);
    let tensors = output["clamped"].as_object().map_or(0, |m| m.len());
    match (output["saturating"].as_bool(), n) {
        (Some(true), 0) => "clamped: none (every value within its calibrated range)".into(),
        (Some(true), n) => format!(
            "clamped: {n} value(s) in {tensors} tensor(s) saturated at their range's edge (listed in the output JSON; prove --strict refuses such prompts)"
        ),
        _ => "clamped: not applicable (a key that refuses out-of-range prompts)".into(),
    }
}
