#!/usr/bin/env python3
"""onnxruntime's MatMulInteger 1024^3 and Conv 3x3x64x64 timed by thread CPU time (one intra-op thread
runs on the calling thread), for peers_cputime.sh; prints "<case> <seconds>" lines."""
import time

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import peers


def cpu_best(fn, reps=12):
    fn()
    best = 1e9
    for _ in range(reps):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


def main():
    rng = np.random.default_rng(5)
    m = k = n = 1024
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    g = helper.make_graph([helper.make_node("MatMulInteger", ["A", "B", "az"], ["Y"])], "mmi",
                          [helper.make_tensor_value_info("A", TensorProto.UINT8, [m, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
                          [numpy_helper.from_array(b, "B"), numpy_helper.from_array(np.array(128, np.uint8), "az")])
    s = peers.session(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9))
    a = rng.integers(0, 256, (m, k), dtype=np.uint8)
    print(f"int8_gemm_1024 {cpu_best(lambda: s.run(None, {'A': a})):.6f}")
    wt = rng.standard_normal((64, 64, 3, 3), dtype=np.float32)
    node = helper.make_node("Conv", ["X", "W"], ["Y"], pads=[1] * 4, kernel_shape=[3, 3])
    g = helper.make_graph([node], "conv", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64, 56, 56])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 64, 56, 56])],
                          [numpy_helper.from_array(wt, "W")])
    s = peers.session(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9))
    x = rng.standard_normal((1, 64, 56, 56), dtype=np.float32)
    print(f"conv_3x3x64x64 {cpu_best(lambda: s.run(None, {'X': x})):.6f}")


if __name__ == "__main__":
    main()
