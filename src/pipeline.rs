//! The user-level jobs behind the CLI: setup, prove, verify. Kept in the
//! library so benches and tests drive exactly what the CLI does.

use std::path::Path;

use rand_chacha::rand_core::{OsRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use thiserror::Error;

use crate::artifacts::{public_graph, ArtifactError, ProofFile, ProvingKey, VerifyingKey};
use crate::backend::default_backend;
use crate::circuit::{self, AnyProof, CircuitError, Plan, Statement};
use crate::commit::{generators, Hyrax};
use crate::import::{import, ImportError, ImportOptions};
use crate::ir::{float, Graph, Op};
use crate::quant::{quantize, Calibration, QuantConfig, QuantError};
use crate::witness::{self, WitnessError};
use crate::zk::{Clear, Hidden};

/// Hex for digests, as the CLI prints them.
pub use crate::wire::hex;

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("quantization: {0}")]
    Quant(#[from] QuantError),
    #[error("float run: {0}")]
    Float(String),
    #[error(transparent)]
    Witness(#[from] WitnessError),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("verifying key: {0}")]
    Generators(#[from] generators::GeneratorError),
    #[error("input: {0}")]
    Input(String),
    #[error("statement: {0}")]
    Statement(String),
    #[error("proof was made for model digest {proof}, but this verifying key has digest {vk}")]
    WrongModel { proof: String, vk: String },
    #[error("proving this needs about {} MiB of memory (lookup trees of {} leaves, {} looked-up entries, a witness of {} entries, {} weights, an opening group of {} entries) and the limit is {} MiB ({}); prove a shorter sequence (`setup --seq-len`), or set the limit with `prove --max-memory MIB` (`off` skips this check)", .estimate.bytes >> 20, .estimate.lookup_leaves, .estimate.looked_up, .estimate.witness, .estimate.weights, .estimate.opened, .limit >> 20, .limit_from)]
    Memory {
        estimate: circuit::memory::MemoryEstimate,
        limit: u64,
        limit_from: &'static str,
    },
    #[error("this proof is not zero-knowledge (made with `prove --no-zk`): its sumcheck messages and opening values are in the clear and reveal information about the weights; accept it only if that is intended (`verify --allow-non-zk`)")]
    NotZeroKnowledge,
}

/// Progress callback: `(stage, done, total)`.
pub type Progress<'a> = &'a dyn Fn(&str, usize, usize);

/// Deterministic token sequences used for default calibration.
fn sample_inputs(vocab: usize, seq: usize, count: usize) -> Vec<Vec<i64>> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    (0..count)
        .map(|_| {
            (0..seq)
                .map(|_| (rng.next_u64() % vocab as u64) as i64)
                .collect()
        })
        .collect()
}

/// Vocabulary size: the rows of the embedding table the token ids index
/// (token ids must be below it); the logits' width where no embedding reads
/// the ids directly.
pub fn vocab_size(graph: &Graph) -> usize {
    graph
        .nodes
        .iter()
        .find(|n| matches!(n.op, Op::Embedding) && n.inputs.get(1) == Some(&graph.input))
        .map(|n| graph.nodes[n.inputs[0]].shape[0])
        .unwrap_or_else(|| logits_width(graph))
}

/// Entries per position of the public output (the logits' vocabulary).
pub fn logits_width(graph: &Graph) -> usize {
    *graph.nodes[graph.output].shape.last().unwrap_or(&1)
}

/// The quantization `setup` uses: the library defaults, with a `1/√` table
/// of `2^16` entries (the `2^22` default suits large real models; it costs
/// seconds per proof) and, without a calibration file, a 2× range margin.
pub fn default_quant_config(calibrated: bool) -> QuantConfig {
    QuantConfig {
        norm_table_bits: 16,
        headroom: if calibrated {
            QuantConfig::default().headroom
        } else {
            2.0
        },
        ..QuantConfig::default()
    }
}

/// Imports and quantizes: with `calib`, its scales; otherwise ranges from
/// float runs on deterministic sample sequences.
pub fn quantized_graph(
    model: &Path,
    seq_len: usize,
    calib: Option<&Calibration>,
) -> Result<Graph, PipelineError> {
    let cfg = calib
        .and_then(|c| c.config.clone())
        .unwrap_or_else(|| default_quant_config(calib.is_some()));
    quantized_graph_with(model, seq_len, calib, &cfg)
}

/// [`quantized_graph`] with an explicit configuration.
pub fn quantized_graph_with(
    model: &Path,
    seq_len: usize,
    calib: Option<&Calibration>,
    cfg: &QuantConfig,
) -> Result<Graph, PipelineError> {
    let opts = ImportOptions {
        seq_len,
        ..Default::default()
    };
    let graph = import(model, &opts)?;
    quantize_float_graph(&graph, calib, cfg)
}

/// Quantizes a float graph (imported, or built in code as the benchmarks
/// do): with `calib`, its scales; otherwise ranges from float runs on
/// deterministic sample sequences.
pub fn quantize_float_graph(
    graph: &Graph,
    calib: Option<&Calibration>,
    cfg: &QuantConfig,
) -> Result<Graph, PipelineError> {
    let seq_len = graph.seq_len;
    let calib = match calib {
        Some(c) => c.clone(),
        None => {
            let mut c = Calibration::default();
            for ids in sample_inputs(vocab_size(graph), seq_len, 8) {
                let v =
                    float::eval(graph, &ids).map_err(|e| PipelineError::Float(e.to_string()))?;
                c.merge_float_run(graph, &v);
            }
            c
        }
    };
    Ok(quantize(graph, &calib, cfg)?)
}

/// The key's generators: from the cache when it holds the ones the key
/// pins, else derived (and cached); a key that pins other generators than
/// its seed derives is refused.
fn key_generators(vk: &VerifyingKey) -> Result<Hyrax, PipelineError> {
    let cache = generators::cache_dir();
    Ok(Hyrax::pinned(
        &vk.generator_seed,
        vk.max_vars,
        &vk.generators_pin,
        cache.as_deref(),
    )?)
}

/// Commits the weights: the proving key and the verifying key.
pub fn setup(graph: Graph, progress: Progress<'_>) -> Result<ProvingKey, PipelineError> {
    let plan = Plan::new(&graph)?;
    let max_vars = circuit::generator_vars(&graph, &plan);
    let (pcs, generators_pin) = Hyrax::setup_cached(
        circuit::GENERATOR_SEED,
        max_vars,
        generators::cache_dir().as_deref(),
    );
    let mut rng = ChaCha20Rng::from_seed(os_seed());
    let committed = circuit::commit_weights(default_backend(), &pcs, &graph, &mut rng, progress)?;
    let (weights, weight_hints): (Vec<_>, Vec<_>) = committed.into_iter().unzip();
    let vk = VerifyingKey {
        graph: public_graph(&graph),
        generator_seed: circuit::GENERATOR_SEED.to_string(),
        max_vars,
        generators_pin,
        weights,
    };
    Ok(ProvingKey {
        graph,
        vk,
        weight_hints,
    })
}

fn os_seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    OsRng.fill_bytes(&mut s);
    s
}

