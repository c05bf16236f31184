//! setup → prove → verify through the same library calls the CLI makes, on
//! every fixture family; and the file-level security checks.

mod import_common;

use import_common::{fixtures_dir, load_ref};
use zkllm::artifacts::{
    check_header, ArtifactError, ProofFile, ProvingKey, VerifyingKey, PROOF_FILE_MAGIC,
};
use zkllm::import::{tract_logits, ImportOptions};
use zkllm::pipeline::{self, PipelineError};
use zkllm::wire::Wire;

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
        let proof = pipeline::prove_clear(&pk, ids, Some(1), &|_, _, _| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        pipeline::verify_allowing_clear(&pk.vk, &proof, Some(ids))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
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
            let all = pipeline::prove_clear_with(
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
            pipeline::verify_allowing_clear(&pk.vk, &all, Some(ids))
                .unwrap_or_else(|e| panic!("{name} all: {e}"));
            let mut edited = all.clone();
            edited.statement.logits[0] += 1;
            assert!(
                pipeline::verify_allowing_clear(&pk.vk, &edited, None).is_err(),
                "{name}: edited first-position logit accepted"
            );
        }
        // Shorter prompts are padded and masked.
        let short = &ids[..ids.len() / 2];
        let p = pipeline::prove_clear(&pk, short, Some(2), &|_, _, _| {}).unwrap();
        pipeline::verify_allowing_clear(&pk.vk, &p, Some(short))
            .unwrap_or_else(|e| panic!("{name} short: {e}"));
    }
}

/// Re-wraps a proof body with a valid header, as an attacker could.
fn rewrap(body: &[u8]) -> ProofFile {
    ProofFile::from_body(body, "tampered").expect("still parses")
}

/// Which check of `pipeline::verify` refused a proof.
fn refused_by(e: &PipelineError) -> &'static str {
    match e {
        PipelineError::WrongModel { .. } => "key digest",
        PipelineError::Statement(_) => "statement",
        PipelineError::Input(_) => "input",
        PipelineError::Circuit(_) => "circuit",
        _ => "other",
    }
}

