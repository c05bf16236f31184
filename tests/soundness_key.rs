//! A verifying key is the model owner's file, and the owner may be the
//! adversary: every structural edit of a key is refused at load, naming the
//! node and the rule, and never panics; the published scale and output are
//! checked against what the key and the proof fix.

mod import_common;

use import_common::fixtures_dir;
use zkllm::artifacts::{ProofFile, ProvingKey, VerifyingKey};
use zkllm::commit::HyraxCommitment;
use zkllm::ir::{Graph, Node, Op, Quant};
use zkllm::pipeline::{self, PipelineError};

fn llama_pk() -> ProvingKey {
    let path = fixtures_dir().join("llama_dynamo.onnx");
    let graph = pipeline::quantized_graph(&path, 8, None).expect("fixture quantizes");
    pipeline::setup(graph, &|_, _, _| {}).expect("setup")
}

/// Loads a key whose graph is `edit`ed: the error, which must name `rule`.
fn refused(vk: &VerifyingKey, edit: impl FnOnce(&mut Graph)) -> String {
    let mut bad = vk.clone();
    edit(&mut bad.graph);
    match VerifyingKey::from_body(&bad.body(), "crafted.vk") {
        Ok(_) => panic!("crafted key was accepted"),
        Err(e) => e.to_string(),
    }
}

fn first(g: &Graph, f: impl Fn(&Node) -> bool) -> usize {
    g.nodes.iter().position(f).expect("fixture has such a node")
}

#[test]
fn honest_keys_load() {
    let pk = llama_pk();
    let vk = VerifyingKey::from_body(&pk.vk.body(), "model.vk").expect("honest vk loads");
    assert_eq!(vk, pk.vk);
}

/// The review's attack: one extra `Add(logits, x)` node whose `x` is a later
/// node, so the verifier's walk pushed `x`'s claim onto a node it had
/// already walked and never checked it.
#[test]
fn a_forward_reference_is_refused() {
    let pk = llama_pk();
    let e = refused(&pk.vk, |g| {
        let out = g.output;
        let n = g.nodes.len();
        let shape = g.nodes[out].shape.clone();
        let quant = g.nodes[out].quant;
        g.nodes.push(Node {
            id: n,
            name: "crafted_add".into(),
            op: Op::Add,
            inputs: vec![out, n + 1],
            shape: shape.clone(),
            quant,
            data: None,
        });
        g.nodes.push(Node {
            id: n + 1,
            name: "later".into(),
            op: Op::Constant,
            inputs: vec![],
            shape: shape.clone(),
            quant,
            data: Some(zkllm::ir::Data::I64(vec![0; shape.iter().product()])),
        });
        g.output = n;
    });
    assert!(e.contains("crafted_add"), "{e}");
    assert!(e.contains("is not an earlier node"), "{e}");
}

#[test]
fn an_op_with_a_missing_input_is_refused() {
    let pk = llama_pk();
    let add = first(&pk.vk.graph, |n| matches!(n.op, Op::Add));
    let e = refused(&pk.vk, |g| {
        g.nodes[add].inputs.truncate(1);
    });
    assert!(e.contains(&format!("node {add} ")), "{e}");
    assert!(e.contains("takes 2 input(s), has 1"), "{e}");
    let mm = first(&pk.vk.graph, |n| matches!(n.op, Op::EinSum { .. }));
    let e = refused(&pk.vk, |g| g.nodes[mm].inputs.push(0));
    assert!(e.contains("takes 2 input(s), has 3"), "{e}");
}

