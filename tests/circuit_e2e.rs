//! Whole-model proofs on the ONNX fixtures, in the clear and with zero
//! knowledge: an honest proof verifies, and a changed public output, changed
//! token ids, a tampered message or a swapped weight commitment is rejected.

mod import_common;

use import_common::{fixtures_dir, load_ref};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::backend::default_backend;
use zkllm::circuit::{self, CircuitProof, Plan, Statement};
use zkllm::commit::{Hyrax, HyraxCommitment};
use zkllm::import::{import, ImportOptions};
use zkllm::ir::{float, Graph};
use zkllm::quant::{quantize, Calibration};
use zkllm::wire::Wire;
use zkllm::witness;
use zkllm::zk::{Clear, Hidden, Mode};

struct Proven<M: Mode> {
    graph: Graph,
    plan: Plan,
    pcs: Hyrax,
    weights: Vec<HyraxCommitment>,
    stmt: Statement,
    proof: CircuitProof<M>,
}

const DIGEST: [u8; 32] = [7; 32];

fn prove_fixture<M: Mode>(name: &str) -> Proven<M> {
    prove_fixture_seeded(name, 1)
}

/// The fixture proven with prover randomness from `seed` (the key's from 1).
fn prove_fixture_seeded<M: Mode>(name: &str, seed: u64) -> Proven<M> {
    let reference = load_ref(name);
    let path = fixtures_dir().join(format!("{name}.onnx"));
    let opts = ImportOptions {
        seq_len: reference.input_ids.len(),
        ..Default::default()
    };
    let graph = import(&path, &opts).unwrap();
    let values = float::eval(&graph, &reference.input_ids).unwrap();
    let calib = Calibration::from_float_run(&graph, &values);
    let q = quantize(&graph, &calib, &zkllm::pipeline::default_quant_config(true)).unwrap();
    let wit = witness::generate(&q, &reference.input_ids).unwrap();
    let plan = Plan::new(&q).unwrap_or_else(|e| panic!("{name}: {e}"));
    let be = default_backend();
    let pcs = Hyrax::setup(circuit::GENERATOR_SEED, circuit::generator_vars(&q, &plan));
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let weights = circuit::commit_weights(be, &pcs, &q, &mut rng, &|_, _, _| {}).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let seq = reference.input_ids.len();
    let vocab = *q.nodes[q.output].shape.last().unwrap();
    let logits = wit.node(q.output)[(seq - 1) * vocab..seq * vocab].to_vec();
    let stmt = Statement {
        ids: reference.input_ids.clone(),
        position: seq - 1,
        all_positions: false,
        next_token: None,
        logits,
    };
    let proof = circuit::prover::prove_in::<M, _>(
        be,
        &pcs,
        &q,
        &plan,
        &weights,
        &DIGEST,
        &wit,
        &stmt,
        &mut rng,
        &|_, _, _| {},
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let weights = weights.into_iter().map(|(c, _)| c).collect();
    Proven {
        graph: q,
        plan,
        pcs,
        weights,
        stmt,
        proof,
    }
}

fn check<M: Mode>(
    p: &Proven<M>,
    stmt: &Statement,
    proof: &CircuitProof<M>,
    weights: &[HyraxCommitment],
) -> Result<(), String> {
    circuit::verifier::verify_in::<M, _>(
        default_backend(),
        &p.pcs,
        &p.graph,
        &p.plan,
        weights,
        &DIGEST,
        stmt,
        proof,
        &mut ChaCha20Rng::seed_from_u64(99),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn gpt2_and_llama_fixtures_prove_and_verify() {
    prove_and_tamper::<Clear>();
}

#[test]
fn gpt2_and_llama_fixtures_prove_and_verify_with_zero_knowledge() {
    prove_and_tamper::<Hidden>();
}

/// A clear proof does not verify as a hidden one, nor the reverse: the kind
/// is in the transcript and in the proof's shape.
#[test]
fn a_proof_of_one_kind_is_not_a_proof_of_the_other() {
    let p = prove_fixture::<Clear>("llama_dynamo");
    let bytes = p.proof.to_bytes();
    match CircuitProof::<Hidden>::from_bytes(&bytes) {
        Err(_) => {}
        Ok(h) => {
            let hp = Proven::<Hidden> {
                graph: p.graph.clone(),
                plan: p.plan.clone(),
                pcs: p.pcs.clone(),
                weights: p.weights.clone(),
                stmt: p.stmt.clone(),
                proof: h.clone(),
            };
            assert!(check(&hp, &p.stmt, &h, &p.weights).is_err());
        }
    }
}

/// (a) Fresh randomness: two zero-knowledge proofs of the same statement
/// from different prover randomness share no field or group element. The
/// proofs are taken apart into their messages by their own encoders
/// ([`zkllm::wire::elements`]), which account for all but the length
/// prefixes and tags of the encoding; a proof holds no element of the
/// public statement or the key, so any shared element would be a value
/// fixed by the witness.
#[test]
fn two_zero_knowledge_proofs_share_no_element() {
    use std::collections::HashSet;
    use zkllm::wire::{elements, Element};
    let bytes = |e: &Element| match e {
        Element::Scalar(s) => s.to_bytes(),
        Element::Point(p) => p.to_bytes(),
    };
    let a = prove_fixture_seeded::<Hidden>("llama_dynamo", 11);
    let b = prove_fixture_seeded::<Hidden>("llama_dynamo", 12);
    assert_eq!(a.stmt, b.stmt);
    let (ea, eb) = (elements(&a.proof), elements(&b.proof));
    let in_elements: usize = ea.iter().map(|e| bytes(e).len()).sum();
    let total = a.proof.to_bytes().len();
    assert!(
        in_elements * 100 >= total * 95,
        "the elements cover {in_elements} of {total} proof bytes"
    );
    let ka: HashSet<Vec<u8>> = ea.iter().map(bytes).collect();
    let kb: HashSet<Vec<u8>> = eb.iter().map(bytes).collect();
    let shared = ka.intersection(&kb).count();
    println!(
        "{} elements ({in_elements} of {total} bytes), {shared} shared",
        ea.len()
    );
    assert_eq!(shared, 0, "elements shared by two ZK proofs");
}

fn prove_and_tamper<M: Mode>() {
    for name in ["gpt2_dynamo", "llama_dynamo"] {
        let p = prove_fixture::<M>(name);
        let bytes = p.proof.to_bytes();
        let proof = CircuitProof::<M>::from_bytes(&bytes).unwrap();
        check(&p, &p.stmt, &proof, &p.weights).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: proof {} bytes", bytes.len());
        // Wrong public output.
        let mut s = p.stmt.clone();
        s.logits[0] += 1;
        assert!(
            check(&p, &s, &proof, &p.weights).is_err(),
            "{name}: edited logits accepted"
        );
        // Changed input ids.
        let mut s = p.stmt.clone();
        s.ids[0] = (s.ids[0] + 1) % 10;
        assert!(
            check(&p, &s, &proof, &p.weights).is_err(),
            "{name}: changed ids accepted"
        );
        // Two rows of the weight stack swapped.
        let mut w = p.weights.clone();
        let rows = &mut w[0].rows;
        let j = (1..rows.len()).find(|&j| rows[j] != rows[0]).unwrap();
        rows.swap(0, j);
        assert!(
            check(&p, &p.stmt, &proof, &w).is_err(),
            "{name}: swapped weight rows accepted"
        );
        // Flipped proof bytes: most still parse (sumcheck scalars), and each
        // of those must be rejected by the circuit verifier.
        let (mut tried, mut parsed) = (0, 0);
        for i in (0..bytes.len()).step_by(bytes.len() / 24 + 1) {
            tried += 1;
            let mut b = bytes.clone();
            b[i] ^= 1;
            if let Ok(pr) = CircuitProof::<M>::from_bytes(&b) {
                parsed += 1;
                assert!(
                    check(&p, &p.stmt, &pr, &p.weights).is_err(),
                    "{name}: flip at {i} accepted"
                );
            }
        }
        println!("{name}: {parsed} of {tried} flipped proofs parsed");
        // A hidden proof is mostly curve points, whose flips rarely decode.
        assert!(
            M::ZERO_KNOWLEDGE || 2 * parsed >= tried,
            "{name}: only {parsed} of {tried} flipped proofs parsed"
        );
    }
}
