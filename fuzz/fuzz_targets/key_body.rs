//! Verifying- and proving-key bodies never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkllm::artifacts::{ProvingKey, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    let _ = VerifyingKey::from_body(data, "fuzz");
    let _ = ProvingKey::from_body(data, "fuzz");
});
