//! Parsers never panic: arbitrary bytes and mutated valid encodings of
//! proofs, commitments and key bodies are errors (or, for a mutation that
//! still parses, a value the verifier then rejects). A bounded, in-CI
//! stand-in for the libFuzzer target (cargo fuzz needs a nightly toolchain).

mod common;

use proptest::prelude::*;
use zkllm::artifacts::ProofFile;
use zkllm::circuit::CircuitProof;
use zkllm::claims::BatchOpeningProof;
use zkllm::commit::{HyraxCommitment, HyraxOpening};
use zkllm::protocols::lookup::LookupProof;
use zkllm::sumcheck::SumcheckProof;
use zkllm::wire::Wire;

fn parse_all(bytes: &[u8]) {
    let _ = ProofFile::from_body(bytes, "fuzz");
    let _ = CircuitProof::from_bytes(bytes);
    let _ = <SumcheckProof>::from_bytes(bytes);
    let _ = HyraxCommitment::from_bytes(bytes);
    let _ = HyraxOpening::from_bytes(bytes);
    let _ = LookupProof::from_bytes(bytes);
    let _ = BatchOpeningProof::from_bytes(bytes);
    let _ =
        zkllm::artifacts::check_header(bytes, zkllm::artifacts::PROOF_FILE_MAGIC, "proof", "fuzz");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        parse_all(&bytes);
    }

    #[test]
    fn lying_lengths_never_allocate_or_panic(len in any::<u32>(), tail in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        parse_all(&bytes);
        let mut b = vec![0u8; 32];
        b.extend_from_slice(&bytes);
        parse_all(&b);
    }
}

#[test]
fn mutations_of_a_real_proof_never_panic() {
    let ids = vec![1, 2, 3, 4];
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llama_dynamo.onnx");
    let graph = zkllm::pipeline::quantized_graph(&path, 4, None).unwrap();
    let pk = zkllm::pipeline::setup(graph, &|_, _, _| {}).unwrap();
    let proof = zkllm::pipeline::prove(&pk, &ids, Some(9), &|_, _, _| {}).unwrap();
    let body = proof.to_bytes();
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut parsed = 0;
    for round in 0..36 {
        let mut b = body.clone();
        match round % 3 {
            0 => {
                let i = next() % b.len();
                b[i] = next() as u8;
            }
            1 => b.truncate(next() % b.len()),
            _ => {
                let i = next() % b.len();
                let n = 1 + next() % 64;
                b.splice(i..i, std::iter::repeat_n(0xff, n));
            }
        }
        if let Ok(pf) = ProofFile::from_body(&b, "mutated") {
            parsed += 1;
            // A few are checked end to end; every one of them must be rejected.
            if parsed <= 3 && b != body {
                assert!(
                    zkllm::pipeline::verify(&pk.vk, &pf, None).is_err(),
                    "mutation {round} accepted"
                );
            }
        }
    }
    println!("{parsed} of 36 mutations still parsed");
}
