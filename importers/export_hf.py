#!/usr/bin/env python3
"""Export a Hugging Face causal LM to ONNX for zkllm.

The exported graph takes `input_ids [1, seq]` (int64) and returns
`logits [1, seq, vocab]` (float32). `--with-mask-inputs` additionally exposes
`attention_mask` and `position_ids`, as Hugging Face optimum and many user
scripts do; zkllm binds them to all-ones and 0..seq-1.

Two modes:

* `--model NAME_OR_DIR`: export a real model (weights from a local directory or
  the hub cache).
* `--tiny FAMILY` (gpt2, llama, opt, qwen2, neox, gptj): build a tiny random-weight
  model of that family with *every* parameter randomized (norm gains, biases),
  so tract's declutter cannot fold ones/zeros away. Used for the test fixtures.

Both torch exporters are supported: `--exporter dynamo` (torch.export based, the
default in current torch) and `--exporter legacy` (TorchScript). Alongside the
model the script writes `NAME.ref.json` with the reference input ids, the torch
float logits and (if onnxruntime is installed) onnxruntime's logits of the
exported file.

Example (the fixtures in ../fixtures were made by ../fixtures/regenerate.sh):

    python importers/export_hf.py --tiny llama --exporter dynamo \
        --seq-len 8 --out fixtures/llama_dynamo.onnx
"""
import argparse
import json
import os

import torch


def tiny_config(family):
    import transformers as tf

    common = dict(vocab_size=128)
    if family == "gpt2":
        return tf.GPT2Config(n_embd=64, n_layer=2, n_head=4, n_positions=64,
                             activation_function="gelu_new", **common)
    if family == "llama":
        return tf.LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2,
                              max_position_embeddings=64, tie_word_embeddings=False, **common)
    if family == "qwen2":
        return tf.Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2,
                              max_position_embeddings=64, tie_word_embeddings=False, **common)
    if family == "opt":
        return tf.OPTConfig(hidden_size=64, ffn_dim=128, num_hidden_layers=2,
                            num_attention_heads=4, max_position_embeddings=64,
                            word_embed_proj_dim=64, **common)
    if family == "neox":
        return tf.GPTNeoXConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                num_attention_heads=4, max_position_embeddings=64,
                                rotary_pct=0.5, **common)
    if family == "gptj":
        # interleaved ("rotate every two") rotary on the first 8 of 16 head dims
        return tf.GPTJConfig(n_embd=64, n_layer=2, n_head=4, n_positions=64,
                             rotary_dim=8, activation_function="gelu_new", **common)
    raise SystemExit(f"unknown family {family}")


