//! A proof file's body (and the file header check) never panics, and a
//! body that parses re-encodes to the same bytes (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkllm::artifacts::{check_header, ProofFile, PROOF_FILE_MAGIC};

fuzz_target!(|data: &[u8]| {
    let _ = check_header(data, PROOF_FILE_MAGIC, "proof", "fuzz");
    if let Ok(p) = ProofFile::from_body(data, "fuzz") {
        assert_eq!(p.to_bytes(), data, "a proof body parsed but is not canonical");
    }
});
