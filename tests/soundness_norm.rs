//! RMSNorm inside the circuit (LLaMA fixture): the `1/√(mean x² + ε)` values
//! are a committed lookup output; a cheating prover that commits a wrong one
//! (one entry off) is rejected.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::backend::default_backend;
use zkllm::circuit::plan::TensorRef;
use zkllm::circuit::{self, Plan, Statement};
use zkllm::commit::Hyrax;
use zkllm::ir::{Func, Op};
use zkllm::{pipeline, witness};

#[test]
fn a_wrong_inverse_rms_is_rejected() {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llama_dynamo.onnx");
    let g = pipeline::quantized_graph(&path, 8, None).unwrap();
    let plan = Plan::new(&g).unwrap();
    let be = default_backend();
    let pcs = Hyrax::setup(
        circuit::GENERATOR_SEED,
        circuit::max_committed_vars(&g, &plan),
    );
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let weights = circuit::commit_weights(be, &pcs, &g, &mut rng, &|_, _, _| {}).unwrap();
    let vcoms: Vec<_> = weights.iter().map(|(c, _)| c.clone()).collect();
    let ids: Vec<i64> = vec![3, 1, 4, 1, 5, 9, 2, 6];
    let wit = witness::generate(&g, &ids).unwrap();
    let vocab = pipeline::vocab_size(&g);
    let logits = wit.node(g.output)[7 * vocab..].to_vec();
    let stmt = Statement {
        ids,
        position: 7,
        all_positions: false,
        next_token: None,
        logits,
    };
    let digest = [1u8; 32];
    let honest = circuit::committed_values(&g, &plan, &wit, &stmt).unwrap();
    let check = |values: Vec<Vec<i64>>| {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let proof = circuit::prove_forged(
            be, &pcs, &g, &plan, &weights, &digest, &wit, &stmt, values, &mut rng,
        )
        .expect("the forging prover produces a proof");
        circuit::verify(be, &pcs, &g, &plan, &vcoms, &digest, &stmt, &proof)
    };
    check(honest.clone()).expect("honest values verify");
    let rsqrt: Vec<usize> = g
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                &n.op,
                Op::Lookup {
                    func: Func::RsqrtMean { .. },
                    ..
                }
            )
        })
        .map(|n| n.id)
        .collect();
    assert!(!rsqrt.is_empty(), "the fixture has RMS norms");
    let tensors = plan.committed_tensors();
    for id in rsqrt {
        let slot = tensors
            .iter()
            .position(|t| *t == TensorRef::Node(id))
            .unwrap();
        let mut v = honest.clone();
        v[slot][0] += 1;
        let e = check(v).expect_err("a wrong 1/rms was accepted");
        println!("node {id}: rejected: {e}");
    }
}