def randomize(model, seed):
    """Give every parameter a non-trivial random value (gains around 1, biases
    around 0, matrices scaled by fan-in so activations stay O(1))."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                if name.endswith("bias"):
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
                else:  # norm gain
                    p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p.shape[-1] if "emb" not in name and "wte" not in name and "wpe" not in name else 1
                std = 0.8 / (fan_in ** 0.5) if fan_in > 1 else 0.5
                p.copy_(std * torch.randn(p.shape, generator=g))


class LogitsOnly(torch.nn.Module):
    def __init__(self, model, with_mask_inputs, legacy=False):
        super().__init__()
        self.model = model
        self.with_mask_inputs = with_mask_inputs
        self.legacy = legacy

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        kw = dict(input_ids=input_ids, use_cache=False)
        if self.with_mask_inputs:
            kw["attention_mask"] = attention_mask
            if position_ids is not None:
                kw["position_ids"] = position_ids
        elif self.legacy:
            # transformers' mask code calls aten::diff (position_ids packing
            # detection) when no mask is given, which the TorchScript exporter
            # cannot export; an all-ones mask built in the graph avoids it.
            kw["attention_mask"] = torch.ones_like(input_ids)
        return self.model(**kw).logits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="HF model name or local directory")
    src.add_argument("--gguf", help="a GGUF file (dequantized to float32 by transformers + gguf)")
    src.add_argument("--tiny", help="family of a tiny random model: gpt2 llama opt qwen2 neox gptj")
    ap.add_argument("--config", default=None,
                    help='with --tiny: JSON of config overrides, e.g. a GPT-2-small-shaped block: '
                         '\'{"n_embd": 768, "n_head": 12, "n_layer": 1, "vocab_size": 512}\'')
    ap.add_argument("--exporter", choices=["dynamo", "legacy"], default="dynamo")
    ap.add_argument("--opset", type=int, default=18)
    ap.add_argument("--seq-len", type=int, default=8, help="length of the reference input")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--with-mask-inputs", action="store_true",
                    help="also take attention_mask and position_ids inputs")
    ap.add_argument("--out", required=True, help="output .onnx path")
    ap.add_argument("--text", action="append", default=[],
                    help="also write the token ids of this text (repeatable; needs the model's tokenizer)")
    args = ap.parse_args()

    import transformers as tf
    torch.manual_seed(args.seed)
    if args.tiny:
        cfg = tiny_config(args.tiny)
        if args.config:
            import json as _json
            for k, v in _json.loads(args.config).items():
                setattr(cfg, k, v)
        cfg._attn_implementation = "eager"
        model = tf.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
        randomize(model, args.seed)
    elif args.gguf:
        d, f = os.path.split(os.path.abspath(args.gguf))
        model = tf.AutoModelForCausalLM.from_pretrained(d, gguf_file=f, attn_implementation="eager",
                                                        torch_dtype=torch.float32)
    else:
        model = tf.AutoModelForCausalLM.from_pretrained(args.model, attn_implementation="eager",
                                                        torch_dtype=torch.float32)
    model.eval()
    wrapper = LogitsOnly(model, args.with_mask_inputs, args.exporter == "legacy").eval()

    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(args.seed + 1)
    ids = torch.randint(0, vocab, (1, args.seq_len), generator=g)
    inputs = [ids]
    names = ["input_ids"]
    if args.with_mask_inputs:
        # OPT derives positions from the mask and takes no position_ids.
        inputs.append(torch.ones_like(ids))
        names.append("attention_mask")
        if args.tiny != "opt" and "opt" not in model.config.model_type:
            inputs.append(torch.arange(args.seq_len).unsqueeze(0))
            names.append("position_ids")
    with torch.no_grad():
        logits = wrapper(*inputs)

    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if args.exporter == "dynamo":
        seq = torch.export.Dim("seq", min=2, max=model.config.max_position_embeddings
                               if hasattr(model.config, "max_position_embeddings") else 1024)
        shapes = {n: {1: seq} for n in names}
        prog = torch.onnx.export(wrapper, tuple(inputs), dynamo=True, opset_version=args.opset,
                                 input_names=names, output_names=["logits"],
                                 dynamic_shapes=shapes)
        prog.save(out, external_data=False) if args.tiny else prog.save(out)
    else:
        axes = {n: {0: "batch", 1: "seq"} for n in names}
        axes["logits"] = {0: "batch", 1: "seq"}
        torch.onnx.export(wrapper, tuple(inputs), out, dynamo=False, opset_version=min(args.opset, 17),
                          input_names=names, output_names=["logits"], dynamic_axes=axes)

    ref = {"family": args.tiny or model.config.model_type, "exporter": args.exporter,
           "inputs": names, "input_ids": ids[0].tolist(), "vocab": vocab,
           "logits_torch": [round(float(v), 6) for v in logits[0].flatten()]}
    try:
        import onnxruntime as ort
        import numpy as np
        sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
        feed = {n: t.numpy() for n, t in zip(names, inputs)}
        ort_logits = sess.run(["logits"], feed)[0]
        ref["logits_ort"] = [round(float(v), 6) for v in ort_logits[0].flatten()]
        ref["max_abs_torch_vs_ort"] = float(np.abs(ort_logits - logits.numpy()).max())
    except ImportError:
        pass
    if args.text:
        src_dir, gguf = (os.path.split(os.path.abspath(args.gguf)) if args.gguf else (args.model, None))
        tok = tf.AutoTokenizer.from_pretrained(src_dir, gguf_file=gguf) if gguf else tf.AutoTokenizer.from_pretrained(src_dir)
        ref["texts"] = [{"text": t, "input_ids": tok(t)["input_ids"]} for t in args.text]
    with open(out[:-len(".onnx")] + ".ref.json", "w") as f:
        json.dump(ref, f)
    print(out, "max|torch-ort| =", ref.get("max_abs_torch_vs_ort"))


if __name__ == "__main__":
    main()
