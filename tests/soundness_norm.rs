//! RMSNorm inside the circuit (LLaMA fixture): the `1/√(mean x² + ε)` values
//! are a committed lookup output; a cheating prover that runs the model on a
//! wrong one (one entry off, everything after it computed from it) is
//! rejected by the rsqrt table's lookup argument and nothing else.

mod common;

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
    let pcs = Hyrax::setup(circuit::GENERATOR_SEED, circuit::generator_vars(&g, &plan));
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let weights = circuit::commit_weights(be, &pcs, &g, &mut rng, &|_, _, _| {}).unwrap();
    let vcoms: Vec<_> = weights.iter().map(|(c, _)| c.clone()).collect();
    let ids: Vec<i64> = vec![3, 1, 4, 1, 5, 9, 2, 6];
    let wit = witness::generate(&g, &ids).unwrap();
    let vocab = pipeline::vocab_size(&g);
    let logits = wit.node(g.output)[7 * vocab..].to_vec();
    let stmt = Statement {
        ids: ids.clone(),
        position: 7,
        all_positions: false,
        next_token: None,
        logits,
    };
    let digest = [1u8; 32];
    // The forging prover is the honest one on a forged witness, with the
    // committed values that witness gives; it only skips the prover-side
    // check that each lookup output is f(input).
    let check = |wit: &witness::Witness<'_>, stmt: &Statement| {
        let values = circuit::committed_values(&g, &plan, wit, stmt).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let proof = circuit::prove_forged(
            be, &pcs, &g, &plan, &weights, &digest, wit, stmt, values, &mut rng,
        )
        .expect("the forging prover produces a proof");
        let r = circuit::verify(be, &pcs, &g, &plan, &vcoms, &digest, stmt, &proof);
        if let Err(e) = &r {
            println!("rejected: {e}");
        }
        r
    };
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
    // The forged witness: node `id`'s 1/rms at position `at` off by `d`, and
    // every later node computed from it, so every relation of the walk (the
    // Hadamard by 1/rms, the rescale after it, the layers above) holds for
    // the committed tensors and the published logits. The only thing in the
    // proof that ties a 1/rms value to its input is the pair `(x, 1/rms)`
    // of the rsqrt table's lookup: were that lookup removed from the plan,
    // this proof would verify (the walk, which the verifier completes before
    // any lookup argument, already passes, as the error below shows, and the
    // openings open the prover's own commitments).
    let forged = |id: usize, at: usize, d: i64| {
        let mut y = wit.node(id).to_vec();
        y[at] += d;
        let w = witness::generate_with_override(&g, &ids, id, y).unwrap();
        let logits = w.node(g.output)[7 * vocab..].to_vec();
        let stmt = Statement {
            logits,
            ..stmt.clone()
        };
        check(&w, &stmt)
    };
    for &id in &rsqrt {
        // Control: the same path without the forgery verifies.
        forged(id, 0, 0).expect("the unforged path verifies");
        let table = plan
            .lookups
            .iter()
            .find(|u| u.y == Some(TensorRef::Node(id)))
            .expect("1/rms is a lookup output")
            .table;
        let e = forged(id, id % 8, 1)
            .expect_err("a wrong 1/rms was accepted")
            .to_string();
        assert_eq!(
            e,
            format!("proof rejected: {}", common::LOOKUP_REJECTED),
            "node {id}: a wrong 1/rms caught by another check than the lookup argument"
        );
        let mut y = wit.node(id).to_vec();
        y[id % 8] += 1;
        let w = witness::generate_with_override(&g, &ids, id, y).unwrap();
        let logits = w.node(g.output)[7 * vocab..].to_vec();
        let values = circuit::committed_values(
            &g,
            &plan,
            &w,
            &Statement {
                logits,
                ..stmt.clone()
            },
        )
        .unwrap();
        let left = common::tables_left(&plan, &values);
        assert_eq!(
            left,
            vec![table],
            "node {id}: the forgery breaks its rsqrt table {table} alone"
        );
    }
}
