//! Each part of a proof (sumcheck, Hyrax commitment and opening, lookup
//! argument, batched opening, the whole circuit proof) decodes arbitrary
//! bytes without panicking. Small inputs: many executions per second, where
//! a whole proof body (`proof_body`) costs milliseconds to decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkllm::circuit::CircuitProof;
use zkllm::claims::BatchOpeningProof;
use zkllm::commit::{HyraxCommitment, HyraxOpening};
use zkllm::protocols::lookup::LookupProof;
use zkllm::sumcheck::SumcheckProof;
use zkllm::wire::Wire;

fuzz_target!(|data: &[u8]| {
    let _ = CircuitProof::from_bytes(data);
    let _ = <SumcheckProof>::from_bytes(data);
    let _ = HyraxCommitment::from_bytes(data);
    let _ = HyraxOpening::from_bytes(data);
    let _ = LookupProof::from_bytes(data);
    let _ = BatchOpeningProof::from_bytes(data);
});
