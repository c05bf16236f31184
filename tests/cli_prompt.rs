//! `--prompt TEXT --tokenizer tokenizer.json` on prove and verify, and
//! calibration from text: the ids come from the Hugging Face tokenizer (the
//! same ids Python's `tokenizers` gives), the output names the next token,
//! and bad tokenizer input is a clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zkllm::tokenize::{TextTokenizer, TokenizeError};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkllm-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn zkllm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkllm"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Ids printed by `importers/make_tokenizer.py`'s tokenizer in Python.
const PROMPT: &str = "It is a truth";
const PROMPT_IDS: [i64; 6] = [42, 91, 39, 33, 24, 107];

#[test]
fn tokenizer_matches_python_and_checks_the_vocabulary() {
    let t = TextTokenizer::load(&fixtures().join("tokenizer.json")).unwrap();
    assert_eq!(t.encode(PROMPT, 128).unwrap(), PROMPT_IDS);
    assert_eq!(
        t.encode("It was the best of times", 128).unwrap(),
        [42, 48, 38, 52, 73, 40, 33, 16, 88, 25]
    );
    assert_eq!(t.decode_one(5), ".");
    // A model with a smaller vocabulary than the tokenizer's ids.
    let e = t.encode(PROMPT, 100).unwrap_err();
    assert!(
        matches!(
            e,
            TokenizeError::OutOfVocab {
                id: 107,
                vocab: 100,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("does not belong to this model"),
        "{e}"
    );
    assert!(matches!(
        t.encode("", 128),
        Err(TokenizeError::Empty { .. })
    ));
    // Not a tokenizer file.
    let bad = tmp("badtok").join("tokenizer.json");
    std::fs::write(&bad, "{\"model\": 3}").unwrap();
    let e = TextTokenizer::load(&bad).err().unwrap();
    assert!(
        e.to_string().contains("not a Hugging Face tokenizer.json"),
        "{e}"
    );
}

#[test]
fn prove_and_verify_a_text_prompt() {
    let dir = tmp("e2e");
    let model = fixtures().join("llama_dynamo.onnx");
    let tok = fixtures().join("tokenizer.json");
    let (keys, proof, out) = (
        dir.join("keys"),
        dir.join("proof.bin"),
        dir.join("out.json"),
    );
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let o = zkllm(&["setup", &s(&model), "--seq-len", "8", "-o", &s(&keys)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // stderr is a pipe here, not a terminal: progress comes as plain lines.
    let log = stderr(&o);
    let n = log
        .lines()
        .filter(|l| l.starts_with("commit weights: "))
        .count();
    assert!(n >= 2, "start and end of the weight commitments: {log}");
    assert!(
        log.contains(" s)"),
        "elapsed time in the progress lines: {log}"
    );
    let pk = s(&keys.join("model.pk"));
    let vk = s(&keys.join("model.vk"));
    let o = zkllm(&[
        "prove",
        "--pk",
        &pk,
        "--prompt",
        PROMPT,
        "--tokenizer",
        &s(&tok),
        "-o",
        &s(&proof),
        "--output",
        &s(&out),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ids: Vec<i64> = serde_json::from_value(j["input_ids"].clone()).unwrap();
    assert_eq!(ids, PROMPT_IDS);
    let next = j["next_token"].as_u64().unwrap() as usize;
    let t = TextTokenizer::load(&tok).unwrap();
    assert_eq!(j["next_token_text"].as_str().unwrap(), t.decode_one(next));

    // verify with the same prompt: accepted, and the next token is named.
    let o = zkllm(&[
        "verify",
        "--vk",
        &vk,
        "--proof",
        &s(&proof),
        "--prompt",
        PROMPT,
        "--tokenizer",
        &s(&tok),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["next_token"].as_u64().unwrap() as usize, next);
    assert_eq!(v["next_token_text"], j["next_token_text"]);
    // Zero knowledge is the default, and both outputs say so.
    assert_eq!(j["zero_knowledge"], true, "{j}");
    assert_eq!(v["zero_knowledge"], true, "{v}");
    assert_eq!(v["public_output"]["zero_knowledge"], true, "{v}");

    // The non-ZK gate: a `--no-zk` proof is refused without
    // `--allow-non-zk` (saying why), and accepted with it.
    let (cproof, cout) = (dir.join("clear.bin"), dir.join("clear.json"));
    let o = zkllm(&[
        "prove",
        "--pk",
        &pk,
        "--prompt",
        PROMPT,
        "--tokenizer",
        &s(&tok),
        "--no-zk",
        "-o",
        &s(&cproof),
        "--output",
        &s(&cout),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cout).unwrap()).unwrap();
    assert_eq!(c["zero_knowledge"], false, "{c}");
    assert_eq!(c["next_token"], j["next_token"]);
    let tok_path = s(&tok);
    let verify_clear = |extra: &[&str]| {
        let mut a = vec!["verify", "--vk", &vk, "--proof"];
        let p = s(&cproof);
        let out = s(&cout);
        a.push(&p);
        a.extend_from_slice(&["--output", &out, "--prompt", PROMPT]);
        a.extend_from_slice(&["--tokenizer", &tok_path]);
        a.extend_from_slice(extra);
        zkllm(&a)
    };
    let o = verify_clear(&[]);
    assert!(
        !o.status.success(),
        "a --no-zk proof was accepted by default"
    );
    assert!(
        stderr(&o).contains("not zero-knowledge") && stderr(&o).contains("--allow-non-zk"),
        "{}",
        stderr(&o)
    );
    let o = verify_clear(&["--allow-non-zk", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["zero_knowledge"], false, "{v}");
    // A ZK proof's out.json does not pass for the clear proof's, nor the reverse.
    let o = zkllm(&[
        "verify",
        "--vk",
        &vk,
        "--proof",
        &s(&proof),
        "--output",
        &s(&cout),
        "--prompt",
        PROMPT,
        "--tokenizer",
        &tok_path,
    ]);
    assert!(!o.status.success(), "a clear out.json matched a ZK proof");
    assert!(stderr(&o).contains("zero_knowledge"), "{}", stderr(&o));
    // ... with another prompt: rejected.
    let o = zkllm(&[
        "verify",
        "--vk",
        &vk,
        "--proof",
        &s(&proof),
        "--prompt",
        "It is a lie",
        "--tokenizer",
        &s(&tok),
    ]);
    assert!(
        !o.status.success(),
        "a proof for another prompt was accepted"
    );

    // Only the next token public: the same token, no logits in the output.
    let (hproof, hout) = (dir.join("hidden.bin"), dir.join("hidden.json"));
    let o = zkllm(&[
        "prove",
        "--pk",
        &pk,
        "--prompt",
        PROMPT,
        "--tokenizer",
        &s(&tok),
        "--public",
        "token",
        "-o",
        &s(&hproof),
        "--output",
        &s(&hout),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let h: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&hout).unwrap()).unwrap();
    assert_eq!(h["next_token"], j["next_token"]);
    assert!(
        h.get("logits").is_none() && h["logits_hidden"] == true,
        "{h}"
    );
    let o = zkllm(&[
        "verify",
        "--vk",
        &vk,
        "--proof",
        &s(&hproof),
        "--prompt",
        PROMPT,
        "--tokenizer",
        &s(&tok),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["next_token"].as_u64().unwrap() as usize, next);

    // Errors: a prompt without a tokenizer, no input at all, a prompt longer
    // than the key's sequence length, both --input and --prompt.
    let o = zkllm(&["prove", "--pk", &pk, "--prompt", PROMPT, "-o", &s(&proof)]);
    assert!(
        !o.status.success() && stderr(&o).contains("--tokenizer"),
        "{}",
        stderr(&o)
    );
    let o = zkllm(&["prove", "--pk", &pk, "-o", &s(&proof)]);
    assert!(
        !o.status.success() && stderr(&o).contains("no input"),
        "{}",
        stderr(&o)
    );
    let long = "It was the best of times, it was the worst of times";
    let o = zkllm(&[
        "prove",
        "--pk",
        &pk,
        "--prompt",
        long,
        "--tokenizer",
        &s(&tok),
        "-o",
        &s(&proof),
    ]);
    assert!(!o.status.success(), "an over-long prompt was proved");
    assert!(stderr(&o).contains("8"), "{}", stderr(&o));
    let input = dir.join("in.json");
    std::fs::write(&input, "{\"input_ids\": [1, 2]}").unwrap();
    let o = zkllm(&[
        "prove",
        "--pk",
        &pk,
        "--input",
        &s(&input),
        "--prompt",
        PROMPT,
        "--tokenizer",
        &s(&tok),
        "-o",
        &s(&proof),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("cannot be used with"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
