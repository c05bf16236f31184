#!/usr/bin/env python3
"""Builds fixtures/odd_dims.onnx with the `onnx` helper API: a tiny causal LM
whose tensor dimensions are not powers of two (vocabulary 100, hidden 24,
MLP width 40), so that tests can check that the padding of weights up to
the next power of two is constrained.

    python importers/make_odd_fixture.py            # fixtures/odd_dims.onnx + .ref.json
    python importers/make_odd_fixture.py --out X.onnx

Needs `onnx` and `numpy` only (no torch); `onnxruntime` is optional.

The graph, spelled like the exporters spell it (two pre-norm layers):

    x = Gather(embed[100, 24], input_ids)
    per layer:
      h = RMSNorm(x) = x * Reciprocal(Sqrt(ReduceMean(Pow(x, 2), -1) + eps)) * gain[24]
      single-head causal attention of width 24:
        q, k, v = h @ Wq, h @ Wk, h @ Wv           (each [24, 24], plus biases)
        s = q @ Transpose(k) * (1 / sqrt(24)) + mask
        x = x + Softmax(s) @ v @ Wo
        (mask is built from the sequence length: Range / Unsqueeze / Less /
        Where(j > i, -inf-like, 0); tract folds it to a constant once seq is fixed)
      h = RMSNorm(x) * gain2[24]
      x = x + (SiLU(h @ W1[24, 40] + b1[40])) @ W2[40, 24] + b2[24]
    logits = RMSNorm(x) * gain_f[24] @ lm_head[24, 100]

Attention is there so that the fixture satisfies what the import tests ask of
every fixture with a `.ref.json` (at least two masked softmaxes); its 24 keys
and 8 positions are not powers of two either.

The `.ref.json` has the keys of the exporter fixtures. There is no torch
model here: `logits_torch` holds the float32 numpy evaluation of the same
graph with the same weights (the reference implementation in this script),
and `logits_ort` holds onnxruntime's logits of the saved file when
onnxruntime is installed (otherwise the numpy logits again, with
`max_abs_torch_vs_ort` 0).
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB, HIDDEN, MLP, LAYERS = 100, 24, 40, 2
EPS = 1e-5
SEED = 20240607
REF_IDS = [1, 5, 9, 3, 77, 42, 99, 0]
NEG = float(np.finfo(np.float32).min)


def make_weights():
    rng = np.random.default_rng(SEED)
    f = lambda *shape, scale=0.2: (rng.standard_normal(shape) * scale).astype(np.float32)
    gain = lambda: (1.0 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
    w = {"embed": f(VOCAB, HIDDEN, scale=0.5)}
    for l in range(LAYERS):
        p = f"layers.{l}."
        w[p + "attn_norm.gain"] = gain()
        for n in "qkvo":
            w[p + f"attn.w{n}"] = f(HIDDEN, HIDDEN)
            w[p + f"attn.b{n}"] = f(HIDDEN, scale=0.05)
        w[p + "mlp_norm.gain"] = gain()
        w[p + "mlp.w1"] = f(HIDDEN, MLP)
        w[p + "mlp.b1"] = f(MLP, scale=0.05)
        w[p + "mlp.w2"] = f(MLP, HIDDEN)
        w[p + "mlp.b2"] = f(HIDDEN, scale=0.05)
    w["final_norm.gain"] = gain()
    w["lm_head"] = f(HIDDEN, VOCAB)
    return w


def reference_logits(w, ids):
    """The same computation in numpy (float32), [seq * vocab] flattened."""
    def norm(x, g):
        ms = np.mean(x ** 2, axis=-1, keepdims=True)
        return x * (np.float32(1) / np.sqrt(ms + np.float32(EPS))) * g

    s = len(ids)
    x = w["embed"][np.array(ids)][None]  # [1, s, 24]
    mask = np.where(np.arange(s)[None, :] > np.arange(s)[:, None], np.float32(NEG), np.float32(0))
    for l in range(LAYERS):
        p = f"layers.{l}."
        h = norm(x, w[p + "attn_norm.gain"])
        q, k, v = (h @ w[p + f"attn.w{n}"] + w[p + f"attn.b{n}"] for n in "qkv")
        sc = (q @ k.transpose(0, 2, 1)) * np.float32(1 / np.sqrt(HIDDEN)) + mask
        sc = np.exp(sc - sc.max(-1, keepdims=True))
        a = sc / sc.sum(-1, keepdims=True)
        x = x + ((a @ v) @ w[p + "attn.wo"] + w[p + "attn.bo"])
        h = norm(x, w[p + "mlp_norm.gain"])
        u = h @ w[p + "mlp.w1"] + w[p + "mlp.b1"]
        u = u * (1 / (1 + np.exp(-u)))
        x = x + (u @ w[p + "mlp.w2"] + w[p + "mlp.b2"])
    x = norm(x, w["final_norm.gain"])
    return (x @ w["lm_head"]).astype(np.float32).reshape(-1)


def build(w):
    nodes, inits = [], [numpy_helper.from_array(v, k) for k, v in w.items()]

    def const(name, value, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name="/" + out, **attrs))
        return out

    two, eps = const("const.two", 2.0), const("const.eps", EPS)
    scale = const("const.scale", 1 / np.sqrt(HIDDEN))
    neg, zero = const("const.neg", NEG), const("const.zero", 0.0)
    last = const("const.last_axis", [-1], np.int64)  # ReduceMean's axes (an input since opset 18)

    def rms_norm(x, gain, p):
        sq = node("Pow", [x, two], p + "/Pow")
        ms = node("ReduceMean", [sq, last], p + "/ReduceMean", keepdims=1)
        ad = node("Add", [ms, eps], p + "/Add")
        sr = node("Sqrt", [ad], p + "/Sqrt")
        rc = node("Reciprocal", [sr], p + "/Reciprocal")
        nx = node("Mul", [x, rc], p + "/Mul")
        return node("Mul", [nx, gain], p + "/Mul_1")

    # Causal mask [seq, seq] from the sequence length.
    i64 = lambda name, v: const(name, v, np.int64)
    shp = node("Shape", ["input_ids"], "mask/Shape")
    seq = node("Gather", [shp, i64("const.one_i", 1)], "mask/Gather", axis=0)
    rng = node("Range", [i64("const.zero_i", 0), seq, i64("const.step_i", 1)], "mask/Range")
    rows = node("Unsqueeze", [rng, i64("const.axes1", [1])], "mask/Unsqueeze")
    cols = node("Unsqueeze", [rng, i64("const.axes0", [0])], "mask/Unsqueeze_1")
    above = node("Less", [rows, cols], "mask/Less")
    mask = node("Where", [above, neg, zero], "mask/Where")

    x = node("Gather", ["embed", "input_ids"], "embed/Gather", axis=0)
    for l in range(LAYERS):
        p = f"layers.{l}"
        h = rms_norm(x, f"{p}.attn_norm.gain", f"{p}/attn_norm")
        qkv = []
        for n in "qkv":
            m = node("MatMul", [h, f"{p}.attn.w{n}"], f"{p}/attn/{n}_proj/MatMul")
            qkv.append(node("Add", [m, f"{p}.attn.b{n}"], f"{p}/attn/{n}_proj/Add"))
        q, k, v = qkv
        kt = node("Transpose", [k], f"{p}/attn/Transpose", perm=[0, 2, 1])
        sc = node("MatMul", [q, kt], f"{p}/attn/MatMul")
        sc = node("Mul", [sc, scale], f"{p}/attn/Mul")
        sc = node("Add", [sc, mask], f"{p}/attn/Add")
        a = node("Softmax", [sc], f"{p}/attn/Softmax", axis=-1)
        o = node("MatMul", [a, v], f"{p}/attn/MatMul_1")
        o = node("MatMul", [o, f"{p}.attn.wo"], f"{p}/attn/o_proj/MatMul")
        o = node("Add", [o, f"{p}.attn.bo"], f"{p}/attn/o_proj/Add")
        x = node("Add", [x, o], f"{p}/Add")
        h = rms_norm(x, f"{p}.mlp_norm.gain", f"{p}/mlp_norm")
        u = node("MatMul", [h, f"{p}.mlp.w1"], f"{p}/mlp/fc1/MatMul")
        u = node("Add", [u, f"{p}.mlp.b1"], f"{p}/mlp/fc1/Add")
        sg = node("Sigmoid", [u], f"{p}/mlp/act/Sigmoid")
        u = node("Mul", [u, sg], f"{p}/mlp/act/Mul")
        d = node("MatMul", [u, f"{p}.mlp.w2"], f"{p}/mlp/fc2/MatMul")
        d = node("Add", [d, f"{p}.mlp.b2"], f"{p}/mlp/fc2/Add")
        x = node("Add", [x, d], f"{p}/Add_1")
    h = rms_norm(x, "final_norm.gain", "final_norm")
    nodes.append(helper.make_node("MatMul", [h, "lm_head"], ["logits"], name="/lm_head/MatMul"))

    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "seq", VOCAB])
    graph = helper.make_graph(nodes, "odd_dims", [ids], [logits], inits)
    # Opset 18 and IR version 10, as the dynamo-exported fixtures.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                              producer_name="zkllm-fixtures", ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="fixtures/odd_dims.onnx")
    args = ap.parse_args()
    w = make_weights()
    model = build(w)
    onnx.save(model, args.out)
    ref = reference_logits(w, REF_IDS)
    ort = ref
    try:
        import onnxruntime
        sess = onnxruntime.InferenceSession(args.out, providers=["CPUExecutionProvider"])
        ort = sess.run(["logits"], {"input_ids": np.array([REF_IDS], dtype=np.int64)})[0].reshape(-1)
    except ImportError:
        print("onnxruntime not installed: logits_ort = the numpy logits")
    diff = float(np.abs(ref - ort).max())
    out = {
        "family": "odd_dims",
        "exporter": "onnx-helper",
        "inputs": ["input_ids"],
        "input_ids": REF_IDS,
        "vocab": VOCAB,
        "logits_torch": [round(float(v), 6) for v in ref],
        "logits_ort": [round(float(v), 6) for v in ort],
        "max_abs_torch_vs_ort": diff,
    }
    ref_path = os.path.splitext(args.out)[0] + ".ref.json"
    with open(ref_path, "w") as fh:
        json.dump(out, fh)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) and {ref_path}; "
          f"max |numpy - onnxruntime| = {diff:.3g}")


if __name__ == "__main__":
    main()
