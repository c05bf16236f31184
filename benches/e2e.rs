//! End-to-end benchmark: setup, prove and verify one model on one prompt,
//! against tract's float inference of the same tokens.
//!
//! ```sh
//! cargo bench --bench e2e                      # every fixture in fixtures/
//! cargo bench --bench e2e -- MODEL.onnx 32     # one model, 32 tokens
//! ```
//! Each model is measured with the default saturating key (clamps proven)
//! and with the refusing one (`setup --no-saturate`), marked `(r)`; each key
//! proves twice in the same run, zero-knowledge (`zk`) and in the clear
//! (`clear`, `prove --no-zk`). Prints setup/prove/verify seconds, proof
//! bytes, peak RSS and the ratio of proving time to float inference time.
//! The key is saved and proven from its file (weights memory-mapped).
//!
//! For large models: `ZKLLM_BENCH_KEYS=saturating` (or `refusing`) measures
//! one key instead of both, and `ZKLLM_BENCH_CALIB=calib.json` sets the key
//! up from a `zkllm calibrate` file instead of the reference prompt. Peak
//! RSS is reset before each proof (`/proc/self/clear_refs`), so each line's
//! peak is that proof's own, from its key file onward.

use std::path::{Path, PathBuf};
use std::time::Instant;

use zkllm::import::{tract_run_seconds, ImportOptions};
use zkllm::pipeline;
use zkllm::wire::Wire;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Resets the process's peak RSS to its current RSS (Linux: writing 5 to
/// `clear_refs`); elsewhere the peak stays the process's.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `ZKLLM_BENCH_CALIB`: a calibration file to set keys up from.
fn calibration() -> Option<zkllm::quant::Calibration> {
    let path = std::env::var_os("ZKLLM_BENCH_CALIB")?;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("ZKLLM_BENCH_CALIB {}: {e}", Path::new(&path).display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "ZKLLM_BENCH_CALIB {}: not a calibration file: {e}",
            Path::new(&path).display()
        )
    }))
}

/// `ZKLLM_BENCH_KEYS`: which keys to measure (saturating first).
fn keys() -> Vec<bool> {
    match std::env::var("ZKLLM_BENCH_KEYS").as_deref() {
        Ok("saturating") => vec![true],
        Ok("refusing") => vec![false],
        Ok("both") | Err(_) => vec![true, false],
        Ok(other) => panic!("ZKLLM_BENCH_KEYS={other}: expected saturating, refusing or both"),
    }
}

fn bench(model: &Path, tokens: usize, saturate: bool) {
    let mut name = model.file_stem().unwrap().to_string_lossy().to_string();
    if !saturate {
        name += " (r)";
    }
    let t = Instant::now();
    let graph = match pipeline::quantized_graph(model, tokens, calibration().as_ref()) {
        Ok(mut g) => {
            g.saturating = saturate;
            g
        }
        Err(e) => {
            println!("{name:<24} skipped: {e}");
            return;
        }
    };
    let params = graph.parameter_count();
    let vocab = pipeline::vocab_size(&graph);
    let pk = pipeline::setup(graph, &|_, _, _| {}).expect("setup");
    let setup_s = t.elapsed().as_secs_f64();
    // Proven from the key file, as `zkllm prove` does: the weights read in
    // place through its memory map.
    let pk_path = std::env::temp_dir().join(format!("zkllm-bench-{}.pk", std::process::id()));
    pk.save(&pk_path).expect("save the proving key");
    drop(pk);
    let pk = zkllm::artifacts::ProvingKey::load(&pk_path).expect("load the proving key");
    let ids: Vec<i64> = (0..tokens).map(|i| ((i * 7 + 3) % vocab) as i64).collect();
    let opts = ImportOptions {
        seq_len: tokens,
        ..Default::default()
    };
    let float_s = tract_run_seconds(model, &opts, &ids, 20).expect("tract run");
    for zk in [false, true] {
        let name = format!("{name} {}", if zk { "zk" } else { "clear" });
        prove_and_verify(&name, &pk, &ids, zk, params, setup_s, float_s);
    }
    std::fs::remove_file(&pk_path).ok();
}

