//! Where a proof's committed volume and lookup leaves go: per kind of
//! committed tensor (graph nodes by op, auxiliaries by kind, lookup
//! multiplicities) the count and padded entries, and per lookup table its
//! uses and leaves (a profiling aid for the claim layer, not run by CI).
//!
//! ```text
//! cargo run --release --example census -- MODEL.onnx [SEQ_LEN] [PROOF]
//! ```
//! The graph is quantized with the default (uncalibrated) configuration.
//! With `PROOF` (a `zkllm prove` file) it also prints where that proof's
//! bytes go.

use std::collections::BTreeMap;
use std::path::PathBuf;

use zkllm::circuit::layout::num_vars;
use zkllm::circuit::plan::{Plan, TensorRef};
use zkllm::wire::Wire;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let model = PathBuf::from(args.next().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/gpt2_dynamo.onnx").into()
    }));
    let seq_len: usize = args.next().map_or(Ok(8), |s| s.parse())?;
    let graph = zkllm::pipeline::quantized_graph(&model, seq_len, None)?;
    let plan = Plan::for_statement(&graph, false)?;
    let mut kinds: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for t in plan.committed_tensors() {
        let kind = match t {
            TensorRef::Node(n) => {
                let op = format!("{:?}", graph.nodes[n].op);
                format!("node {}", op.split([' ', '{', '(']).next().unwrap_or(""))
            }
            TensorRef::Aux(a) => format!("aux {:?}", plan.aux[a].kind),
        };
        let e = kinds.entry(kind).or_default();
        e.0 += 1;
        e.1 += 1u64 << num_vars(plan.shape(&graph, t));
    }
    for t in &plan.tables {
        let e = kinds.entry("multiplicities".into()).or_default();
        e.0 += 1;
        e.1 += 1u64 << t.log_size;
    }
    let total: u64 = kinds.values().map(|v| v.1).sum();
    println!("committed: {total} entries");
    let mut rows: Vec<_> = kinds.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1 .1));
    for (k, (n, e)) in rows {
        println!(
            "  {k:<28} {n:>6} tensors {e:>12} entries {:>5.1}%",
            100.0 * e as f64 / total as f64
        );
    }
    let shapes = plan.lookup_shapes(&graph);
    println!("lookups:");
    for (t, s) in plan.tables.iter().zip(&shapes) {
        let leaves: u64 = s.iter().map(|s| s.len as u64).sum::<u64>() + (1u64 << t.log_size);
        println!(
            "  {:<40} {:>4} uses {:>12} leaves",
            format!(
                "lo {} bits {} {:?}",
                t.lo,
                t.log_size,
                t.func.as_ref().map(|_| "fn")
            ),
            s.len(),
            leaves
        );
    }
    let est = zkllm::circuit::memory::prove_memory(&graph, &plan);
    println!("memory estimate: {est:?}");
    if let Some(path) = args.next() {
        let proof = zkllm::artifacts::ProofFile::load(std::path::Path::new(&path))?;
        let total = proof.to_bytes().len();
        macro_rules! parts {
            ($p:expr) => {{
                let steps: BTreeMap<&str, (usize, usize)> =
                    $p.steps.iter().fold(BTreeMap::new(), |mut m, s| {
                        let e = m.entry(s.kind()).or_default();
                        e.0 += 1;
                        e.1 += s.to_bytes().len();
                        m
                    });
                println!(
                    "proof {total} bytes: commitments {} ({} rows), op messages {}, lookups {}, openings {}, zero proof {}",
                    $p.commitments.to_bytes().len(),
                    $p.commitments.iter().map(|c| c.rows.len()).sum::<usize>(),
                    $p.steps.to_bytes().len(),
                    $p.lookups.to_bytes().len(),
                    $p.openings.to_bytes().len(),
                    $p.zero.as_ref().map_or(0, |z| z.to_bytes().len()),
                );
                for (k, (n, b)) in steps {
                    println!("  op messages {k:<12} {n:>6} {b:>10} bytes");
                }
            }};
        }
        match &proof.proof {
            zkllm::circuit::AnyProof::Hidden(p) => parts!(p),
            zkllm::circuit::AnyProof::Clear(p) => parts!(p),
        }
    }
    Ok(())
}
