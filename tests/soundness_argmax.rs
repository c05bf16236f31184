//! Hidden logits, proven next token (`Publish::NextToken`, LLaMA fixture):
//! the honest proof verifies and reveals no logits; a prover claiming a token
//! that is not the first maximum, gaps that are non-negative but do not
//! match the logits, logits that are not the model's, or an edited token in
//! the statement is rejected.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::artifacts::ProofFile;
use zkllm::backend::default_backend;
use zkllm::circuit::plan::{AuxKind, TensorRef};
use zkllm::circuit::{self, Plan, Statement};
use zkllm::commit::Hyrax;
use zkllm::pipeline::{self, Publish};
use zkllm::witness;

fn fixture() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llama_dynamo.onnx")
}

#[test]
fn next_token_proof_verifies_and_hides_logits() {
    let g = pipeline::quantized_graph(&fixture(), 8, None).unwrap();
    let pk = pipeline::setup(g, &|_, _, _| {}).unwrap();
    let ids = [3, 1, 4, 1, 5, 9, 2, 6];
    let open = pipeline::prove(&pk, &ids, Some(1), &|_, _, _| {}).unwrap();
    let hidden =
        pipeline::prove_with(&pk, &ids, Publish::NextToken, Some(1), &|_, _, _| {}).unwrap();
    assert!(hidden.statement.logits.is_empty(), "logits published");
    assert_eq!(
        hidden.statement.next_token,
        Some(pipeline::argmax(&open.statement.logits))
    );
    pipeline::verify(&pk.vk, &hidden, Some(&ids)).expect("honest next-token proof");
    println!(
        "proof bytes: public logits {}, next token only {}",
        open.to_bytes().len(),
        hidden.to_bytes().len()
    );
    // The file format carries the token.
    let back = ProofFile::from_body(&hidden.to_bytes(), "mem").unwrap();
    assert_eq!(back, hidden);
    // Another token in the statement.
    let mut edited = hidden.clone();
    let t = edited.statement.next_token.unwrap();
    edited.statement.next_token = Some((t + 1) % 128);
    assert!(pipeline::verify(&pk.vk, &edited, None).is_err());
    // Logits added to a next-token statement, or a logits proof relabelled.
    let mut mixed = hidden.clone();
    mixed.statement.logits = open.statement.logits.clone();
    assert!(pipeline::verify(&pk.vk, &mixed, None).is_err());
    let mut relabelled = open.clone();
    relabelled.statement.next_token = Some(t);
    relabelled.statement.logits.clear();
    assert!(pipeline::verify(&pk.vk, &relabelled, None).is_err());
}

#[test]
fn cheating_next_token_provers_are_rejected() {
    let g = pipeline::quantized_graph(&fixture(), 8, None).unwrap();
    let plan = Plan::for_statement(&g, true).unwrap();
    let be = default_backend();
    let pcs = Hyrax::setup(circuit::GENERATOR_SEED, circuit::generator_vars(&g, &plan));
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let weights = circuit::commit_weights(be, &pcs, &g, &mut rng, &|_, _, _| {}).unwrap();
    let vcoms: Vec<_> = weights.iter().map(|(c, _)| c.clone()).collect();
    let ids: Vec<i64> = vec![3, 1, 4, 1, 5, 9, 2, 6];
    let wit = witness::generate(&g, &ids).unwrap();
    let vocab = pipeline::logits_width(&g);
    let row = wit.node(g.output)[7 * vocab..].to_vec();
    let best = pipeline::argmax(&row);
    let mut order: Vec<usize> = (0..vocab).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(row[j]));
    let second = order[1];
    let stmt = |token: usize| Statement {
        ids: ids.clone(),
        position: 7,
        all_positions: false,
        logits: vec![],
        next_token: Some(token),
    };
    let digest = [5u8; 32];
    let run = |s: &Statement, values: Vec<Vec<i64>>| {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let proof = circuit::prove_forged(
            be, &pcs, &g, &plan, &weights, &digest, &wit, s, values, &mut rng,
        )
        .expect("the forging prover produces a proof");
        circuit::verify(be, &pcs, &g, &plan, &vcoms, &digest, s, &proof)
    };
    let slot = |kind: AuxKind| {
        let a = plan.aux.iter().position(|a| a.kind == kind).unwrap();
        plan.committed_tensors()
            .iter()
            .position(|t| *t == TensorRef::Aux(a))
            .unwrap()
    };
    let (l_slot, g_slot) = (slot(AuxKind::ArgmaxLogits), slot(AuxKind::ArgmaxGap));

    let honest = stmt(best);
    let values = circuit::committed_values(&g, &plan, &wit, &honest).unwrap();
    run(&honest, values.clone()).expect("honest values verify");

    // The runner-up claimed as the next token: its gap to the maximum is negative.
    let wrong = stmt(second);
    let v = circuit::committed_values(&g, &plan, &wit, &wrong).unwrap();
    assert!(v[g_slot].iter().any(|&x| x < 0));
    let e = run(&wrong, v.clone()).expect_err("a non-maximal token was accepted");
    println!("runner-up token: {e}");
    // ... with its negative gaps replaced by their absolute values (all in range).
    let mut abs = v;
    for x in abs[g_slot].iter_mut() {
        *x = x.abs();
    }
    let e = run(&wrong, abs).expect_err("gaps unrelated to the logits were accepted");
    println!("absolute gaps: {e}");
    // ... with committed logits edited so that it is the maximum (not the model's output).
    let mut fake = circuit::committed_values(&g, &plan, &wit, &wrong).unwrap();
    fake[l_slot][second] = row[best] + 1;
    let top = fake[l_slot][second];
    for j in 0..vocab {
        fake[g_slot][j] = top - fake[l_slot][j] - (j < second) as i64;
    }
    assert!(fake[g_slot][..vocab].iter().all(|&x| x >= 0));
    let e = run(&wrong, fake).expect_err("logits that are not the model's were accepted");
    println!("edited logits: {e}");
    // One honest gap edited out of range.
    let mut tie = values;
    tie[g_slot][best] = -1;
    let e = run(&honest, tie).expect_err("an edited gap was accepted");
    println!("gap -1: {e}");
}
