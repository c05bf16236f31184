#!/usr/bin/env bash
# Seeds the fuzz corpora with a real proof body and real key bodies (a fixture
# model, 4 tokens): the 44-byte file header is cut off, the targets parse bodies.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
tmp=$(mktemp -d)
echo '{"input_ids": [1, 2, 3, 4]}' > "$tmp/in.json"
./target/release/zkllm setup fixtures/llama_dynamo.onnx --seq-len 4 -o "$tmp" -q
./target/release/zkllm prove --pk "$tmp/model.pk" --input "$tmp/in.json" -o "$tmp/proof.bin" -q
mkdir -p fuzz/corpus/proof_body fuzz/corpus/key_body
tail -c +45 "$tmp/proof.bin" > fuzz/corpus/proof_body/llama_4_tokens
tail -c +45 "$tmp/model.vk" > fuzz/corpus/key_body/llama_vk
rm -rf "$tmp"