/// Pads a prompt to the circuit's length (token 0 after the prompt; the
/// causal mask keeps it from affecting the published position).
pub fn statement_ids(graph: &Graph, ids: &[i64]) -> Result<(Vec<i64>, usize), PipelineError> {
    let n = graph.nodes[graph.input].shape.iter().product::<usize>();
    let vocab = vocab_size(graph);
    if ids.is_empty() {
        return Err(PipelineError::Input("input_ids is empty".into()));
    }
    if ids.len() > n {
        return Err(PipelineError::Input(format!(
            "{} tokens, but the key was set up for --seq-len {n}",
            ids.len()
        )));
    }
    if let Some((i, t)) = ids
        .iter()
        .enumerate()
        .find(|(_, &t)| t < 0 || t as usize >= vocab)
    {
        return Err(PipelineError::Input(format!(
            "token {i} is {t}, outside the vocabulary 0..{vocab}"
        )));
    }
    let mut padded = ids.to_vec();
    padded.resize(n, 0);
    Ok((padded, ids.len() - 1))
}

/// Proves one inference with zero knowledge; `seed` fixes the prover's
/// randomness (tests, cross-backend checks; the binary never sets it), `None`
/// draws it from the OS.
pub fn prove(
    pk: &ProvingKey,
    ids: &[i64],
    seed: Option<u64>,
    progress: Progress<'_>,
) -> Result<ProofFile, PipelineError> {
    prove_with(pk, ids, Publish::LastLogits, seed, progress)
}

