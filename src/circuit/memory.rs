//! The prover's peak memory, estimated from the plan before any work, so
//! that a model or prompt length that does not fit is refused with the
//! estimate and the limit instead of being killed by the kernel.
//!
//! The peak is the lookup stage: the fraction trees' leaves with all their
//! levels, or the leaves with the split of the deepest level into its four
//! children tables (4 field elements of 32 bytes per leaf either way), and
//! the looked-up tensors as field-element columns; the witness (one `i64`
//! per node entry) and a fixed part (the process, the key's small integers,
//! the generators) stay resident. The per-leaf cost is fitted to `zkllm
//! prove`'s peak RSS on the fixtures (5 field elements: the four above and
//! what the stage holds besides); BENCHMARKS.md has the comparison.

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
/// The resident rest: the process, the key, the generators.
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
    /// Entries of the witness.
    pub witness: u64,
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
    let witness: u64 = (graph.nodes.iter()).map(|n| numel(&n.shape) as u64).sum();
    MemoryEstimate {
        bytes: FIXED + PER_LEAF * lookup_leaves + PER_LOOKED_UP * looked_up + PER_WITNESS * witness,
        lookup_leaves,
        looked_up,
        witness,
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