#[test]
fn a_rescale_shift_outside_the_range_checks_reach_is_refused() {
    let pk = llama_pk();
    let r = first(&pk.vk.graph, |n| matches!(n.op, Op::Rescale { .. }));
    let e = refused(&pk.vk, |g| g.nodes[r].op = Op::Rescale { shift: 0 });
    assert!(e.contains(&format!("node {r} ")), "{e}");
    assert!(e.contains("rescale shift 0"), "{e}");
    // Three limbs reach 40 bits; a wider remainder could not be range-checked.
    let max = zkllm::circuit::plan::MAX_RANGE_BITS;
    let e = refused(&pk.vk, |g| g.nodes[r].op = Op::Rescale { shift: max + 1 });
    assert!(e.contains(&format!("node {r} ")), "{e}");
    assert!(e.contains("rescale shift above 40 bits"), "{e}");
}

#[test]
fn out_of_range_indices_are_refused_without_a_panic() {
    let pk = llama_pk();
    let n = pk.vk.graph.nodes.len();
    let e = refused(&pk.vk, |g| g.output = n + 5);
    assert!(e.contains("output index"), "{e}");
    let e = refused(&pk.vk, |g| g.input = 1);
    assert!(e.contains("not an Input"), "{e}");
    let e = refused(&pk.vk, |g| {
        let last = g.nodes.len() - 1;
        g.nodes[last].inputs[0] = 10 * n;
    });
    assert!(e.contains("is not an earlier node"), "{e}");
    let e = refused(&pk.vk, |g| g.nodes.swap(3, 4));
    assert!(e.contains("has id"), "{e}");
}

#[test]
fn a_foreign_generator_seed_is_refused() {
    let pk = llama_pk();
    let mut vk = pk.vk.clone();
    vk.generator_seed = "my-own-generators".into();
    let e = VerifyingKey::from_body(&vk.body(), "crafted.vk")
        .unwrap_err()
        .to_string();
    assert!(e.contains("generator seed"), "{e}");
}

/// The key pins its generators by digest (so verifiers can cache them). A
/// key that pins any others is refused by the prover and the verifier,
/// whether or not their caches hold anything: the pin is checked against
/// the generators the seed derives, never trusted.
#[test]
fn a_key_pinning_other_generators_is_refused() {
    let pk = llama_pk();
    let ids = [1i64, 5, 9, 3];
    let proof = pipeline::prove_clear(&pk, &ids, Some(3), &|_, _, _| {}).unwrap();
    pipeline::verify_allowing_clear(&pk.vk, &proof, Some(&ids)).expect("honest proof verifies");
    let mut crafted = pk.clone();
    crafted.vk.generators_pin[5] ^= 1;
    // It loads (the pin is only checked against derived generators)...
    let vk = VerifyingKey::from_body(&crafted.vk.body(), "crafted.vk").expect("parses");
    // ...but nothing is proven or verified under it.
    let generators = |r: Result<_, PipelineError>| match r {
        Err(PipelineError::Generators(e)) => e.to_string(),
        Err(e) => panic!("expected the generators check, got {e}"),
        Ok(_) => panic!("a key with another pin was used"),
    };
    let e = generators(pipeline::prove_clear(&crafted, &ids, Some(3), &|_, _, _| {}).map(|_| ()));
    assert!(e.contains("not made with zkllm's generators"), "{e}");
    // The honest proof, re-bound to the crafted key (so the digest check
    // passes): the generators check refuses it before any other.
    let mut rebound = proof.clone();
    rebound.vk_digest = vk.digest();
    let e = generators(pipeline::verify_allowing_clear(&vk, &rebound, Some(&ids)));
    assert!(e.contains("not made with zkllm's generators"), "{e}");
}