/// How to prove: what to publish, whether to refuse clamping, and which
/// kind of proof.
#[derive(Clone, Copy, Debug)]
pub struct ProveOptions {
    pub publish: Publish,
    /// Refuse a prompt that the circuit would clamp (`prove --strict`).
    pub strict: bool,
    /// Zero-knowledge (the default) or in the clear (`prove --no-zk`).
    pub zero_knowledge: bool,
    /// Fixes the prover's randomness (tests only); `None`: the OS generator.
    pub seed: Option<u64>,
    /// The memory the prover may use; a proof estimated to need more is
    /// refused before any work ([`circuit::memory`]).
    pub memory_limit: MemoryLimit,
}

/// The prover's memory limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// The memory available on this machine (or to its cgroup), when known.
    Available,
    /// This many bytes (`prove --max-memory MIB`).
    Bytes(u64),
    /// No check (`prove --max-memory off`).
    Off,
}

impl MemoryLimit {
    /// The limit in bytes and where it comes from; `None`: no check.
    fn resolve(self) -> Option<(u64, &'static str)> {
        match self {
            MemoryLimit::Available => circuit::memory::available_memory()
                .map(|b| (b, "the memory available on this machine")),
            MemoryLimit::Bytes(b) => Some((b, "--max-memory")),
            MemoryLimit::Off => None,
        }
    }
}

impl Default for ProveOptions {
    fn default() -> Self {
        Self {
            publish: Publish::LastLogits,
            strict: false,
            zero_knowledge: true,
            seed: None,
            memory_limit: MemoryLimit::Available,
        }
    }
}

/// [`prove`] without zero knowledge (`prove --no-zk`): the faster proof
/// whose messages are in the clear.
pub fn prove_clear(
    pk: &ProvingKey,
    ids: &[i64],
    seed: Option<u64>,
    progress: Progress<'_>,
) -> Result<ProofFile, PipelineError> {
    prove_clear_with(pk, ids, Publish::LastLogits, seed, progress)
}

/// [`prove_with`] without zero knowledge.
pub fn prove_clear_with(
    pk: &ProvingKey,
    ids: &[i64],
    publish: Publish,
    seed: Option<u64>,
    progress: Progress<'_>,
) -> Result<ProofFile, PipelineError> {
    let opts = ProveOptions {
        publish,
        seed,
        zero_knowledge: false,
        ..ProveOptions::default()
    };
    prove_opts(pk, ids, &opts, progress)
}

/// What a proof makes public besides the token ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// The logits of the last prompt position.
    LastLogits,
    /// The logits of every position.
    AllLogits,
    /// Only the next token (the first maximum of the last position's
    /// logits, proven by range checks on the gaps); the logits stay hidden.
    NextToken,
}

/// [`prove`], publishing what `publish` says.
pub fn prove_with(
    pk: &ProvingKey,
    ids: &[i64],
    publish: Publish,
    seed: Option<u64>,
    progress: Progress<'_>,
) -> Result<ProofFile, PipelineError> {
    let opts = ProveOptions {
        publish,
        seed,
        ..ProveOptions::default()
    };
    prove_opts(pk, ids, &opts, progress)
}