fn prove_and_verify(
    name: &str,
    pk: &zkllm::artifacts::ProvingKey,
    ids: &[i64],
    zk: bool,
    params: usize,
    setup_s: f64,
    float_s: f64,
) {
    let tokens = ids.len();
    reset_peak_rss();
    let opts = pipeline::ProveOptions {
        zero_knowledge: zk,
        ..Default::default()
    };
    // Time per prover stage (witness and commitments, the backward walk, the
    // lookup arguments, the batched openings), from the progress callback.
    let stages: std::cell::RefCell<Vec<(String, Instant)>> = Default::default();
    let t = Instant::now();
    let proof = pipeline::prove_opts(pk, ids, &opts, &|s, _, _| {
        let mut v = stages.borrow_mut();
        if v.last().is_none_or(|(last, _)| last != s) {
            v.push((s.to_string(), Instant::now()));
        }
    })
    .expect("prove");
    let prove_s = t.elapsed().as_secs_f64();
    let end = Instant::now();
    let stages = stages.into_inner();
    let first = stages.first().map_or(end, |s| s.1);
    let mut profile = format!("witness {:.1} s", (first - t).as_secs_f64());
    for (i, (s, at)) in stages.iter().enumerate() {
        let next = stages.get(i + 1).map_or(end, |n| n.1);
        profile += &format!(", {s} {:.1} s", (next - *at).as_secs_f64());
    }
    let bytes = proof.to_bytes().len() + 44;
    let part = |v: usize| format!("{:.0}%", 100.0 * v as f64 / bytes as f64);
    macro_rules! breakdown {
        ($p:expr) => {
            format!(
                "commitments {} ({} of them, {} rows), op messages {}, lookup arguments {}, openings {}, zero proof {}",
                part($p.commitments.to_bytes().len()),
                $p.commitments.len(),
                $p.commitments.iter().map(|c| c.rows.len()).sum::<usize>(),
                part($p.steps.to_bytes().len()),
                part($p.lookups.to_bytes().len()),
                part($p.openings.to_bytes().len()),
                part($p.zero.as_ref().map_or(0, |z| z.to_bytes().len())),
            )
        };
    }
    let breakdown = match &proof.proof {
        zkllm::circuit::AnyProof::Hidden(p) => breakdown!(p),
        zkllm::circuit::AnyProof::Clear(p) => breakdown!(p),
    };
    // Verify from the proof's bytes, as `zkllm verify` does: decoding its
    // points is part of the verifier's cost.
    let body = proof.to_bytes();
    let t = Instant::now();
    let decoded = zkllm::artifacts::ProofFile::from_body(&body, "bench proof").expect("decode");
    let decode_s = t.elapsed().as_secs_f64();
    pipeline::verify_with(&pk.vk, &decoded, Some(ids), !zk).expect("verify");
    let verify_s = t.elapsed().as_secs_f64();
    // Of the check, getting the generators (from the cache, which setup
    // filled), and what deriving them (hash to curve) would cost instead.
    let vk = &pk.vk;
    let cache = zkllm::commit::generators::cache_dir();
    let t = Instant::now();
    zkllm::commit::Hyrax::pinned(
        &vk.generator_seed,
        vk.max_vars,
        &vk.generators_pin,
        cache.as_deref(),
    )
    .expect("generators");
    let generators_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let _ = zkllm::commit::generators::Generators::derive_fresh(
        &vk.generator_seed,
        zkllm::commit::hyrax::square_col_vars(vk.max_vars),
    );
    let derive_s = t.elapsed().as_secs_f64();
    // What the verifier read, by transcript label: points and scalars.
    let ((), tally) = zkllm::transcript::tally::tallying(|| {
        pipeline::verify_with(&pk.vk, &proof, Some(ids), !zk).expect("verify")
    });
    let mut parts: Vec<(&str, [u64; 2])> = tally.into_iter().collect();
    parts.sort_by_key(|(_, [p, s])| std::cmp::Reverse(48 * p + 32 * s));
    let (points, scalars) = parts
        .iter()
        .fold((0, 0), |(p, s), (_, [a, b])| (p + a, s + b));
    let by_label: Vec<String> = parts
        .iter()
        .take(10)
        .map(|(l, [p, s])| format!("{l} {p} pts + {s} sc"))
        .collect();
    println!(
        "{name:<24} {params:>10} {tokens:>6} {setup_s:>8.2} {prove_s:>8.2} {verify_s:>8.2} {:>10} {:>9.0} {:>10.3} {:>9.0}",
        bytes,
        peak_rss_mib(),
        float_s * 1e3,
        prove_s / float_s
    );
    println!("{:<24} proof bytes: {breakdown}", "");
    println!("{:<24} prove time: {profile}", "");
    println!(
        "{:<24} verify time: decode {decode_s:.2} s, check {:.2} s (of which generators {generators_s:.3} s from the cache; deriving them takes {derive_s:.2} s)",
        "",
        verify_s - decode_s
    );
    println!(
        "{:<24} absorbed: {points} points, {scalars} scalars; by label: {}",
        "",
        by_label.join(", ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    println!(
        "{:<24} {:>10} {:>6} {:>8} {:>8} {:>8} {:>10} {:>9} {:>10} {:>9}",
        "model",
        "params",
        "tokens",
        "setup s",
        "prove s",
        "verify s",
        "proof B",
        "peak MiB",
        "tract ms",
        "prove/fl"
    );
    if let Some(model) = args.first() {
        let tokens = args.get(1).and_then(|t| t.parse().ok()).unwrap_or(32);
        for saturate in keys() {
            bench(Path::new(model), tokens, saturate);
        }
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "onnx")
                && p.to_string_lossy().contains("dynamo")
                && !p.to_string_lossy().contains("masks")
        })
        .collect();
    models.sort();
    for m in models {
        for saturate in keys() {
            bench(&m, 8, saturate);
        }
    }
}