#[test]
fn shapes_are_inferred_again_and_compared() {
    let pk = llama_pk();
    let mm = first(&pk.vk.graph, |n| matches!(n.op, Op::EinSum { .. }));
    let e = refused(&pk.vk, |g| {
        let last = g.nodes[mm].shape.len() - 1;
        g.nodes[mm].shape[last] *= 2;
    });
    assert!(e.contains("the einsum gives"), "{e}");
    // The largest weight one row longer: the graph's shapes no longer fit
    // (the check infers them again).
    let w = (pk.vk.graph.nodes.iter())
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .max_by_key(|n| n.shape.iter().product::<usize>())
        .expect("a weight")
        .id;
    let e = refused(&pk.vk, |g| g.nodes[w].shape[0] += 1);
    assert!(e.contains("inputs do not fit"), "{e}");
    // A weight stack's commitment with a row fewer than its layout fills,
    // or one more: refused at load, naming the stack.
    for edit in [
        |c: &mut HyraxCommitment| {
            c.rows.pop();
        },
        |c: &mut HyraxCommitment| c.rows.push(c.rows[0]),
    ] {
        let mut bad = pk.vk.clone();
        edit(&mut bad.weights[0]);
        let e = match VerifyingKey::from_body(&bad.body(), "crafted.vk") {
            Ok(_) => panic!("a weight stack with other rows was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("weight stack 0"), "{e}");
    }
    let l = first(&pk.vk.graph, |n| matches!(n.op, Op::Lookup { .. }));
    let e = refused(&pk.vk, |g| {
        if let Op::Lookup { table, .. } = &mut g.nodes[l].op {
            table.as_mut().unwrap().log_size = 30;
        }
    });
    assert!(e.contains("above 2^22"), "{e}");
    let e = refused(&pk.vk, |g| {
        g.nodes[l].quant = Some(Quant {
            bits: 0,
            frac_bits: 3,
        })
    });
    assert!(e.contains("fixed-point format"), "{e}");
    // Wider than the witness's exact i64 values.
    let e = refused(&pk.vk, |g| {
        g.nodes[l].quant = Some(Quant {
            bits: zkllm::ir::check::MAX_BITS + 1,
            frac_bits: 3,
        })
    });
    assert!(e.contains("fixed-point format"), "{e}");
}

/// `circuit::verify` checks the graph itself too: a caller that builds a
/// key in memory gets the same refusal, not a panic in the walk.
#[test]
fn the_circuit_verifier_refuses_an_unchecked_graph() {
    let pk = llama_pk();
    let ids = [1i64, 5, 9, 3];
    let proof = pipeline::prove_clear(&pk, &ids, Some(1), &|_, _, _| {}).unwrap();
    let mut vk = pk.vk.clone();
    let add = first(&vk.graph, |n| matches!(n.op, Op::Add));
    vk.graph.nodes[add].inputs.truncate(1);
    let plan = zkllm::circuit::Plan::new(&pk.vk.graph).unwrap();
    let pcs = zkllm::commit::Hyrax::setup(&vk.generator_seed, vk.max_vars);
    let e = zkllm::circuit::verify_any(
        zkllm::backend::default_backend(),
        &pcs,
        &vk.graph,
        &plan,
        &vk.weights,
        &proof.vk_digest,
        &proof.statement,
        &proof.proof,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("takes 2 input(s), has 1"), "{e}");
}

/// The logit scale comes from the key: a proof file that states another is
/// refused by that check (the proof itself is honest).
#[test]
fn an_edited_logit_scale_is_refused() {
    let pk = llama_pk();
    let ids = [1i64, 5, 9, 3];
    let mut proof = pipeline::prove_clear(&pk, &ids, Some(2), &|_, _, _| {}).unwrap();
    pipeline::verify_allowing_clear(&pk.vk, &proof, Some(&ids)).expect("honest proof verifies");
    proof.logit_frac_bits += 1;
    let bytes = proof.to_bytes();
    let reread = ProofFile::from_body(&bytes, "edited.bin").unwrap();
    match pipeline::verify_allowing_clear(&pk.vk, &reread, Some(&ids)) {
        Err(PipelineError::Statement(e)) => assert!(e.contains("logit scale"), "{e}"),
        other => panic!("expected the scale check, got {other:?}"),
    }
}

/// Every field of `out.json` is checked: each edited field is named.
#[test]
fn every_edited_output_field_is_named() {
    let pk = llama_pk();
    let ids = [1i64, 5, 9, 3];
    for publish in [pipeline::Publish::LastLogits, pipeline::Publish::NextToken] {
        let proof = pipeline::prove_clear_with(&pk, &ids, publish, Some(4), &|_, _, _| {}).unwrap();
        let out = pipeline::public_output(&pk.vk.graph, &proof, Some("tok"));
        pipeline::check_public_output(&out, &out).expect("the prover's own output matches");
        let fields: Vec<String> = out.as_object().unwrap().keys().cloned().collect();
        assert!(fields.len() >= 7, "{fields:?}");
        for k in &fields {
            let mut edited = out.clone();
            edited[k] = match &out[k] {
                serde_json::Value::Number(n) if n.is_u64() => (n.as_u64().unwrap() + 1).into(),
                serde_json::Value::Number(n) => (n.as_f64().unwrap() * 2.0).into(),
                serde_json::Value::Bool(b) => (!b).into(),
                serde_json::Value::String(s) => format!("{s}x").into(),
                serde_json::Value::Object(o) => {
                    let mut o = o.clone();
                    o.insert(
                        "a tensor".into(),
                        serde_json::json!({"above": 1, "below": 0}),
                    );
                    o.into()
                }
                serde_json::Value::Array(a) => {
                    let mut a = a.clone();
                    let v = a[0].as_i64().unwrap();
                    a[0] = (v + 1).into();
                    a.into()
                }
                other => panic!("unexpected field {k}: {other}"),
            };
            let e = pipeline::check_public_output(&edited, &out).unwrap_err();
            assert!(e.contains(&format!("field {k}")), "{k}: {e}");
            let mut dropped = out.clone();
            dropped.as_object_mut().unwrap().remove(k);
            if k != "next_token_text" {
                let e = pipeline::check_public_output(&dropped, &out).unwrap_err();
                assert!(e.contains(&format!("field {k}")), "{k}: {e}");
            }
        }
        let mut extra = out.clone();
        extra["bonus"] = 1.into();
        let e = pipeline::check_public_output(&extra, &out).unwrap_err();
        assert!(e.contains("field bonus"), "{e}");
    }
}

/// The CLI: `verify --output out.json` passes on the prover's file and
/// fails, non-zero and naming the field, on an edited one.
#[test]
fn verify_checks_the_output_file_from_the_cli() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("zkllm-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_zkllm");
    let model = fixtures_dir().join("llama_dynamo.onnx");
    let input = dir.join("input.json");
    std::fs::write(&input, r#"{"input_ids": [1, 5, 9, 3]}"#).unwrap();
    let run = |args: &[&std::ffi::OsStr]| Command::new(bin).args(args).output().unwrap();
    let os = |s: &str| std::ffi::OsString::from(s);
    let keys = dir.join("keys");
    let o = run(&[
        &os("setup"),
        model.as_os_str(),
        &os("--seq-len"),
        &os("8"),
        &os("-o"),
        keys.as_os_str(),
        &os("-q"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // `inspect --vk` shows what the key commits to.
    let o = run(&[
        &os("inspect"),
        &os("--vk"),
        keys.join("model.vk").as_os_str(),
        &os("--json"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let vk = VerifyingKey::load(&keys.join("model.vk")).unwrap();
    assert_eq!(shown["parameters"], vk.graph.parameter_count());
    assert_eq!(shown["model_digest"], pipeline::hex(&vk.digest()));
    assert_eq!(
        shown["nodes"].as_array().unwrap().len(),
        vk.graph.nodes.len()
    );
    let (proof, out) = (dir.join("proof.bin"), dir.join("out.json"));
    let o = run(&[
        &os("prove"),
        &os("--pk"),
        keys.join("model.pk").as_os_str(),
        &os("--input"),
        input.as_os_str(),
        &os("-o"),
        proof.as_os_str(),
        &os("--output"),
        out.as_os_str(),
        &os("-q"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let verify = || {
        run(&[
            &os("verify"),
            &os("--vk"),
            keys.join("model.vk").as_os_str(),
            &os("--proof"),
            proof.as_os_str(),
            &os("--output"),
            out.as_os_str(),
            &os("--json"),
        ])
    };
    let o = verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["output_checked"], true);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        j["public_output"], written,
        "--json prints the verified output"
    );
    let mut edited = written.clone();
    edited["logits"][0] = (edited["logits"][0].as_i64().unwrap() + 1).into();
    std::fs::write(&out, edited.to_string()).unwrap();
    let o = verify();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("field logits"), "{err}");
}

/// A crafted key that commits an embedding table with non-zero padding (a
/// row past the vocabulary of 100, which pads to 128). The prover is honest
/// for that key: its tables are the committed ones, so every sumcheck and
/// opening is consistent, and only the weight-padding claims (value 0 on
/// each padded block) can catch it, in the batched openings.
#[test]
fn a_key_with_non_zero_weight_padding_fails_to_verify() {
    use zkllm::circuit::{self, layout, Plan, Statement};
    use zkllm::ir::Data;
    let path = fixtures_dir().join("odd_dims.onnx");
    let graph = pipeline::quantized_graph(&path, 8, None).expect("fixture quantizes");
    let pk = pipeline::setup(graph, &|_, _, _| {}).expect("setup");
    let g = &pk.graph;
    let weights: Vec<&Node> = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Weight { .. }))
        .collect();
    let emb = g
        .nodes
        .iter()
        .find(|n| matches!(n.op, Op::Embedding))
        .expect("an embedding");
    let k = weights
        .iter()
        .position(|n| n.id == emb.inputs[0])
        .expect("table is a weight");
    assert_eq!(weights[k].shape, vec![100, 24], "a vocabulary that pads");
    let honest: Vec<Vec<i64>> = weights
        .iter()
        .map(|n| match &n.data {
            Some(Data::I64(v)) => layout::padded_ints(&n.shape, v),
            _ => panic!("weight data"),
        })
        .collect();
    let (padded, position) = pipeline::statement_ids(g, &[1, 5, 9, 3]).unwrap();
    let wit = zkllm::witness::generate(g, &padded).unwrap();
    let vocab = pipeline::logits_width(g);
    let logits = wit.node(g.output)[position * vocab..(position + 1) * vocab].to_vec();
    let stmt = Statement {
        ids: padded,
        position,
        all_positions: false,
        logits,
        next_token: None,
    };
    let plan = Plan::new(g).unwrap();
    let pcs = zkllm::commit::Hyrax::setup(&pk.vk.generator_seed, pk.vk.max_vars);
    let be = zkllm::backend::default_backend();
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(9);
    let run = |tables: Vec<Vec<i64>>, rng: &mut rand_chacha::ChaCha20Rng| {
        // The crafted key: the weight stacks committed as `tables` say.
        let committed: Vec<_> = circuit::weight_stacks(g)
            .into_iter()
            .map(|run| {
                let refs: Vec<&[i64]> = tables[run].iter().map(|t| t.as_slice()).collect();
                zkllm::claims::commit_stack(
                    be,
                    &pcs,
                    &refs,
                    zkllm::claims::folds::key_row_width(&circuit::weight_vars(g)),
                    rng,
                )
                .unwrap()
            })
            .collect();
        let mut vk = pk.vk.clone();
        vk.weights = committed.iter().map(|c| c.0.clone()).collect();
        let digest = vk.digest();
        let forgery = circuit::Forgery {
            weight_tables: Some(tables),
            ..Default::default()
        };
        let proof = circuit::prove_forgery(
            be, &pcs, g, &plan, &committed, &digest, &wit, &stmt, forgery, rng,
        )
        .expect("the prover runs");
        circuit::verify(
            be,
            &pcs,
            &vk.graph,
            &plan,
            &vk.weights,
            &digest,
            &stmt,
            &proof,
        )
    };
    run(honest.clone(), &mut rng).expect("zero padding verifies");
    let mut forged = honest.clone();
    let row = 110usize; // past the vocabulary of 100
    forged[k][(row << 5) | 3] = 7;
    let e = run(forged, &mut rng).unwrap_err().to_string();
    assert!(e.contains("openings"), "caught by the openings: {e}");
    // A padded column (dimension 24 pads to 32) reaches the embedding's
    // output, whose padding its consumers pin to zero: the embedding
    // sumcheck sees the difference before the openings do.
    let mut forged = honest;
    forged[k][(5 << 5) | 30] = -3;
    let e = run(forged, &mut rng).unwrap_err().to_string();
    assert!(e.contains("Embedding"), "caught by the embedding: {e}");
}

mod structural_edits {
    //! Random structural edits of a valid key (ids, inputs, shapes, shifts,
    //! tables, axes, indices) never panic the loader, and an edited key that
    //! still loads never panics the verifier's walk.
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    struct Fixture {
        pk: ProvingKey,
        proof: ProofFile,
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let pk = llama_pk();
            let proof = pipeline::prove_clear(&pk, &[1, 5, 9, 3], Some(5), &|_, _, _| {}).unwrap();
            Fixture { pk, proof }
        })
    }

    use zkllm::ir::mutate::{apply, decode, Edit, EDIT_BYTES};

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        proptest::collection::vec(any::<u8>(), EDIT_BYTES..4 * EDIT_BYTES).prop_map(|b| decode(&b))
    }

    /// One edited key: `None` if refused at load, else whether the walk
    /// (from the honest proof) verified. Panics are failures.
    fn try_key(f: &Fixture, edits: &[Edit]) -> Result<Option<bool>, String> {
        let mut vk = f.pk.vk.clone();
        for e in edits {
            apply(&mut vk.graph, e);
        }
        let loaded =
            std::panic::catch_unwind(|| VerifyingKey::from_body(&vk.body(), "edited.vk").ok())
                .map_err(|_| format!("loading panicked on {edits:?}"))?;
        let Some(vk) = loaded else { return Ok(None) };
        std::panic::catch_unwind(|| {
            let Ok(plan) = zkllm::circuit::Plan::new(&vk.graph) else {
                return false;
            };
            let pcs = zkllm::commit::Hyrax::setup(&vk.generator_seed, vk.max_vars);
            zkllm::circuit::verify_any(
                zkllm::backend::default_backend(),
                &pcs,
                &vk.graph,
                &plan,
                &vk.weights,
                &f.proof.vk_digest,
                &f.proof.statement,
                &f.proof.proof,
            )
            .is_ok()
        })
        .map(Some)
        .map_err(|_| format!("the verifier panicked on {edits:?}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        #[test]
        fn random_structural_edits_never_panic(edits in edits()) {
            let r = try_key(fixture(), &edits);
            prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        }
    }

    /// The same edits from a fixed seed, counted: most are refused at load,
    /// some still load and reach the walk (so both paths are exercised). A
    /// key that loads and verifies differs only in what the proof does not
    /// read (a weight's declared width, say; see the README's threat model).
    #[test]
    fn edited_keys_are_mostly_refused_and_the_rest_reach_the_walk() {
        use proptest::strategy::ValueTree;
        let f = fixture();
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strat = edits();
        let (mut refused, mut walked) = (0, 0);
        for _ in 0..300 {
            let edits = strat.new_tree(&mut runner).unwrap().current();
            match try_key(f, &edits).unwrap() {
                None => refused += 1,
                Some(_) => walked += 1,
            }
        }
        eprintln!("edited keys: {refused} refused at load, {walked} loaded and walked");
        assert!(refused >= 150, "only {refused} of 300 refused");
        assert!(walked >= 10, "only {walked} of 300 reached the walk");
    }
}
