//! setup → prove → verify through the same library calls the CLI makes, on
//! every fixture family; and the file-level security checks.

mod import_common;

use import_common::{fixtures_dir, load_ref};
use zkllm::artifacts::{check_header, ProofFile, ProvingKey, VerifyingKey, PROOF_FILE_MAGIC};
use zkllm::import::{tract_logits, ImportOptions};
use zkllm::pipeline::{self, PipelineError};

fn setup(name: &str, seq: usize) -> ProvingKey {
    let path = fixtures_dir().join(format!("{name}.onnx"));
    let graph =
        pipeline::quantized_graph(&path, seq, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    pipeline::setup(graph, &|_, _, _| {}).unwrap()
}

fn top2(v: &[f32]) -> (usize, f32) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].partial_cmp(&v[a]).unwrap());
    (idx[0], v[idx[0]] - v[idx[1]])
}

/// The fixtures cover both rotary conventions and grouped-query attention, so
/// the round trips below prove them (a change in the exporters or in tract's
/// rewrites that hid them would make those tests vacuous).
#[test]
fn fixtures_cover_both_rotary_forms_and_gqa() {
    use zkllm::ir::Op;
    let rotary = |name: &str| -> Vec<bool> {
        let g = pipeline::quantized_graph(&fixtures_dir().join(format!("{name}.onnx")), 8, None)
            .unwrap();
        g.nodes
            .iter()
            .filter_map(|n| match n.op {
                Op::Rotary { interleaved, .. } => Some(interleaved),
                _ => None,
            })
            .collect()
    };
    for (name, interleaved) in [
        ("llama_dynamo", false),
        ("neox_dynamo", false),
        ("gptj_dynamo", true),
        ("gptj_legacy", true),
    ] {
        let forms = rotary(name);
        assert_eq!(forms.len(), 4, "{name}: q and k of two layers: {forms:?}");
        assert!(forms.iter().all(|&f| f == interleaved), "{name}: {forms:?}");
    }
    // GQA: LLaMA's K and V projections have half the columns of Q's (2 of 4 heads).
    let g = pipeline::quantized_graph(&fixtures_dir().join("llama_dynamo.onnx"), 8, None).unwrap();
    let mut widths: Vec<usize> = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }) && n.shape.len() == 2 && n.shape[0] == 64)
        .map(|n| n.shape[1])
        .collect();
    widths.sort();
    assert!(
        widths.contains(&32) && widths.contains(&64),
        "llama_dynamo is not a GQA export: projection widths {widths:?}"
    );
}

