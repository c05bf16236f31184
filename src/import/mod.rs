//! ONNX import through tract: load, fix the sequence length, type, declutter,
//! and lower to the zkllm IR ([`crate::ir`]).
//!
//! tract's types never leave this module: callers get a float [`Graph`],
//! an [`ImportError`] naming what went wrong, and tract's own float inference
//! of the same file ([`tract_logits`]) as the reference for tests.

mod cumsum;
mod load;
mod lower;

use std::collections::BTreeMap;

use thiserror::Error;

use crate::ir::Graph;

pub use load::{describe, tract_logits, tract_run_seconds, ModelDescription, ModelInput};

/// What to fix before typing the model.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Sequence length of `input_ids` (bound automatically to its symbol).
    pub seq_len: usize,
    /// Values of other symbolic dimensions (`--dim name=value`).
    pub dims: BTreeMap<String, i64>,
}

/// An op the IR cannot prove, named with its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub node: String,
    pub op: String,
    pub why: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node `{}` ({}): {}", self.node, self.op, self.why)
    }
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("cannot read {path}: {why}")]
    Io { path: String, why: String },
    #[error("{path} is not a readable ONNX model (truncated or not ONNX?): {why}")]
    NotOnnx { path: String, why: String },
    #[error("the model has no `input_ids` input (inputs: {inputs:?})")]
    NoInputIds { inputs: Vec<String> },
    #[error(
        "the model takes past key/value cache inputs ({inputs:?}); decode steps with a KV cache are not supported yet: export without cache (use_cache=False)"
    )]
    KvCache { inputs: Vec<String> },
    #[error("the model takes input `{name}`, which zkllm does not know how to bind")]
    UnknownInput { name: String },
    #[error("the model has no `logits` output")]
    NoLogits,
    #[error("symbolic dimensions {missing:?} need values: pass --dim NAME=VALUE")]
    UnboundDims { missing: Vec<String> },
    #[error("sequence length {seq_len} is outside the model's range 1..={limit} ({why})")]
    SeqLen {
        seq_len: usize,
        limit: usize,
        why: String,
    },
    #[error("tract could not {stage} the model: {why}")]
    Tract { stage: &'static str, why: String },
    #[error("{} unsupported op(s):\n  {}", .0.len(), .0.iter().map(|u| u.to_string()).collect::<Vec<_>>().join("\n  "))]
    Unsupported(Vec<Unsupported>),
}

/// Loads, types, declutters and lowers an ONNX causal LM.
pub fn import(path: &std::path::Path, opts: &ImportOptions) -> Result<Graph, ImportError> {
    let typed = load::load_typed(path, opts)?;
    lower::lower(&typed.model, &typed.initializers, opts.seq_len)
}
