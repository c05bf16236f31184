//! Memory on a bad day: `zkllm prove` refuses, before any work, a proof
//! whose estimated peak memory exceeds the limit, naming the estimate and
//! the limit; the estimate is the one `zkllm inspect` shows.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn zkllm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkllm"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_proof_over_the_memory_limit_is_refused_before_any_work() {
    let dir = std::env::temp_dir().join(format!("zkllm-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let model = fixtures().join("gpt2_dynamo.onnx");
    let (keys, proof, input) = (dir.join("keys"), dir.join("proof.bin"), dir.join("in.json"));
    std::fs::write(&input, r#"{"input_ids": [1, 5, 9, 3]}"#).unwrap();
    let o = zkllm(&["setup", &s(&model), "--seq-len", "8", "-o", &s(&keys), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pk = s(&keys.join("model.pk"));
    let prove = |limit: &str| {
        zkllm(&[
            "prove",
            "--pk",
            &pk,
            "--input",
            &s(&input),
            "-o",
            &s(&proof),
            "-q",
            "--max-memory",
            limit,
        ])
    };

    let o = prove("1");
    assert!(!o.status.success(), "a 1 MiB limit was accepted");
    let e = stderr(&o);
    eprintln!("{e}");
    assert!(e.contains("the limit is 1 MiB (--max-memory)"), "{e}");
    assert!(!proof.exists(), "a refused proof was written");
    assert!(!e.contains("panicked"), "{e}");
    // The estimate in the refusal is the one inspect shows for this model.
    let need: u64 = e
        .split("needs about ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in: {e}"));
    let o = zkllm(&["inspect", &s(&model), "--seq-len", "8", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let shown = v["estimates"]["prove_memory_bytes"].as_u64().unwrap() >> 20;
    assert_eq!(need, shown, "prove and inspect estimate the same peak");

    // A limit above the estimate, and no check at all, both prove.
    for limit in [(need + 1).to_string(), "off".to_string()] {
        let o = prove(&limit);
        assert!(o.status.success(), "--max-memory {limit}: {}", stderr(&o));
        assert!(proof.exists());
        std::fs::remove_file(&proof).unwrap();
    }
    let o = prove("lots");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("expected a number of MiB or `off`"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}