/// [`prove_with`] as `opts` say; with `strict`, a prompt that drives any
/// value of a saturating rescale past its width is refused (naming the
/// tensors) instead of proven with the clamp.
pub fn prove_opts(
    pk: &ProvingKey,
    ids: &[i64],
    opts: &ProveOptions,
    progress: Progress<'_>,
) -> Result<ProofFile, PipelineError> {
    let ProveOptions {
        publish,
        strict,
        zero_knowledge,
        seed,
        memory_limit,
    } = *opts;
    let graph = &pk.graph;
    let (padded, position) = statement_ids(graph, ids)?;
    let plan = Plan::for_statement(graph, publish == Publish::NextToken)?;
    if let Some((limit, limit_from)) = memory_limit.resolve() {
        let estimate = circuit::memory::prove_memory(graph, &plan);
        if estimate.bytes > limit {
            return Err(PipelineError::Memory {
                estimate,
                limit,
                limit_from,
            });
        }
    }
    let wit = witness::generate(graph, &padded)?;
    if strict && !wit.clamped.is_empty() {
        let list: Vec<String> = wit
            .clamped
            .iter()
            .map(|c| {
                format!(
                    "{} (node {}): {} above, {} below",
                    graph.nodes[c.node].name, c.node, c.above, c.below
                )
            })
            .collect();
        return Err(PipelineError::Input(format!(
            "--strict: the prompt drives values past their calibrated range, which the circuit would clamp: {}",
            list.join("; ")
        )));
    }
    let vocab = logits_width(graph);
    let out = wit.node(graph.output);
    let last = &out[position * vocab..(position + 1) * vocab];
    let (logits, next_token) = match publish {
        Publish::LastLogits => (last.to_vec(), None),
        Publish::AllLogits => (out.to_vec(), None),
        Publish::NextToken => (Vec::new(), Some(argmax(last))),
    };
    let statement = Statement {
        ids: padded,
        position,
        all_positions: publish == Publish::AllLogits,
        logits,
        next_token,
    };
    let pcs = key_generators(&pk.vk)?;
    let mut rng = match seed {
        Some(s) => ChaCha20Rng::seed_from_u64(s),
        None => ChaCha20Rng::from_seed(os_seed()),
    };
    let weights: Vec<_> = pk
        .vk
        .weights
        .iter()
        .cloned()
        .zip(pk.weight_hints.iter().cloned())
        .collect();
    let vk_digest = pk.vk.digest();
    macro_rules! prove_as {
        ($m:ty) => {
            circuit::prove_in::<$m, _>(
                default_backend(),
                &pcs,
                graph,
                &plan,
                &weights,
                &vk_digest,
                &wit,
                &statement,
                &mut rng,
                progress,
            )?
        };
    }
    let proof = if zero_knowledge {
        AnyProof::Hidden(prove_as!(Hidden))
    } else {
        AnyProof::Clear(prove_as!(Clear))
    };
    Ok(ProofFile {
        vk_digest,
        statement,
        logit_frac_bits: circuit::logit_frac_bits(graph),
        proof,
    })
}

/// Verifies a zero-knowledge proof file against a verifying key (and, if
/// given, the expected token ids); a clear proof is refused
/// ([`PipelineError::NotZeroKnowledge`]).
pub fn verify(
    vk: &VerifyingKey,
    proof: &ProofFile,
    expected_ids: Option<&[i64]>,
) -> Result<(), PipelineError> {
    verify_with(vk, proof, expected_ids, false)
}

/// [`verify`], accepting a clear proof too (`verify --allow-non-zk`).
pub fn verify_allowing_clear(
    vk: &VerifyingKey,
    proof: &ProofFile,
    expected_ids: Option<&[i64]>,
) -> Result<(), PipelineError> {
    verify_with(vk, proof, expected_ids, true)
}

/// [`verify`]; with `allow_non_zk` a clear proof (`prove --no-zk`) is
/// verified too (`verify --allow-non-zk`).
pub fn verify_with(
    vk: &VerifyingKey,
    proof: &ProofFile,
    expected_ids: Option<&[i64]>,
    allow_non_zk: bool,
) -> Result<(), PipelineError> {
    if !proof.proof.zero_knowledge() && !allow_non_zk {
        return Err(PipelineError::NotZeroKnowledge);
    }
    let digest = vk.digest();
    if proof.vk_digest != digest {
        return Err(PipelineError::WrongModel {
            proof: hex(&proof.vk_digest),
            vk: hex(&digest),
        });
    }
    let key_scale = circuit::logit_frac_bits(&vk.graph);
    if proof.logit_frac_bits != key_scale {
        return Err(PipelineError::Statement(format!(
            "the proof states logit scale 2^-{}, the verifying key's output is at 2^-{key_scale}",
            proof.logit_frac_bits
        )));
    }
    if let Some(ids) = expected_ids {
        let (padded, position) = statement_ids(&vk.graph, ids)?;
        if padded != proof.statement.ids || position != proof.statement.position {
            return Err(PipelineError::Input(
                "the proof is for different input_ids".into(),
            ));
        }
    }
    let plan = Plan::for_statement(&vk.graph, proof.statement.next_token.is_some())?;
    let pcs = key_generators(vk)?;
    circuit::verify_any(
        default_backend(),
        &pcs,
        &vk.graph,
        &plan,
        &vk.weights,
        &digest,
        &proof.statement,
        &proof.proof,
    )?;
    Ok(())
}

