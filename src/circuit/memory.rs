//! The prover's peak memory, estimated from the plan before any work, so
//! that a model or prompt length that does not fit is refused with the
//! estimate and the limit instead of being killed by the kernel.
//!
//! The peak is one of two stages. The lookup stage holds the fraction
//! trees' leaves with all their levels (4 field elements of 32 bytes per
//! leaf; a level's halves are its sumcheck's tables, never copied), and the
//! looked-up tensors as field-element columns. The opening stage holds the
//! largest opening group's stacks and their claims' weights as field
//! elements in the reduction's sumcheck, then the stacks lifted again for
//! the Hyrax opening; the key's weight stacks are not among them (they are
//! opened by row folds from their integers, two rows per claim). Resident
//! throughout: the witness (one `i64` per entry of every node but the
//! weights), the key's weights (read in place from its file: 2 bytes an
//! entry), the committed tensors as integers, and a fixed part (the
//! process, the generators). The per-leaf and per-opened-entry costs are
//! fitted to `zkllm prove`'s peak RSS on the fixtures; BENCHMARKS.md has
//! the comparison.

use super::layout::num_vars;
use super::plan::Plan;
use crate::ir::{numel, Graph};
use crate::protocols::lookup;

/// Bytes per fraction-tree leaf at the lookup stage's peak.
const PER_LEAF: u64 = 5 * 32;
/// Bytes per looked-up entry (its input, or output, column as `Fr`).
const PER_LOOKED_UP: u64 = 32;
/// Bytes per witness entry.
const PER_WITNESS: u64 = 8;
/// Bytes per weight entry (16-bit, mapped from the key file).
const PER_WEIGHT: u64 = 2;
/// Bytes per committed entry (its `i64`, kept for the openings).
const PER_COMMITTED: u64 = 8;
/// Bytes per entry of the largest opening group: the stack and its claims'
/// weights as field elements in the reduction's sumcheck, and the stack
/// lifted again for the Hyrax opening.
const PER_OPENED: u64 = 3 * 32;
/// The resident rest: the process, the generators.
const FIXED: u64 = 16 << 20;

/// What the estimate is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MemoryEstimate {
    /// The estimated peak, in bytes.
    pub bytes: u64,
    /// Leaves of the lookup argument's fraction trees.
    pub lookup_leaves: u64,
    /// Entries of the looked-up tensors (inputs and outputs, padded).
    pub looked_up: u64,
    /// Entries of the witness (every node but the weights).
    pub witness: u64,
    /// Entries of the key's weights.
    pub weights: u64,
    /// Entries of the proof's committed tensors (padded, held as integers
    /// from the commitments to the openings).
    pub committed: u64,
    /// Entries of the largest opening group (the proof's stacks of the
    /// largest size), lifted to field elements at the opening stage.
    pub opened: u64,
}

/// The prover's estimated peak memory for `graph` under `plan`.
pub fn prove_memory(graph: &Graph, plan: &Plan) -> MemoryEstimate {
    let shapes = plan.lookup_shapes(graph);
    let batch: Vec<_> = (plan.tables.iter().zip(&shapes))
        .map(|(t, s)| (t, s.as_slice()))
        .collect();
    let lookup_leaves = lookup::leaf_count(&batch) as u64;
    let looked_up: u64 = (plan.lookups.iter())
        .map(|u| {
            let entries = |t| 1u64 << num_vars(plan.shape(graph, t));
            entries(u.x) + u.y.map_or(0, entries)
        })
        .sum();
    let is_weight = |n: &&crate::ir::Node| matches!(n.op, crate::ir::Op::Weight { .. });
    let entries = |n: &crate::ir::Node| numel(&n.shape) as u64;
    let witness: u64 = (graph.nodes.iter())
        .filter(|n| !is_weight(n))
        .map(entries)
        .sum();
    let weights: u64 = (graph.nodes.iter()).filter(is_weight).map(entries).sum();
    let tensor_vars = super::proof_tensor_vars(graph, plan);
    let committed: u64 = tensor_vars.iter().map(|v| 1u64 << v).sum();
    let stacks = super::stack_vars(&tensor_vars, &super::proof_stacks(graph, plan));
    let mut by_size = std::collections::BTreeMap::<usize, u64>::new();
    for nv in stacks {
        *by_size.entry(nv).or_default() += 1u64 << nv;
    }
    let opened = by_size.values().copied().max().unwrap_or(0);
    let lookup_stage = PER_LEAF * lookup_leaves + PER_LOOKED_UP * looked_up;
    let opening_stage = PER_OPENED * opened;
    MemoryEstimate {
        bytes: FIXED
            + lookup_stage.max(opening_stage)
            + PER_WITNESS * witness
            + PER_WEIGHT * weights
            + PER_COMMITTED * committed,
        lookup_leaves,
        looked_up,
        witness,
        weights,
        committed,
        opened,
    }
}

/// The memory this process may still use: the system's available memory
/// (`MemAvailable`), or less where a cgroup (v2) limit is lower. `None`
/// where neither can be read.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let read = |f: &str| {
        std::fs::read_to_string(format!("/sys/fs/cgroup/{f}"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    let cgroup =
        read("memory.max").map(|max| max.saturating_sub(read("memory.current").unwrap_or(0)));
    match (meminfo, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
