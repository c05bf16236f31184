//! `zkllm calibrate`: the calibration file that setup accepts and a proof
//! with it verifies, the accuracy report's metrics, and data-file errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use zkllm::import::{import, ImportOptions};
use zkllm::pipeline;
use zkllm::quant::calibrate::{self, CalibSettings, CalibrationFile, DataError};
use zkllm::quant::report;
use zkllm::quant::Calibration;

const SEQ: usize = 8;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(format!("{name}.onnx"))
}

fn calibration_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("calibration")
}

/// ASCII bytes of a text as token ids: valid for the vocabulary-128 fixtures.
fn ascii_ids(file: &str) -> Vec<i64> {
    let t = std::fs::read_to_string(calibration_dir().join(file)).unwrap();
    t.bytes().filter(|b| *b < 128).map(|b| b as i64).collect()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkllm-calib-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string(v).unwrap()).unwrap();
}

fn zkllm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkllm"))
        .args(args)
        .output()
        .unwrap()
}

/// `zkllm setup MODEL --seq-len N --calib CALIB -o KEYS`, plus `extra`.
fn setup_cli(
    model: &Path,
    seq_len: usize,
    calib: &Path,
    keys: &Path,
    extra: &[&str],
) -> std::process::Output {
    let n = seq_len.to_string();
    let mut args = vec![
        "setup",
        model.to_str().unwrap(),
        "--seq-len",
        &n,
        "--calib",
        calib.to_str().unwrap(),
        "-o",
        keys.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    zkllm(&args)
}

#[test]
fn calibrated_key_proves_and_verifies() {
    let dir = tmp("e2e");
    let model = fixture("llama_dynamo");
    // Text calibration and evaluation data, tokenized by the fixtures' tokenizer.
    let text = |file: &str, chars: usize| -> String {
        let t = std::fs::read_to_string(calibration_dir().join(file)).unwrap();
        t.chars().take(chars).collect()
    };
    let (data, eval) = (dir.join("data.txt"), dir.join("eval.txt"));
    std::fs::write(&data, text("pride_and_prejudice_ch1.txt", 300)).unwrap();
    std::fs::write(&eval, text("tale_of_two_cities_ch1.txt", 150)).unwrap();
    let tok_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tokenizer.json");
    let tok = zkllm::tokenize::TextTokenizer::load(&tok_path).unwrap();
    let eval_ids = tok
        .encode(&std::fs::read_to_string(&eval).unwrap(), 128)
        .unwrap();
    let (out, html) = (dir.join("calib.json"), dir.join("report.html"));
    let o = zkllm(&[
        "calibrate",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--tokenizer",
        tok_path.to_str().unwrap(),
        "--eval",
        eval.to_str().unwrap(),
        "--seq-len",
        &SEQ.to_string(),
        "-o",
        out.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
    let r = &j["report"];
    for k in [
        "ppl_float",
        "ppl_quant",
        "ppl_delta",
        "top1_agreement",
        "mean_kl",
        "max_kl",
        "logit_max_abs_err",
        "logit_mean_abs_err",
    ] {
        let v = r[k].as_f64().unwrap_or_else(|| panic!("{k} missing"));
        assert!(v.is_finite(), "{k} = {v}");
    }
    assert!(r["nodes"].as_array().unwrap().len() > 5);
    assert!(!r["softmax"].as_array().unwrap().is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.matches("<svg").count() >= 3);
    assert!(
        !page.contains("src=\"http") && !page.contains("<script"),
        "self-contained"
    );

    // What setup reads: the ranges plus the chosen settings.
    let text = std::fs::read_to_string(&out).unwrap();
    let calib: Calibration = serde_json::from_str(&text).unwrap();
    assert!(calib.config.is_some() && !calib.max_abs.is_empty());
    let graph = pipeline::quantized_graph(&model, SEQ, Some(&calib)).unwrap();
    let pk = pipeline::setup(graph, &|_, _, _| {}).unwrap();
    let ids = &eval_ids[..SEQ];
    let proof = pipeline::prove(&pk, ids, Some(7), &|_, _, _| {}).unwrap();
    pipeline::verify(&pk.vk, &proof, Some(ids)).unwrap();

    // And the CLI's setup takes the file.
    let keys = dir.join("keys");
    let o = setup_cli(&model, SEQ, &out, &keys, &["-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A longer circuit than the calibration windows: accepted, with a warning
    // that the later positions were never seen.
    let o = setup_cli(&model, SEQ * 2, &out, &keys, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("calibrated on windows of {SEQ} tokens"))
            && err.contains("never seen"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_has_every_metric_for_each_family() {
    for name in ["gpt2_dynamo", "qwen2_dynamo", "neox_dynamo", "opt_legacy"] {
        let model = fixture(name);
        let graph = import(
            &model,
            &ImportOptions {
                seq_len: SEQ,
                ..Default::default()
            },
        )
        .unwrap();
        let ids = ascii_ids("pride_and_prejudice_ch1.txt");
        let seqs = vec![ids[..64].to_vec(), ids[64..77].to_vec()];
        let (cw, ew, src) = calibrate::split_windows(calibrate::windows(&seqs, SEQ));
        assert!(src.starts_with("split"), "{src}");
        assert!(
            ew.iter().any(|w| w.len < SEQ),
            "the padded tail window is evaluated"
        );
        let cal =
            calibrate::calibrate(&graph, &cw, &CalibSettings::default(), &|_, _, _| {}).unwrap();
        let rep =
            report::evaluate(&graph, &cal.graph, &ew, &cal.file, &src, &|_, _, _| {}).unwrap();
        for (k, v) in rep.metrics() {
            assert!(v.is_finite(), "{name}: {k} = {v}");
        }
        assert!(rep.ppl_float > 1.0, "{name}: {}", rep.ppl_float);
        assert!(
            rep.top1_agreement > 0.8,
            "{name}: top-1 {}",
            rep.top1_agreement
        );
        assert!(rep.mean_kl < 1e-2, "{name}: KL {}", rep.mean_kl);
        assert!(!rep.nodes.is_empty());
        for n in &rep.nodes {
            assert!(
                n.max_abs_err.is_finite()
                    && n.mean_abs_err.is_finite()
                    && n.mean_abs_err <= n.max_abs_err + 1e-12,
                "{name}: {n:?}"
            );
        }
        for s in &rep.softmax {
            assert!(s.within_bound, "{name}: softmax {s:?}");
        }
        assert!(rep.to_text(&cal.file).contains("perplexity"));
        // The file round-trips and is what setup reads.
        let text = serde_json::to_string(&cal.file).unwrap();
        let back: CalibrationFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back.tensors.len(), cal.file.tensors.len());
        let c: Calibration = serde_json::from_str(&text).unwrap();
        let again = zkllm::quant::quantize(&graph, &c, c.config.as_ref().unwrap()).unwrap();
        assert_eq!(
            again, cal.graph,
            "{name}: the file gives the graph that was measured"
        );
    }
}

#[test]
fn widening_is_reported_with_its_cost() {
    let model = fixture("llama_dynamo");
    let graph = import(
        &model,
        &ImportOptions {
            seq_len: SEQ,
            ..Default::default()
        },
    )
    .unwrap();
    let ids = ascii_ids("pride_and_prejudice_ch1.txt");
    let w = calibrate::windows(&[ids[..40].to_vec()], SEQ);
    // A demanding threshold widens something; the report prices it.
    let s = CalibSettings {
        min_rel_bits: 14.0,
        ..CalibSettings::default()
    };
    let cal = calibrate::calibrate(&graph, &w, &s, &|_, _, _| {}).unwrap();
    let widened: Vec<_> = cal
        .file
        .tensors
        .iter()
        .filter(|t| t.widened_from.is_some())
        .collect();
    assert!(!widened.is_empty());
    for t in &widened {
        assert!(t.bits > t.widened_from.unwrap() && t.bits <= 24, "{t:?}");
        assert_eq!(
            cal.file
                .calibration
                .config
                .as_ref()
                .unwrap()
                .overrides
                .get(&t.name),
            Some(&t.bits)
        );
    }
    let mut rep = report::evaluate(
        &graph,
        &cal.graph,
        &w,
        &cal.file,
        "calibration data",
        &|_, _, _| {},
    )
    .unwrap();
    assert_eq!(rep.widened.len(), widened.len());
    assert!(rep
        .widened
        .iter()
        .all(|w| w.extra_limb_lookups > 0 || w.to_bits.div_ceil(16) == w.from_bits.div_ceil(16)));
    // The tensor's own gain, shown without --ablate: the bits it was widened by.
    for x in &rep.widened {
        let gained = x.rel_bits_to - x.rel_bits_from;
        assert!(
            x.rel_bits_to.is_finite() && (gained - f64::from(x.to_bits - x.from_bits)).abs() < 1e-9,
            "{x:?}"
        );
    }
    report::ablate(&graph, &cal.file, &mut rep, &w, &|_, _, _| {}).unwrap();
    for x in &rep.widened {
        let a = x.at_default_width.as_ref().expect("measured");
        assert!(a.mean_kl.is_finite() && a.ppl_quant.is_finite(), "{x:?}");
    }
    assert!(rep.to_text(&cal.file).contains("at default width"));
    // No widening at all with the threshold off.
    let s0 = CalibSettings {
        min_rel_bits: 0.0,
        ..CalibSettings::default()
    };
    let cal0 = calibrate::calibrate(&graph, &w, &s0, &|_, _, _| {}).unwrap();
    assert!(cal0.file.tensors.iter().all(|t| t.widened_from.is_none()));
    // Presets parse.
    for (p, _) in calibrate::PRESETS {
        assert!(CalibSettings::preset(p).is_some());
    }
    assert!(CalibSettings::from_preset_json("{\"bogus\": 1}")
        .unwrap_err()
        .contains("unknown setting"));
}

#[test]
fn bad_data_files_are_clear_errors() {
    let v = 128;
    let p = |t: &str| calibrate::parse_token_data(t, "data.json", v);
    assert!(matches!(p(""), Err(DataError::Empty { .. })));
    assert!(matches!(p("  \n"), Err(DataError::Empty { .. })));
    assert!(matches!(p("[[1, 2"), Err(DataError::NotJson { .. })));
    assert!(matches!(p("hello world"), Err(DataError::NotJson { .. })));
    assert!(matches!(
        p("{\"tokens\": [1]}"),
        Err(DataError::Shape { .. })
    ));
    assert!(matches!(p("\"text\""), Err(DataError::Shape { .. })));
    assert!(matches!(p("[[1], 2]"), Err(DataError::Shape { .. })));
    assert!(matches!(p("[]"), Err(DataError::NoTokens { .. })));
    assert!(matches!(p("[[], []]"), Err(DataError::NoTokens { .. })));
    assert!(matches!(
        p("[[1, -2]]"),
        Err(DataError::NotTokenId { seq: 0, pos: 1, .. })
    ));
    assert!(matches!(p("[[1, 2.5]]"), Err(DataError::NotTokenId { .. })));
    let e = p("[[1, 2], [3, 128]]").unwrap_err();
    assert!(matches!(
        e,
        DataError::OutOfVocab {
            seq: 1,
            pos: 1,
            id: 128,
            vocab: 128,
            ..
        }
    ));
    assert!(
        e.to_string()
            .contains("outside the model's vocabulary 0..128"),
        "{e}"
    );
    assert_eq!(p("[[1, 2], [3]]").unwrap(), vec![vec![1, 2], vec![3]]);
    assert_eq!(p("[5, 6]").unwrap(), vec![vec![5, 6]]);
    assert_eq!(p("{\"input_ids\": [5, 6]}").unwrap(), vec![vec![5, 6]]);

    // Through the CLI: non-zero exit, the file and the problem named.
    let dir = tmp("bad");
    let model = fixture("gpt2_dynamo");
    for (file, text, want) in [
        ("empty.json", "", "is empty"),
        (
            "wrong.json",
            "{\"a\": 1}",
            "expected a JSON list of token-id sequences",
        ),
        ("broken.json", "[[1, 2,", "is not JSON"),
        (
            "vocab.json",
            "[[1, 2, 3, 999]]",
            "token id 999 is outside the model's vocabulary 0..128",
        ),
    ] {
        let f = dir.join(file);
        std::fs::write(&f, text).unwrap();
        let o = zkllm(&[
            "calibrate",
            model.to_str().unwrap(),
            "--data",
            f.to_str().unwrap(),
            "--seq-len",
            "8",
            "-o",
            dir.join("c.json").to_str().unwrap(),
            "-q",
        ]);
        assert!(!o.status.success(), "{file}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want) && err.contains(file), "{file}: {err}");
    }
    // Text data through a tokenizer: an empty text, and a tokenizer that is not one.
    let tok = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tokenizer.json");
    let not_tok = dir.join("not_tokenizer.json");
    std::fs::write(&not_tok, "[1, 2]").unwrap();
    let (empty, words) = (dir.join("empty.txt"), dir.join("words.txt"));
    std::fs::write(&empty, " \n").unwrap();
    std::fs::write(&words, "it is a truth universally acknowledged").unwrap();
    for (data, tokenizer, want) in [
        (&empty, &tok, "the text is empty"),
        (&words, &not_tok, "not a Hugging Face tokenizer.json"),
    ] {
        let o = zkllm(&[
            "calibrate",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--tokenizer",
            tokenizer.to_str().unwrap(),
            "--seq-len",
            "8",
            "-o",
            dir.join("c.json").to_str().unwrap(),
            "-q",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{err}");
    }
    assert!(!dir.join("c.json").exists(), "nothing written on error");

    // Ranges from too little data: every held-out window is evaluated, the
    // values past their ranges are clamped, and the report gives the rate.
    let (one, eval) = (dir.join("one.json"), dir.join("eval.json"));
    std::fs::write(&one, "[[1, 2, 3, 4, 5, 6, 7, 8]]").unwrap();
    write_json(
        &eval,
        &serde_json::json!([ascii_ids("tale_of_two_cities_ch1.txt")]),
    );
    let model = fixture("llama_dynamo");
    let o = zkllm(&[
        "calibrate",
        model.to_str().unwrap(),
        "--data",
        one.to_str().unwrap(),
        "--eval",
        eval.to_str().unwrap(),
        "--seq-len",
        "8",
        "--headroom",
        "1",
        "-o",
        dir.join("c.json").to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rep = &j["report"];
    let clamped = rep["clamped_values"].as_u64().unwrap();
    assert!(
        clamped > 0,
        "held-out data past the ranges is clamped: {rep}"
    );
    assert!(rep["rescaled_values"].as_u64().unwrap() > clamped);
    assert!(
        rep["windows"].as_u64().unwrap() > 1,
        "every window evaluated"
    );

    // At prove time with that key, a prompt past its ranges is proven with
    // the clamp (counts in out.json, verified); --strict refuses it, naming
    // the tensor; the refusing circuit (setup --no-saturate) names the
    // worst value (tensor, position, by how much) before any proof.
    let keys = dir.join("keys");
    let o = setup_cli(&model, 8, &dir.join("c.json"), &keys, &["-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let input = dir.join("input.json");
    let wild = ascii_ids("tale_of_two_cities_ch1.txt");
    write_json(&input, &serde_json::json!({ "input_ids": &wild[..8] }));
    let (proof, out) = (dir.join("proof.bin"), dir.join("out.json"));
    let prove = |keys: &Path, extra: &[&str]| {
        let pk = keys.join("model.pk");
        let mut args = vec![
            "prove",
            "--pk",
            pk.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "-o",
            proof.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        zkllm(&args)
    };
    let o = prove(&keys, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(written["clamped_values"].as_u64().unwrap() > 0, "{written}");
    let vk = keys.join("model.vk");
    let o = zkllm(&[
        "verify",
        "--vk",
        vk.to_str().unwrap(),
        "--proof",
        proof.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["public_output"]["clamped"], written["clamped"]);
    std::fs::remove_file(&proof).unwrap();
    let o = prove(&keys, &["--strict"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--strict"), "{err}");
    assert!(!proof.exists(), "no proof written under --strict");
    let refusing = dir.join("refusing");
    let o = setup_cli(
        &model,
        8,
        &dir.join("c.json"),
        &refusing,
        &["-q", "--no-saturate"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = prove(&refusing, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "proved out-of-range data: {err}");
    assert!(
        (err.contains("does not fit") && err.contains("over by a factor"))
            || (err.contains("outside the table") && err.contains(" by ")),
        "{err}"
    );
    assert!(err.contains("at position"), "{err}");
    assert!(
        !proof.exists(),
        "no proof written for an input past its ranges"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fixpoint: with ranges too tight for the exact integer run (headroom
/// below 1, so the float ranges cannot cover it), calibration still
/// succeeds, says which ranges it widened, and the result fits every
/// calibration window. With a comfortable headroom it changes nothing.
#[test]
fn calibration_reaches_a_fixpoint_on_its_own_data() {
    for family in ["llama_dynamo", "gpt2_dynamo", "odd_dims"] {
        let model = fixture(family);
        let graph = import(
            &model,
            &ImportOptions {
                seq_len: SEQ,
                ..Default::default()
            },
        )
        .unwrap();
        let vocab = pipeline::vocab_size(&graph) as i64;
        let ids: Vec<i64> = ascii_ids("pride_and_prejudice_ch1.txt")[..64]
            .iter()
            .map(|t| t % vocab)
            .collect();
        let w = calibrate::windows(&[ids], SEQ);
        let mut tight = CalibSettings::default();
        tight.quant.headroom = 0.8;
        let cal = calibrate::calibrate(&graph, &w, &tight, &|_, _, _| {})
            .unwrap_or_else(|e| panic!("{family}: {e}"));
        assert!(
            !cal.file.fixpoint.is_empty(),
            "{family}: a headroom of 0.8 needs widened ranges"
        );
        let rounds = cal.file.fixpoint.iter().map(|c| c.round).max().unwrap_or(0);
        eprintln!(
            "{family}: {} ranges widened in {rounds} round(s)",
            cal.file.fixpoint.len()
        );
        for c in &cal.file.fixpoint {
            assert!(c.factor > 1.0, "{family}: {c:?}");
            assert!(
                cal.file.calibration.max_abs.contains_key(&c.tensor)
                    || cal.file.calibration.norms.contains_key(&c.tensor),
                "{family}: {c:?} names a calibrated tensor"
            );
        }
        for (i, win) in w.iter().enumerate() {
            zkllm::witness::generate(&cal.graph, &win.ids)
                .unwrap_or_else(|e| panic!("{family}: window {i} does not fit: {e}"));
        }
        // The probe the fixpoint runs on: on the tight graph it runs to the
        // end and reports what a plain run stops at, and what lies past it.
        let mut float_ranges = Calibration::default();
        for win in &w {
            let vals = zkllm::ir::float::eval(&graph, &win.ids).unwrap();
            float_ranges.merge_float_run(&graph, &vals);
        }
        let tight_graph = zkllm::quant::quantize(&graph, &float_ranges, &tight.quant);
        // A widened range keeps its scale: it gains the bits its overflow
        // needs, so its fraction bits are no coarser than on the tight graph.
        if let Ok(tg) = &tight_graph {
            let quant_of = |g: &zkllm::ir::Graph, name: &str| {
                g.nodes
                    .iter()
                    .find(|n| n.name == name)
                    .and_then(|n| n.quant)
            };
            let mut kept = 0;
            for c in cal.file.fixpoint.iter().filter(|c| c.bits.is_some()) {
                let [from, to] = c.bits.unwrap();
                assert!(to > from, "{family}: {c:?}");
                let (Some(before), Some(after)) =
                    (quant_of(tg, &c.tensor), quant_of(&cal.graph, &c.tensor))
                else {
                    continue;
                };
                assert!(after.bits >= to, "{family}: {c:?} ends at {after:?}");
                if c.round == 1 {
                    assert!(
                        after.frac_bits >= before.frac_bits,
                        "{family}: {c:?} coarsened from {before:?} to {after:?}"
                    );
                    kept += 1;
                }
            }
            assert!(kept > 0, "{family}: no widened tensor kept its scale");
        }
        if let Ok(tg) = tight_graph {
            let mut probed = 0;
            for win in &w {
                let (pw, found) = zkllm::witness::probe(&tg, &win.ids).unwrap();
                probed += pw.clamped.len();
                // Without clamps the two runs are the same run; where the
                // plain run stops, the probe goes on and reports.
                match zkllm::witness::generate(&tg, &win.ids) {
                    Ok(w) if w.clamped.is_empty() => assert!(found.is_empty()),
                    Ok(_) => {}
                    Err(e) => assert!(!found.is_empty(), "{family}: the probe misses {e}"),
                }
                probed += found.len();
            }
            eprintln!("{family}: the probe found {probed} clamped or out-of-range tensors on the tight graph");
            assert!(
                probed > 0,
                "{family}: the tight graph leaves its ranges somewhere"
            );
        }
        let cal =
            calibrate::calibrate(&graph, &w, &CalibSettings::default(), &|_, _, _| {}).unwrap();
        assert!(
            cal.file.fixpoint.is_empty(),
            "{family}: {:?}",
            cal.file.fixpoint
        );
    }
}

/// A JSON list of token-id windows given with `--tokenizer` is read as ids
/// (with a note), not tokenized as prose; JSON ids outside the vocabulary
/// are an error naming the position, not text.
#[test]
fn token_id_json_is_not_tokenized_as_text() {
    let d = tmp("json-ids");
    let data = d.join("ids.json");
    let ids: Vec<Vec<i64>> = (0..3)
        .map(|w| (0..8).map(|i| (w * 8 + i) % 128).collect())
        .collect();
    write_json(&data, &serde_json::json!(ids));
    let tok = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tokenizer.json");
    let out = d.join("calib.json");
    let model = fixture("llama_dynamo");
    let calibrate = || {
        zkllm(&[
            "calibrate",
            model.to_str().unwrap(),
            "--tokenizer",
            tok.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--seq-len",
            "8",
            "-o",
            out.to_str().unwrap(),
            "-q",
        ])
    };
    let o = calibrate();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("JSON list of token ids"), "{err}");
    let file: CalibrationFile =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        file.tokens, 16,
        "the ids themselves (3 windows of 8, one held out)"
    );
    write_json(&data, &serde_json::json!([[1, 2, 500]]));
    let o = calibrate();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("outside the model's vocabulary"), "{err}");
}

/// `--headroom auto`: calibrated on the first three quarters of the
/// windows, each headroom tried is run on the held-back quarter. The chosen
/// one clamps nothing there (re-checked here, independently of the trial's
/// own count), every smaller candidate tried clamps, the file records the
/// choice, and the calibration of all windows uses it. With one window
/// there is nothing to hold back: a clear error, not a guess.
#[test]
fn headroom_auto_picks_the_smallest_clamp_free_candidate() {
    let model = fixture("llama_dynamo");
    let graph = import(
        &model,
        &ImportOptions {
            seq_len: SEQ,
            ..Default::default()
        },
    )
    .unwrap();
    let ids = ascii_ids("tale_of_two_cities_ch1.txt")[..96].to_vec();
    let w = calibrate::windows(&[ids], SEQ);
    let settings = CalibSettings::default();
    let cal = calibrate::choose_headroom(&graph, &w, &settings, &|_, _, _| {}).unwrap();
    let auto = cal
        .file
        .headroom_auto
        .clone()
        .expect("the choice is recorded");
    eprintln!("{auto:?}");
    assert_eq!(auto.fit_windows + auto.held_back_windows, w.len());
    assert_eq!(auto.held_back_windows, w.len().div_ceil(4));
    assert!(calibrate::AUTO_HEADROOMS.contains(&auto.chosen));
    assert_eq!(cal.file.calibration.config.unwrap().headroom, auto.chosen);
    assert!(
        auto.clamp_free,
        "some candidate clamps nothing on this data"
    );
    for t in &auto.trials {
        let fits = t.clamped_values == 0 && t.refused_windows == 0;
        if t.headroom < auto.chosen {
            assert!(
                !fits,
                "a smaller clamp-free candidate was passed over: {t:?}"
            );
        }
        if t.headroom == auto.chosen {
            assert!(fits, "{t:?}");
        }
    }
    // The chosen headroom, calibrated on the fitting part alone, clamps
    // nothing on the held-back part.
    let (fit, back) = w.split_at(auto.fit_windows);
    let mut s = settings.clone();
    s.quant.headroom = auto.chosen;
    let part = calibrate::calibrate(&graph, fit, &s, &|_, _, _| {}).unwrap();
    for win in back {
        let wit = zkllm::witness::generate(&part.graph, &win.ids).unwrap();
        assert!(wit.clamped.is_empty(), "{:?}", wit.clamped);
    }

    let err = calibrate::choose_headroom(&graph, &w[..1], &settings, &|_, _, _| {})
        .err()
        .expect("one window cannot be split")
        .to_string();
    assert!(
        err.contains("--headroom auto") && err.contains("1 window"),
        "{err}"
    );
}

/// `calibrate --headroom auto` on the command line reports the choice and
/// writes it to calib.json; a headroom that is neither a number nor `auto`
/// is refused naming the flag.
#[test]
fn headroom_auto_on_the_command_line() {
    let d = tmp("headroom-auto");
    let data = d.join("ids.json");
    let ids: Vec<i64> = ascii_ids("pride_and_prejudice_ch1.txt")[..64].to_vec();
    write_json(&data, &serde_json::json!([ids]));
    let out = d.join("calib.json");
    let model = fixture("gpt2_dynamo");
    let run = |h: &str| {
        zkllm(&[
            "calibrate",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--seq-len",
            "8",
            "--headroom",
            h,
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let o = run("auto");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("headroom auto: chose"), "{stderr}");
    let file: CalibrationFile =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let auto = file.headroom_auto.expect("recorded in calib.json");
    assert_eq!(file.calibration.config.unwrap().headroom, auto.chosen);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("auto chose {}", auto.chosen)));

    let o = run("lots");
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--headroom") && stderr.contains("lots"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Every built-in preset converges on a deliberately tiny calibration set
/// (one window of 8 tokens) and writes calib.json and its report, evaluated
/// on another text whose ranges the window does not cover: what leaves a
/// range there is clamped and counted, never an error.
#[test]
fn every_preset_converges_on_a_tiny_calibration_set() {
    let d = tmp("presets-tiny");
    let (data, eval) = (d.join("data.json"), d.join("eval.json"));
    let ids = ascii_ids("pride_and_prejudice_ch1.txt");
    write_json(&data, &serde_json::json!([ids[..SEQ].to_vec()]));
    let other = ascii_ids("tale_of_two_cities_ch1.txt");
    write_json(&eval, &serde_json::json!([other[..4 * SEQ].to_vec()]));
    let model = fixture("llama_dynamo");
    for (preset, _) in calibrate::PRESETS {
        let (out, html) = (
            d.join(format!("{preset}.json")),
            d.join(format!("{preset}.html")),
        );
        let o = zkllm(&[
            "calibrate",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--eval",
            eval.to_str().unwrap(),
            "--seq-len",
            &SEQ.to_string(),
            "--preset",
            preset,
            "-o",
            out.to_str().unwrap(),
            "--report",
            html.to_str().unwrap(),
            "--json",
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "--preset {preset}: {stderr}");
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
        let r = &j["report"];
        assert!(
            r["ppl_quant"].as_f64().is_some_and(f64::is_finite)
                && r["top1_agreement"].as_f64().is_some_and(f64::is_finite),
            "--preset {preset}: {r}"
        );
        assert!(
            r["clamped_values"].as_u64().is_some() && r["rescaled_values"].as_u64() > Some(0),
            "--preset {preset}: the report gives the clamp rate's terms: {r}"
        );
        let file: CalibrationFile =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let graph = pipeline::quantized_graph(&model, SEQ, Some(&file.calibration)).unwrap();
        // With a 24-bit residual stream the exact sums (a norm's sum of
        // squares, a projection's accumulator) pass 48 bits; the quantized
        // graph passed the key check, which `quantized_graph` runs (a key
        // limited to 48 bits was once written and then refused at load).
        if file.calibration.config.as_ref().unwrap().residual_bits == 24 {
            let widest = graph
                .nodes
                .iter()
                .filter_map(|n| n.quant)
                .map(|q| q.bits)
                .max();
            assert!(
                widest > Some(48),
                "--preset {preset}: widest node {widest:?}"
            );
            zkllm::artifacts::check_key_graph(&graph, zkllm::ir::check::WeightData::Present)
                .unwrap_or_else(|e| panic!("--preset {preset}: {e}"));
        }
        // Converged: the calibration window fits the quantized graph.
        zkllm::witness::generate(&graph, &ids[..SEQ])
            .unwrap_or_else(|e| panic!("--preset {preset}: its own window does not fit: {e}"));
        assert!(std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!DOCTYPE html>"));
    }
    let _ = std::fs::remove_dir_all(&d);
}
