//! `zkllm inspect` end to end: a fixture's report, and refusals as a non-zero
//! exit with the reason (never a panic).

mod import_common;

use std::process::Command;

use import_common::fixtures_dir;

fn inspect(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zkllm"))
        .arg("inspect")
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn inspect_json_report() {
    let model = fixtures_dir().join("llama_dynamo.onnx");
    let (code, stdout, stderr) = inspect(&[model.to_str().unwrap(), "--seq-len", "8", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["parameters"].as_u64().unwrap() > 10_000);
    assert_eq!(v["seq_len"], 8);
    let ops = v["op_counts"].as_object().unwrap();
    for op in [
        "Embedding",
        "EinSum",
        "Softmax",
        "Lookup",
        "Rescale",
        "Hadamard",
    ] {
        assert!(ops.contains_key(op), "{op} missing from {ops:?}");
    }
    assert!(v["lookup_tables"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.starts_with("Silu")));
    assert!(v["estimates"]["proof_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn inspect_table_and_refusals() {
    let model = fixtures_dir().join("gpt2_dynamo.onnx");
    let (code, stdout, _) = inspect(&[model.to_str().unwrap(), "--seq-len", "4"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("zkAttn") && stdout.contains("estimates"));

    let bad = fixtures_dir().join("malformed").join("unsupported.onnx");
    let (code, _, stderr) = inspect(&[bad.to_str().unwrap(), "--seq-len", "4"]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("the_sin") && stderr.contains("the_abs"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));

    let (code, stdout, _) = inspect(&[bad.to_str().unwrap(), "--seq-len", "4", "--json"]);
    assert_ne!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["unsupported"].as_array().unwrap().len(), 2);

    let (code, _, stderr) = inspect(&[model.to_str().unwrap(), "--seq-len", "500"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("sequence length 500"), "{stderr}");

    let (code, _, stderr) = inspect(&["/nonexistent/model.onnx"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot read"), "{stderr}");
}