/// The public output of a proof as the JSON that `prove --output` writes and
/// `verify --json` prints: every field is what the statement and the key
/// fix (the scale is the key's), so a verifier can compare a prover's file
/// field by field. `next_token_text` is the tokenizer's name for the token.
pub fn public_output(
    graph: &Graph,
    proof: &ProofFile,
    next_token_text: Option<&str>,
) -> serde_json::Value {
    let s = &proof.statement;
    let input_len = s.position + 1;
    let mut out = serde_json::json!({
        "next_token": next_token(s),
        "logit_scale": 2f64.powi(circuit::logit_frac_bits(graph)),
        "position": s.position,
        "input_len": input_len,
        "model_digest": hex(&proof.vk_digest),
        "input_ids": &s.ids[..input_len.min(s.ids.len())],
        // A `--no-zk` proof's sumcheck messages and opening values are in
        // the clear (see the README's threat model): stated either way.
        "zero_knowledge": proof.proof.zero_knowledge(),
        "saturating": graph.saturating,
        "clamped_values": proof.proof.clamp_counts().iter().map(|[a, b]| a + b).sum::<u64>(),
        "clamped": clamped_by_tensor(graph, proof.proof.clamp_counts()),
    });
    let o = out.as_object_mut().expect("a JSON object");
    if s.next_token.is_some() {
        // Only the token is public: no logits to show.
        o.insert("logits_hidden".into(), true.into());
    } else {
        o.insert("logits".into(), s.logits.clone().into());
        o.insert("all_positions".into(), s.all_positions.into());
    }
    if let Some(t) = next_token_text {
        o.insert("next_token_text".into(), t.into());
    }
    out
}

/// The proven clamp counts by tensor name (only tensors with a clamp):
/// `{"name": {"above": a, "below": b}}`.
fn clamped_by_tensor(graph: &Graph, counts: &[[u64; 2]]) -> serde_json::Value {
    let nodes = circuit::saturating_rescales(graph);
    let mut m = serde_json::Map::new();
    for (id, [a, b]) in nodes.iter().zip(counts) {
        if a + b > 0 {
            m.insert(
                graph.nodes[*id].name.clone(),
                serde_json::json!({"above": a, "below": b}),
            );
        }
    }
    m.into()
}

/// Compares a prover's `out.json` with the verified public output: every
/// field of the file must be one the proof fixes, with the same value, and
/// every field the proof fixes must be in the file. Names the first field
/// that differs.
pub fn check_public_output(
    claimed: &serde_json::Value,
    verified: &serde_json::Value,
) -> Result<(), String> {
    let (Some(c), Some(v)) = (claimed.as_object(), verified.as_object()) else {
        return Err("the output file is not a JSON object".into());
    };
    for (k, cv) in c {
        match v.get(k) {
            None if k == "next_token_text" => {
                return Err(
                    "field next_token_text: give --tokenizer to check the token's text".into(),
                )
            }
            None => return Err(format!("field {k}: not part of what the proof shows")),
            Some(vv) if vv != cv => {
                return Err(format!(
                    "field {k}: the file says {cv}, the proof shows {vv}"
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(k) = v
        .keys()
        .find(|k| !c.contains_key(*k) && *k != "next_token_text")
    {
        return Err(format!("field {k}: missing from the file"));
    }
    Ok(())
}

/// The statement's next token: the proven one when the logits are hidden,
/// otherwise the argmax of the public last-position logits.
pub fn next_token(s: &Statement) -> usize {
    s.next_token.unwrap_or_else(|| argmax(s.last_logits()))
}

/// Index of the largest logit (the lowest index among ties).
pub fn argmax(logits: &[i64]) -> usize {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best
}
