#!/usr/bin/env python3
"""Builds the small hand-made ONNX files of fixtures/malformed/ with the
`onnx` helper API: models that zkllm must refuse with a clear message.

    python importers/make_malformed.py fixtures/malformed
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def init(name, shape, seed):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="zkllm-fixtures")
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main(out):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "seq", 16])
    emb, w = init("emb", [16, 8], 0), init("w", [8, 16], 1)

    # Two ops the IR cannot prove (Sin and Abs of activations): both must be listed.
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["x"], name="embed"),
        helper.make_node("Sin", ["x"], ["s"], name="the_sin"),
        helper.make_node("Abs", ["s"], ["a"], name="the_abs"),
        helper.make_node("MatMul", ["a", "w"], ["logits"], name="head"),
    ]
    save(helper.make_graph(nodes, "unsupported", [ids], [logits], [emb, w]), f"{out}/unsupported.onnx")

    # No input_ids.
    tokens = helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, "seq"])
    nodes = [
        helper.make_node("Gather", ["emb", "tokens"], ["x"], name="embed"),
        helper.make_node("MatMul", ["x", "w"], ["logits"], name="head"),
    ]
    save(helper.make_graph(nodes, "no_ids", [tokens], [logits], [emb, w]), f"{out}/no_input_ids.onnx")

    # A decode-step export with a past key/value input.
    past = helper.make_tensor_value_info("past_key_values.0.key", TensorProto.FLOAT, [1, 2, "past", 4])
    present = helper.make_tensor_value_info("present.0.key", TensorProto.FLOAT, [1, 2, "past", 4])
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["x"], name="embed"),
        helper.make_node("MatMul", ["x", "w"], ["logits"], name="head"),
        helper.make_node("Identity", ["past_key_values.0.key"], ["present.0.key"], name="keep"),
    ]
    save(helper.make_graph(nodes, "kv", [ids, past], [logits, present], [emb, w]), f"{out}/kv_cache.onnx")

    # A model with an extra symbolic dimension that only --dim can bind.
    ids3 = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])
    extra = helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "seq", "heads"])
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["x"], name="embed"),
        helper.make_node("MatMul", ["x", "w"], ["logits"], name="head"),
    ]
    save(helper.make_graph(nodes, "extra_dim", [ids3, extra], [logits], [emb, w]), f"{out}/extra_dim.onnx")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures/malformed")