#[test]
fn every_family_proves_and_verifies() {
    for name in [
        "gpt2_dynamo",
        "llama_dynamo",
        "opt_dynamo",
        "qwen2_dynamo",
        "neox_dynamo",
        "gptj_dynamo",
        "gpt2_legacy_masks",
        "llama_legacy",
    ] {
        let reference = load_ref(name);
        let ids = &reference.input_ids;
        let pk = setup(name, ids.len());
        let proof = pipeline::prove(&pk, ids, Some(1), &|_, _, _| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        pipeline::verify(&pk.vk, &proof, Some(ids)).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The proven next token is tract's float argmax where the float margin is clear.
        let path = fixtures_dir().join(format!("{name}.onnx"));
        let opts = ImportOptions {
            seq_len: ids.len(),
            ..Default::default()
        };
        let float = tract_logits(&path, &opts, ids).unwrap();
        let vocab = proof.statement.logits.len();
        let (want, margin) = top2(&float[(ids.len() - 1) * vocab..]);
        let got = pipeline::argmax(&proof.statement.logits);
        println!(
            "{name}: next token {got} (float {want}, margin {margin:.3}), proof {} bytes",
            proof.to_bytes().len()
        );
        if margin > 0.05 {
            assert_eq!(
                got, want,
                "{name}: proven next token differs from tract's float argmax"
            );
        }
        // Every position's logits can be public too (checked on two families).
        if name == "gpt2_dynamo" || name == "llama_dynamo" {
            let all = pipeline::prove_with(
                &pk,
                ids,
                pipeline::Publish::AllLogits,
                Some(4),
                &|_, _, _| {},
            )
            .unwrap();
            assert_eq!(
                all.statement.last_logits(),
                proof.statement.logits.as_slice()
            );
            pipeline::verify(&pk.vk, &all, Some(ids)).unwrap_or_else(|e| panic!("{name} all: {e}"));
            let mut edited = all.clone();
            edited.statement.logits[0] += 1;
            assert!(
                pipeline::verify(&pk.vk, &edited, None).is_err(),
                "{name}: edited first-position logit accepted"
            );
        }
        // Shorter prompts are padded and masked.
        let short = &ids[..ids.len() / 2];
        let p = pipeline::prove(&pk, short, Some(2), &|_, _, _| {}).unwrap();
        pipeline::verify(&pk.vk, &p, Some(short)).unwrap_or_else(|e| panic!("{name} short: {e}"));
    }
}

/// Re-wraps a proof body with a valid header, as an attacker could.
fn rewrap(body: &[u8]) -> ProofFile {
    ProofFile::from_body(body, "tampered").expect("still parses")
}

#[test]
fn security_checks() {
    let dir = std::env::temp_dir().join(format!("zkllm-sec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids = load_ref("gpt2_dynamo").input_ids;
    let pk = setup("gpt2_dynamo", ids.len());
    let proof = pipeline::prove(&pk, &ids, Some(3), &|_, _, _| {}).unwrap();
    let proof_path = dir.join("proof.bin");
    proof.save(&proof_path).unwrap();
    let bytes = std::fs::read(&proof_path).unwrap();

    // 1. Flipping any of 240 bytes spread over the file is rejected.
    for k in 0..240 {
        let i = k * (bytes.len() - 1) / 239;
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        let p = dir.join("flipped.bin");
        std::fs::write(&p, &b).unwrap();
        let ok = ProofFile::load(&p)
            .ok()
            .is_some_and(|pf| pipeline::verify(&pk.vk, &pf, None).is_ok());
        assert!(!ok, "flip at byte {i} accepted");
    }
    // 2. Tampering inside the body, with a recomputed checksum, is rejected by the verifier.
    let body = check_header(&bytes, PROOF_FILE_MAGIC, "proof", "x")
        .unwrap()
        .to_vec();
    for k in 0..16 {
        let i = 32 + k * (body.len() - 33) / 15;
        let mut b = body.clone();
        b[i] ^= 0x01;
        if let Ok(pf) = ProofFile::from_body(&b, "tampered") {
            assert!(
                pipeline::verify(&pk.vk, &pf, None).is_err(),
                "body flip at {i} accepted"
            );
        }
    }
    // 3. Edited public logits.
    let mut pf = rewrap(&body);
    pf.statement.logits[3] += 1;
    assert!(pipeline::verify(&pk.vk, &pf, None).is_err());
    // 4. Changed input ids: in the proof, or as the verifier's expected input.
    let mut pf = rewrap(&body);
    pf.statement.ids[0] = (pf.statement.ids[0] + 1) % 100;
    assert!(pipeline::verify(&pk.vk, &pf, None).is_err());
    let mut other = ids.clone();
    other[1] = (other[1] + 1) % 100;
    assert!(matches!(
        pipeline::verify(&pk.vk, &proof, Some(&other)),
        Err(PipelineError::Input(_))
    ));
    // 5. Another model's verifying key.
    let other_pk = setup("llama_dynamo", 8);
    assert!(matches!(
        pipeline::verify(&other_pk.vk, &proof, None),
        Err(PipelineError::WrongModel { .. })
    ));
    // 6. A verifying key with swapped weight commitments: its digest changes, and
    //    even a proof re-bound to that digest fails in the circuit.
    let mut vk = pk.vk.clone();
    let n = vk.weights.len();
    let j = (1..n)
        .find(|&j| {
            vk.weights[j].num_vars == vk.weights[0].num_vars && vk.weights[j] != vk.weights[0]
        })
        .unwrap();
    vk.weights.swap(0, j);
    assert!(pipeline::verify(&vk, &proof, None).is_err());
    let mut rebound = proof.clone();
    rebound.vk_digest = vk.digest();
    assert!(pipeline::verify(&vk, &rebound, None).is_err());
    // 7. Truncated or corrupted key files are clear errors.
    let vk_path = dir.join("model.vk");
    pk.vk.save(&vk_path).unwrap();
    let vk_bytes = std::fs::read(&vk_path).unwrap();
    for cut in [0, 7, 20, 44, vk_bytes.len() / 2, vk_bytes.len() - 1] {
        std::fs::write(&vk_path, &vk_bytes[..cut]).unwrap();
        assert!(
            VerifyingKey::load(&vk_path).is_err(),
            "truncated vk at {cut} accepted"
        );
    }
    std::fs::write(&vk_path, &bytes).unwrap();
    let err = VerifyingKey::load(&vk_path).unwrap_err().to_string();
    assert!(err.contains("not a zkllm verifying key"), "{err}");
    // A key from another format version names it and says what to do.
    let mut old_version = vk_bytes.clone();
    old_version[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(&vk_path, &old_version).unwrap();
    let err = VerifyingKey::load(&vk_path).unwrap_err().to_string();
    assert!(
        err.contains("format version 1") && err.contains("run `zkllm setup` again"),
        "{err}"
    );
    let pk_path = dir.join("model.pk");
    pk.save(&pk_path).unwrap();
    let mut pkb = std::fs::read(&pk_path).unwrap();
    let mid = pkb.len() / 2;
    pkb[mid] ^= 0xff;
    std::fs::write(&pk_path, &pkb).unwrap();
    assert!(ProvingKey::load(&pk_path)
        .unwrap_err()
        .to_string()
        .contains("corrupted"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_inputs_are_clear_errors() {
    let ids = load_ref("llama_dynamo").input_ids;
    let pk = setup("llama_dynamo", ids.len());
    let too_long: Vec<i64> = ids.iter().chain(&ids).copied().collect();
    let e = pipeline::prove(&pk, &too_long, Some(1), &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("--seq-len"), "{e}");
    let e = pipeline::prove(&pk, &[1, 100_000], Some(1), &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the vocabulary"), "{e}");
    assert!(pipeline::prove(&pk, &[], Some(1), &|_, _, _| {}).is_err());
    let e = pipeline::quantized_graph(&fixtures_dir().join("gpt2_dynamo.ref.json"), 8, None)
        .unwrap_err()
        .to_string();
    assert!(!e.is_empty());
}