#[test]
fn security_checks() {
    let dir = std::env::temp_dir().join(format!("zkllm-sec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids = load_ref("gpt2_dynamo").input_ids;
    let pk = setup("gpt2_dynamo", ids.len());
    let proof = pipeline::prove_clear(&pk, &ids, Some(3), &|_, _, _| {}).unwrap();
    let proof_path = dir.join("proof.bin");
    proof.save(&proof_path).unwrap();
    let bytes = std::fs::read(&proof_path).unwrap();
    let body = check_header(&bytes, PROOF_FILE_MAGIC, "proof", "x")
        .unwrap()
        .to_vec();
    assert_eq!(body, proof.to_bytes());

    // 1. The file's header: a flipped byte anywhere in the file is caught
    //    before the body is parsed (magic, version, or the SHA-256 of the body).
    let p = dir.join("flipped.bin");
    for i in [
        0,
        7,
        8,
        11,
        12,
        43,
        44,
        44 + body.len() / 2,
        bytes.len() - 1,
    ] {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        std::fs::write(&p, &b).unwrap();
        let e = ProofFile::load(&p).unwrap_err();
        let want = match i {
            0..8 => matches!(e, ArtifactError::Magic { .. }),
            8..12 => matches!(e, ArtifactError::Version { .. }),
            _ => matches!(e, ArtifactError::Checksum { .. }),
        };
        assert!(want, "flip at file byte {i}: {e}");
    }

    // 2. The body, re-wrapped with a valid header (as an attacker would):
    //    240 flips spread over the body. Most still parse (scalars of the
    //    proof, and points whose flipped x is still on the curve: a proof's
    //    points are not subgroup-checked, see `wire::PointCheck`); every one that
    //    parses must be refused by `pipeline::verify`, a flip in the key
    //    digest by the digest check, and a flip in the circuit proof by the
    //    circuit verifier (so the loop fails if `circuit::verify` is stubbed).
    let proof_at = body.len() - proof.proof.to_bytes().len();
    let (mut parsed, mut in_proof, mut in_proof_parsed) = (0, 0, 0);
    let mut tally = std::collections::BTreeMap::<&str, usize>::new();
    for k in 0..240 {
        let i = k * (body.len() - 1) / 239;
        let mut b = body.clone();
        b[i] ^= 0x10;
        in_proof += usize::from(i >= proof_at);
        let Ok(pf) = ProofFile::from_body(&b, "tampered") else {
            continue;
        };
        parsed += 1;
        let e = pipeline::verify_allowing_clear(&pk.vk, &pf, None)
            .map(|()| format!("body flip at {i} accepted"))
            .unwrap_err();
        let by = refused_by(&e);
        *tally.entry(by).or_default() += 1;
        if i < 32 {
            assert_eq!(by, "key digest", "flip at {i} (key digest): {e}");
        } else if i >= proof_at {
            in_proof_parsed += 1;
            assert_eq!(by, "circuit", "flip at {i} (circuit proof): {e}");
        }
    }
    println!(
        "body flips: {parsed} of 240 parsed ({in_proof_parsed} of {in_proof} in the circuit proof), refused by {tally:?}"
    );
    assert!(
        2 * parsed >= 240,
        "only {parsed} of 240 flipped bodies parsed"
    );
    assert!(
        2 * in_proof_parsed >= in_proof,
        "only {in_proof_parsed} of {in_proof} flips in the circuit proof parsed"
    );
    //    The statement (ids, position, output kind, logits, scale) is a
    //    small part of the body: flips across all of it, each refused.
    let statement = 32..proof_at;
    let step = (statement.len() / 40).max(1);
    let (mut tried, mut st_parsed) = (0, 0);
    let mut st_tally = std::collections::BTreeMap::<&str, usize>::new();
    for i in statement.step_by(step) {
        tried += 1;
        let mut b = body.clone();
        b[i] ^= 0x01;
        let Ok(pf) = ProofFile::from_body(&b, "tampered") else {
            continue;
        };
        st_parsed += 1;
        let e = pipeline::verify_allowing_clear(&pk.vk, &pf, None)
            .map(|()| format!("statement flip at {i} accepted"))
            .unwrap_err();
        *st_tally.entry(refused_by(&e)).or_default() += 1;
    }
    println!("statement flips: {st_parsed} of {tried} parsed, refused by {st_tally:?}");
    assert!(2 * st_parsed >= tried, "only {st_parsed} of {tried} parsed");
    // 3. Edited public logits.
    let mut pf = rewrap(&body);
    pf.statement.logits[3] += 1;
    assert!(matches!(
        pipeline::verify_allowing_clear(&pk.vk, &pf, None),
        Err(PipelineError::Circuit(_))
    ));
    // 4. Changed input ids: in the proof, or as the verifier's expected input.
    let mut pf = rewrap(&body);
    pf.statement.ids[0] = (pf.statement.ids[0] + 1) % 100;
    assert!(matches!(
        pipeline::verify_allowing_clear(&pk.vk, &pf, None),
        Err(PipelineError::Circuit(_))
    ));
    let mut other = ids.clone();
    other[1] = (other[1] + 1) % 100;
    assert!(matches!(
        pipeline::verify_allowing_clear(&pk.vk, &proof, Some(&other)),
        Err(PipelineError::Input(_))
    ));
    // 5. Another model's verifying key.
    let other_pk = setup("llama_dynamo", 8);
    assert!(matches!(
        pipeline::verify_allowing_clear(&other_pk.vk, &proof, None),
        Err(PipelineError::WrongModel { .. })
    ));
    // 6. A verifying key with two rows of its weight stack swapped: its
    //    digest changes, and even a proof re-bound to that digest fails in
    //    the circuit.
    let mut vk = pk.vk.clone();
    let rows = &mut vk.weights[0].rows;
    let j = (1..rows.len()).find(|&j| rows[j] != rows[0]).unwrap();
    rows.swap(0, j);
    assert!(matches!(
        pipeline::verify_allowing_clear(&vk, &proof, None),
        Err(PipelineError::WrongModel { .. })
    ));
    let mut rebound = proof.clone();
    rebound.vk_digest = vk.digest();
    assert!(matches!(
        pipeline::verify_allowing_clear(&vk, &rebound, None),
        Err(PipelineError::Circuit(_))
    ));
    // 7. Truncated or corrupted key files are clear errors.
    let vk_path = dir.join("model.vk");
    pk.vk.save(&vk_path).unwrap();
    let vk_bytes = std::fs::read(&vk_path).unwrap();
    let vk_body = pk.vk.body();
    for cut in [0, 7, 20, 44, vk_bytes.len() / 2, vk_bytes.len() - 1] {
        std::fs::write(&vk_path, &vk_bytes[..cut]).unwrap();
        let e = VerifyingKey::load(&vk_path).unwrap_err();
        assert!(
            matches!(
                e,
                ArtifactError::Magic { .. } | ArtifactError::Checksum { .. }
            ),
            "truncated vk file at {cut}: {e}"
        );
    }
    //    Truncated key bodies (re-wrapped): the encoding is length-prefixed
    //    throughout, so no strict prefix parses; each is refused by the body
    //    parser (not the header), at many different places.
    let mut whys = std::collections::BTreeSet::new();
    for k in 0..40 {
        let cut = k * (vk_body.len() - 1) / 39;
        let e = VerifyingKey::from_body(&vk_body[..cut], "cut.vk").unwrap_err();
        let ArtifactError::Malformed { why, .. } = &e else {
            panic!("truncated vk body at {cut}: {e}");
        };
        whys.insert(why.split(" at line").next().unwrap().to_string());
    }
    println!(
        "truncated vk bodies refused by {} distinct errors",
        whys.len()
    );
    assert!(whys.len() >= 3, "{whys:?}");
    //    Flipped key bodies (re-wrapped): a flip that keeps the JSON valid
    //    (a digit, a letter) often still loads, as another key. That key has
    //    another digest, so the proof is refused by the digest check, and the
    //    proof re-bound to the new digest by the circuit verifier (the digest
    //    is absorbed into the transcript).
    let (mut vk_parsed, mut vk_same) = (0, 0);
    let json_len = u32::from_le_bytes(vk_body[..4].try_into().unwrap()) as usize;
    for k in 0..80 {
        let i = 4 + k * (json_len - 1) / 79;
        let mut b = vk_body.clone();
        b[i] ^= 0x01;
        let Ok(vk2) = VerifyingKey::from_body(&b, "flipped.vk") else {
            continue;
        };
        vk_parsed += 1;
        if vk2 == pk.vk {
            vk_same += 1;
            continue;
        }
        assert!(
            matches!(
                pipeline::verify_allowing_clear(&vk2, &proof, None),
                Err(PipelineError::WrongModel { .. })
            ),
            "vk flip at {i}: not refused by the digest check"
        );
        let mut rebound = proof.clone();
        rebound.vk_digest = vk2.digest();
        let r = pipeline::verify_allowing_clear(&vk2, &rebound, None);
        assert!(
            matches!(r, Err(PipelineError::Circuit(_))),
            "vk flip at {i}, proof re-bound: {r:?}"
        );
    }
    println!("vk body flips: {vk_parsed} of 80 parsed ({vk_same} the same key)");
    assert!(
        vk_parsed - vk_same >= 8,
        "only {} of 80 flipped vk bodies loaded as another key",
        vk_parsed - vk_same
    );
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
    let e = pipeline::prove_clear(&pk, &too_long, Some(1), &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("--seq-len"), "{e}");
    let e = pipeline::prove_clear(&pk, &[1, 100_000], Some(1), &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the vocabulary"), "{e}");
    assert!(pipeline::prove_clear(&pk, &[], Some(1), &|_, _, _| {}).is_err());
    let e = pipeline::quantized_graph(&fixtures_dir().join("gpt2_dynamo.ref.json"), 8, None)
        .unwrap_err()
        .to_string();
    assert!(!e.is_empty());
}

/// (e) The non-ZK gate in the library: `prove` makes a zero-knowledge proof,
/// `prove_clear` one in the clear, which `verify` refuses (saying why) and
/// `verify_allowing_clear` accepts; a clear proof relabelled as ZK (or the
/// reverse) does not parse as the other kind's proof or fails to verify.
#[test]
fn clear_proofs_are_refused_unless_allowed() {
    let ids = load_ref("llama_dynamo").input_ids;
    let pk = setup("llama_dynamo", ids.len());
    let zk = pipeline::prove(&pk, &ids, Some(5), &|_, _, _| {}).unwrap();
    assert!(zk.proof.zero_knowledge());
    pipeline::verify(&pk.vk, &zk, Some(&ids)).expect("a ZK proof verifies");
    let clear = pipeline::prove_clear(&pk, &ids, Some(5), &|_, _, _| {}).unwrap();
    assert!(!clear.proof.zero_knowledge());
    let e = pipeline::verify(&pk.vk, &clear, Some(&ids)).unwrap_err();
    assert!(matches!(e, PipelineError::NotZeroKnowledge), "{e}");
    println!("refused: {e}");
    pipeline::verify_allowing_clear(&pk.vk, &clear, Some(&ids)).expect("allowed");
    // The kind byte is the first of the circuit proof: flip it.
    let proof_at = clear.to_bytes().len() - clear.proof.to_bytes().len();
    let mut b = clear.to_bytes();
    b[proof_at] = 1;
    if let Ok(pf) = ProofFile::from_body(&b, "relabelled") {
        assert!(pipeline::verify(&pk.vk, &pf, Some(&ids)).is_err());
    }
}

/// Rewrites a key file with `body` under a checksum that matches it: a
/// crafted file that only the body's own checks can refuse.
fn rehash_pk(path: &std::path::Path, body: &[u8]) {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap();
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&sha2::Sha256::digest(body));
    out.extend_from_slice(body);
    std::fs::write(path, out).unwrap();
}

/// The proving key's weights are a section of narrow integers read in
/// place through a memory map: a key loaded from its file proves the same
/// bytes as the key in memory for the same seed; a truncated, edited or
/// crafted key file is a clear error naming what is wrong.
#[test]
fn a_mapped_key_proves_the_same_bytes_and_bad_key_files_are_clear_errors() {
    use zkllm::ir::{Data, Op};
    let ids = load_ref("llama_dynamo").input_ids;
    let pk = setup("llama_dynamo", ids.len());
    let dir = std::env::temp_dir().join(format!("zkllm-mapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.pk");
    pk.save(&path).unwrap();
    let mapped = ProvingKey::load(&path).unwrap();
    let weights = |k: &ProvingKey| -> Vec<Vec<i64>> {
        (k.graph.nodes.iter())
            .filter(|n| matches!(n.op, Op::Weight { .. }))
            .map(|n| n.data.as_ref().unwrap().ints().unwrap().into_owned())
            .collect()
    };
    assert!(mapped
        .graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .all(|n| matches!(n.data, Some(Data::Stored(_)))));
    assert_eq!(weights(&mapped), weights(&pk));
    // 16-bit entries: the file is smaller than the weights as i64.
    let entries: usize = weights(&pk).iter().map(|w| w.len()).sum();
    let file_len = std::fs::metadata(&path).unwrap().len() as usize;
    assert!(
        file_len < 8 * entries,
        "{file_len} bytes for {entries} weights"
    );
    let a = pipeline::prove(&pk, &ids, Some(11), &|_, _, _| {}).unwrap();
    let b = pipeline::prove(&mapped, &ids, Some(11), &|_, _, _| {}).unwrap();
    assert!(
        a.to_bytes() == b.to_bytes(),
        "mapped and in-memory proofs differ"
    );
    pipeline::verify(&mapped.vk, &b, Some(&ids)).unwrap();
    // Saved again from the mapped key: the same file.
    let again = dir.join("again.pk");
    mapped.save(&again).unwrap();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&path).unwrap()
    );

    let bytes = std::fs::read(&path).unwrap();
    // Truncated anywhere, in the weights included: the checksum.
    for cut in [10, 44, bytes.len() / 2, bytes.len() - 3] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = ProvingKey::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("truncated or corrupted") || e.contains("not a zkllm"),
            "{e}"
        );
    }
    // One weight entry edited (the last byte of the file): the checksum.
    let mut edited = bytes.clone();
    *edited.last_mut().unwrap() ^= 1;
    std::fs::write(&path, &edited).unwrap();
    let e = ProvingKey::load(&path).unwrap_err().to_string();
    assert!(e.contains("truncated or corrupted"), "{e}");
    // Crafted, with a checksum that matches: the weights section cut short
    // names the weight whose entries are missing ...
    std::fs::write(&path, &bytes).unwrap();
    let body = &bytes[44..];
    rehash_pk(&path, &body[..body.len() - 2]);
    let e = ProvingKey::load(&path).unwrap_err().to_string();
    eprintln!("short weights section: {e}");
    assert!(
        e.contains("malformed proving key") && e.contains("weight node"),
        "{e}"
    );
    // ... an unknown width is named ...
    let last = (mapped.graph.nodes.iter())
        .rfind(|n| matches!(n.op, Op::Weight { .. }))
        .unwrap();
    let Some(Data::Stored(s)) = &last.data else {
        unreachable!()
    };
    let tag_at = body.len() - s.raw().len() - 9;
    let mut unknown = body.to_vec();
    unknown[tag_at] = 3;
    std::fs::write(&path, &bytes).unwrap();
    rehash_pk(&path, &unknown);
    let e = ProvingKey::load(&path).unwrap_err().to_string();
    eprintln!("unknown width: {e}");
    assert!(
        e.contains(&format!("weight node {}", last.id)) && e.contains("width 3"),
        "{e}"
    );
    // ... a weight past its declared width is refused when proving, naming
    // the node ...
    let bits = last.quant.unwrap().bits;
    let mut values = s.to_vec();
    values[0] = 1 << (bits - 1);
    let mut past = body[..tag_at].to_vec();
    past.push(4);
    past.extend_from_slice(&body[tag_at + 1..tag_at + 9]);
    past.extend(values.iter().flat_map(|v| (*v as i32).to_le_bytes()));
    std::fs::write(&path, &bytes).unwrap();
    rehash_pk(&path, &past);
    let wide = ProvingKey::load(&path).unwrap();
    let e = pipeline::prove(&wide, &ids, Some(11), &|_, _, _| {})
        .unwrap_err()
        .to_string();
    eprintln!("weight past its width: {e}");
    assert!(e.contains(&last.name) && e.contains("bits"), "{e}");
    let at = body.len() - s.raw().len();
    let forge = |v: i16| {
        let mut b = body.to_vec();
        b[at..at + 2].copy_from_slice(&v.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        rehash_pk(&path, &b);
        ProvingKey::load(&path).unwrap()
    };
    // ... and one changed within its width proves a statement about other
    // weights than the committed ones: the verifier rejects it.
    let old = i16::from_le_bytes([body[at], body[at + 1]]);
    let other = forge(if old == 0 { 1 } else { 0 });
    let proof = pipeline::prove(&other, &ids, Some(11), &|_, _, _| {}).unwrap();
    let e = pipeline::verify(&pk.vk, &proof, Some(&ids)).unwrap_err();
    eprintln!("weight changed in the key file: rejected: {e}");
    std::fs::remove_dir_all(&dir).ok();
}
