//! Clear refusals: every malformed input gets its own error, never a panic.

mod import_common;

use std::path::PathBuf;

use import_common::{fixtures_dir, load_ref};
use zkllm::import::{import, ImportError, ImportOptions};
use zkllm::ir::float;
use zkllm::quant::{quantize, Calibration, QuantConfig};
use zkllm::witness::{self, WitnessError};

fn opts(seq_len: usize) -> ImportOptions {
    ImportOptions {
        seq_len,
        ..Default::default()
    }
}

fn malformed(name: &str) -> PathBuf {
    fixtures_dir().join("malformed").join(name)
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zkllm-import-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn missing_file() {
    let e = import(&fixtures_dir().join("does_not_exist.onnx"), &opts(4)).unwrap_err();
    assert!(matches!(e, ImportError::Io { .. }), "{e}");
}

#[test]
fn not_onnx_and_truncated() {
    let text = scratch("text.onnx", b"this is not a model\n");
    let e = import(&text, &opts(4)).unwrap_err();
    assert!(matches!(e, ImportError::NotOnnx { .. }), "{e}");

    let full = std::fs::read(fixtures_dir().join("llama_dynamo.onnx")).unwrap();
    for cut in [10, 1000, full.len() / 2, full.len() - 7] {
        let p = scratch(&format!("truncated_{cut}.onnx"), &full[..cut]);
        let e = import(&p, &opts(4)).unwrap_err();
        assert!(
            matches!(e, ImportError::NotOnnx { .. } | ImportError::Tract { .. }),
            "cut {cut}: {e}"
        );
    }
}

#[test]
fn no_input_ids() {
    let e = import(&malformed("no_input_ids.onnx"), &opts(4)).unwrap_err();
    assert!(matches!(e, ImportError::NoInputIds { .. }), "{e}");
    assert!(e.to_string().contains("tokens"));
}

#[test]
fn kv_cache_inputs_refused() {
    let e = import(&malformed("kv_cache.onnx"), &opts(4)).unwrap_err();
    assert!(matches!(e, ImportError::KvCache { .. }), "{e}");
    assert!(e.to_string().contains("past_key_values.0.key"));
}

#[test]
fn every_unsupported_op_is_listed() {
    let e = import(&malformed("unsupported.onnx"), &opts(4)).unwrap_err();
    let ImportError::Unsupported(list) = &e else {
        panic!("{e}")
    };
    let nodes: Vec<&str> = list.iter().map(|u| u.node.as_str()).collect();
    assert_eq!(nodes, ["the_sin", "the_abs"], "{e}");
    assert!(list.iter().all(|u| !u.op.is_empty() && !u.why.is_empty()));
}

#[test]
fn symbolic_dims_must_be_bound() {
    let e = import(&malformed("extra_dim.onnx"), &opts(4)).unwrap_err();
    assert!(
        matches!(&e, ImportError::UnboundDims { missing } if missing == &["heads".to_string()]),
        "{e}"
    );
    let mut o = opts(4);
    o.dims.insert("heads".into(), 2);
    let g = import(&malformed("extra_dim.onnx"), &o).unwrap();
    assert_eq!(g.nodes[g.output].shape, vec![1, 4, 16]);
}

#[test]
fn sequence_length_limits() {
    // GPT-2's learned position table has 64 rows; OPT's 64 + 2 offset rows.
    for f in ["gpt2_dynamo.onnx", "opt_dynamo.onnx"] {
        let e = import(&fixtures_dir().join(f), &opts(65)).unwrap_err();
        assert!(
            matches!(e, ImportError::SeqLen { limit: 64, .. }),
            "{f}: {e}"
        );
        assert!(import(&fixtures_dir().join(f), &opts(64)).is_ok(), "{f}");
    }
    let e = import(&fixtures_dir().join("llama_dynamo.onnx"), &opts(0)).unwrap_err();
    assert!(matches!(e, ImportError::SeqLen { .. }), "{e}");
    // GPT-J's rotary sin/cos table has 64 rows and is gathered by position:
    // tract asserts (panics) while typing a longer sequence. That is an
    // error naming the stage and the likely cause, not a crash.
    let e = import(&fixtures_dir().join("gptj_dynamo.onnx"), &opts(128)).unwrap_err();
    assert!(
        matches!(e, ImportError::Tract { stage: "type", .. })
            && e.to_string().contains("--seq-len"),
        "{e}"
    );
}

#[test]
fn witness_rejects_bad_tokens_and_reports_ranges() {
    let path = fixtures_dir().join("llama_dynamo.onnx");
    let r = load_ref("llama_dynamo");
    let g = import(&path, &opts(r.input_ids.len())).unwrap();
    let values = float::eval(&g, &r.input_ids).unwrap();
    let calib = Calibration::from_float_run(&g, &values);
    let q = quantize(&g, &calib, &QuantConfig::default()).unwrap();

    let mut bad = r.input_ids.clone();
    bad[3] = r.vocab as i64;
    assert_eq!(
        witness::generate(&q, &bad).unwrap_err(),
        WitnessError::TokenId {
            pos: 3,
            id: r.vocab as i64,
            vocab: r.vocab
        }
    );
    assert!(matches!(
        witness::generate(&q, &r.input_ids[..3]),
        Err(WitnessError::InputLength { .. })
    ));

    // Scales picked from ranges 4x too small: the refusing circuit's
    // witness names the first tensor that leaves its width or its table,
    // with the position and amount (a saturating one clamps instead).
    let mut small = calib.clone();
    small.max_abs.values_mut().for_each(|m| *m /= 4.0);
    let q = quantize(
        &g,
        &small,
        &QuantConfig {
            headroom: 1.0,
            saturate: false,
            ..QuantConfig::default()
        },
    )
    .unwrap();
    let e = witness::generate(&q, &r.input_ids).unwrap_err();
    match &e {
        WitnessError::OutOfRange {
            name, bits, factor, ..
        } => {
            assert!(!name.is_empty() && *bits == 16 && *factor >= 1.0, "{e}")
        }
        WitnessError::OutsideTable { name, by, .. } => assert!(!name.is_empty() && *by > 0, "{e}"),
        other => panic!("unexpected {other}"),
    }
    assert!(e.to_string().contains("position"), "{e}");
}

#[test]
fn quantized_graph_round_trips_through_serde() {
    let path = fixtures_dir().join("gpt2_dynamo.onnx");
    let r = load_ref("gpt2_dynamo");
    let g = import(&path, &opts(r.input_ids.len())).unwrap();
    let values = float::eval(&g, &r.input_ids).unwrap();
    let q = quantize(
        &g,
        &Calibration::from_float_run(&g, &values),
        &QuantConfig::default(),
    )
    .unwrap();
    let json = serde_json::to_string(&q).unwrap();
    let back: zkllm::ir::Graph = serde_json::from_str(&json).unwrap();
    assert_eq!(back, q);
    assert_eq!(
        witness::generate(&back, &r.input_ids).unwrap(),
        witness::generate(&q, &r.input_ids).unwrap()
    );
}
