//! Structured key mutator: the input bytes are graph edits (ids, inputs,
//! shapes, shifts, tables, axes, formats, indices; `zkllm::ir::mutate`)
//! applied to a real verifying key. Loading the edited key never panics,
//! and a key that still loads never panics the verifier's walk over an
//! honest proof of the original key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkllm::artifacts::{ProofFile, VerifyingKey};
use zkllm::ir::mutate::{apply, decode};
use zkllm::pipeline;

fn fixture() -> &'static (VerifyingKey, ProofFile) {
    static F: OnceLock<(VerifyingKey, ProofFile)> = OnceLock::new();
    F.get_or_init(|| {
        let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llama_dynamo.onnx");
        let graph = pipeline::quantized_graph(model.as_ref(), 8, None).expect("fixture");
        let pk = pipeline::setup(graph, &|_, _, _| {}).expect("setup");
        let proof = pipeline::prove(&pk, &[1, 5, 9, 3], None, &|_, _, _| {}).expect("prove");
        (pk.vk, proof)
    })
}

fuzz_target!(|data: &[u8]| {
    let (vk, proof) = fixture();
    let mut edited = vk.clone();
    for e in decode(data) {
        apply(&mut edited.graph, &e);
    }
    let Ok(loaded) = VerifyingKey::from_body(&edited.body(), "fuzz") else {
        return;
    };
    let Ok(plan) = zkllm::circuit::Plan::new(&loaded.graph) else {
        return;
    };
    let pcs = zkllm::commit::Hyrax::setup(&loaded.generator_seed, loaded.max_vars);
    let _ = zkllm::circuit::verify(
        zkllm::backend::default_backend(),
        &pcs,
        &loaded.graph,
        &plan,
        &loaded.weights,
        &proof.vk_digest,
        &proof.statement,
        &proof.proof,
    );
});
