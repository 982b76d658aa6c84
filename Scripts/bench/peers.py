#!/usr/bin/env python3
"""Peers for `whittle bench`: numpy, onnxruntime and gguf on Whittle's shapes; prints a Markdown
table of Whittle/peer ratios (> 1 means Whittle is faster). Called by Scripts/bench/peers."""
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from gguf import GGMLQuantizationType as Q
from gguf import quants
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic


def best(fn, min_total=0.5, min_reps=3, max_reps=200):
    fn()
    times = []
    while len(times) < min_reps or (sum(times) < min_total and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def session(model):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model.SerializeToString() if isinstance(model, onnx.ModelProto) else model,
                                so, providers=["CPUExecutionProvider"])


def matmul_model(m, k, n, w):
    """Y = X @ W with W (k x n) an initializer."""
    g = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])], "mm",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [m, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
                          [numpy_helper.from_array(w, "W")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)


def ort_matmul(m, k, n, rng):
    x = rng.standard_normal((m, k), dtype=np.float32)
    s = session(matmul_model(m, k, n, rng.standard_normal((k, n), dtype=np.float32)))
    return best(lambda: s.run(None, {"X": x}))


def ort_matmul_integer(m, k, n, rng):
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    g = helper.make_graph([helper.make_node("MatMulInteger", ["A", "B", "az"], ["Y"])], "mmi",
                          [helper.make_tensor_value_info("A", TensorProto.UINT8, [m, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
                          [numpy_helper.from_array(b, "B"), numpy_helper.from_array(np.array(128, np.uint8), "az")])
    s = session(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9))
    a = rng.integers(0, 256, (m, k), dtype=np.uint8)
    return best(lambda: s.run(None, {"A": a}))


def ort_dynamic_int8(m, k, n, rng, tmp):
    src, dst = f"{tmp}/f32_{m}_{k}_{n}.onnx", f"{tmp}/int8_{m}_{k}_{n}.onnx"
    onnx.save(matmul_model(m, k, n, rng.standard_normal((k, n), dtype=np.float32)), src)
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
    s = session(dst)
    x = rng.standard_normal((m, k), dtype=np.float32)
    return best(lambda: s.run(None, {"X": x}))


def ort_conv(batch, cin, h, w, cout, kh, pad, rng):
    wt = rng.standard_normal((cout, cin, kh, kh), dtype=np.float32)
    bias = rng.standard_normal(cout, dtype=np.float32)
    oh = h + 2 * pad - kh + 1
    node = helper.make_node("Conv", ["X", "W", "B"], ["Y"], pads=[pad] * 4, kernel_shape=[kh, kh])
    g = helper.make_graph([node], "conv", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [batch, cin, h, w])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [batch, cout, oh, oh])],
                          [numpy_helper.from_array(wt, "W"), numpy_helper.from_array(bias, "B")])
    s = session(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9))
    x = rng.standard_normal((batch, cin, h, w), dtype=np.float32)
    return best(lambda: s.run(None, {"X": x}))


GGML_TYPES = ["f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_xs"]
# The targets (AVX2 machine, 1 thread): GEMV 4096^2 vs numpy sgemv.
NUMPY_TARGETS = {"q8_0": 2.5, "q4_0": 4.0, "q4_K": 4.0, "q6_K": 3.0}


def tsc_hz():
    """The TSC rate test-quantize-perf's cycle counts tick at: /proc/cpuinfo's "cpu MHz" (equal to
    the TSC on constant_tsc machines such as this one's VMs)."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    except OSError:
        pass
    return None


def llama_vec_dot_seconds(bin_dir, kind, cols):
    """Seconds for one row of llama.cpp's vec_dot (test-quantize-perf, activations and weights in
    cache): its minimum cycle count over 2000 calls, like Whittle's best-of-runs times. This is the
    per-row cost of its GEMV without the weight traffic, so it favours llama.cpp."""
    exe = os.path.join(bin_dir or "", "test-quantize-perf")
    hz = tsc_hz()
    if not bin_dir or not os.path.exists(exe) or not hz:
        return None
    out = subprocess.run([exe, "--op", "vec_dot_q", "--type", kind, "--size", str(cols), "-i", "2000"],
                         capture_output=True, text=True).stdout
    m = re.search(r"min cycles/32 vals\s*:\s*([0-9.]+)", out)
    return None if not m else float(m.group(1)) * cols / 32 / hz


def ggml_rows(row, w1, isa, t_np, bin_dir, rows_cols, w2gemv, build="native build"):
    """GEMV (1 row and a 32-row batch) for every ggml weight type, against numpy sgemv and llama.cpp."""
    for (r, c) in rows_cols:
        for kind in GGML_TYPES:
            res = w1.get(f"gemv_{kind}_{r}x{c}")
            if res is None:
                continue
            t_w = res["seconds"]
            tgt = NUMPY_TARGETS.get(kind) if (r, c) == (4096, 4096) and isa == "avx2" else None
            row(f"GEMV {r}x{c} {kind} [{isa}] vs numpy f32 sgemv ({res['gbps']:.1f} GB/s of weights)",
                f"{t_w * 1e3:.3f} ms", f"{t_np[(r, c)] * 1e3:.3f} ms", t_np[(r, c)] / t_w, tgt)
            t_l = llama_vec_dot_seconds(bin_dir, kind, c)
            if t_l is not None:
                row(f"GEMV {r}x{c} {kind} [{isa}] vs llama.cpp vec_dot x {r} rows ({build})",
                    f"{t_w * 1e3:.3f} ms", f"{t_l * r * 1e3:.3f} ms", t_l * r / t_w, 1.0 if isa == "avx2" else None)
            b = w1.get(f"gemm32_{kind}_{r}x{c}")
            if b is not None:
                row(f"32-row batch {r}x{c} {kind} [{isa}] vs 32 x numpy sgemv", f"{b['seconds'] * 1e3:.2f} ms",
                    f"{32 * t_np[(r, c)] * 1e3:.2f} ms", 32 * t_np[(r, c)] / b["seconds"])
            if w2gemv and (r, c) == (4096, 11008) and f"gemv_{kind}_{r}x{c}" in w2gemv:
                t2 = w2gemv[f"gemv_{kind}_{r}x{c}"]
                row(f"GEMV {r}x{c} {kind} [{isa}]: 2 threads vs 1 ({t2['gbps']:.1f} GB/s)", f"{t2['seconds'] * 1e3:.3f} ms",
                    f"{t_w * 1e3:.3f} ms", t_w / t2["seconds"], 1.6 if kind == "q4_0" and isa == "avx2" else None)


def main():
    import tempfile
    w1 = {r["name"]: r for r in json.load(open(sys.argv[1]))["results"]}
    w2 = {r["name"]: r for r in json.load(open(sys.argv[2]))["results"]}
    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp()
    rows = []  # (what, whittle, peer, ratio, target)

    def row(what, whittle, peer, ratio, target=None):
        met = "" if target is None else ("met" if ratio >= target else "NOT met")
        rows.append((what, whittle, peer, f"{ratio:.2f}x", "" if target is None else f">= {target}x {met}"))

    np_gemm = {}
    report1 = json.load(open(sys.argv[1]))
    isa = report1.get("isa", "?")
    avx2_path = os.environ.get("WHITTLE_AVX2_JSON", "")
    wa = {r["name"]: r for r in json.load(open(avx2_path))["results"]} if avx2_path else None
    g2_path = os.environ.get("WHITTLE_2T_GEMV_JSON", "")
    w2gemv = {r["name"]: r for r in json.load(open(g2_path))["results"]} if g2_path else None
    g2a_path = os.environ.get("WHITTLE_AVX2_2T_GEMV_JSON", "")
    w2gemv_avx2 = {r["name"]: r for r in json.load(open(g2a_path))["results"]} if g2a_path else None
    runs = [(isa, w1)] + ([("avx2", wa)] if wa else [])
    for n in (256, 1024, 2048):
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        np_gemm[n] = 2 * n ** 3 / best(lambda: a @ b) / 1e9
        og = 2 * n ** 3 / ort_matmul(n, n, n, rng) / 1e9
        for level, w in runs:
            wg = w[f"gemm_f32_{n}"]["gflops"]
            row(f"f32 GEMM {n}^3 [{level}] vs numpy", f"{wg:.1f} GFLOPS", f"{np_gemm[n]:.1f} GFLOPS", wg / np_gemm[n],
                (0.9 if level == "avx2" else 0.85) if n == 1024 else None)
            row(f"f32 GEMM {n}^3 [{level}] vs onnxruntime MatMul", f"{wg:.1f} GFLOPS", f"{og:.1f} GFLOPS", wg / og)

    oi = 2 * 1024 ** 3 / ort_matmul_integer(1024, 1024, 1024, rng) / 1e9
    od = 2 * 1024 ** 3 / ort_dynamic_int8(1024, 1024, 1024, rng, tmp) / 1e9
    for level, w in runs:
        wi = w["gemm_int8_1024"]["gflops"]
        row(f"int8 GEMM 1024^3 [{level}] (f32 in/out) vs numpy f32", f"{wi:.1f} GOPS", f"{np_gemm[1024]:.1f} GFLOPS", wi / np_gemm[1024], 2.5)
        row(f"int8 GEMM 1024^3 [{level}] vs onnxruntime MatMulInteger (i32 out)", f"{wi:.1f} GOPS", f"{oi:.1f} GOPS", wi / oi,
            1.0 if level == "avx2" else None)
        row(f"int8 GEMM 1024^3 [{level}] vs onnxruntime dynamic int8", f"{wi:.1f} GOPS", f"{od:.1f} GOPS", wi / od)

    t_nps = {}
    for (r, c) in ((4096, 4096), (4096, 11008)):
        wmat = rng.standard_normal((r, c), dtype=np.float32)
        x = rng.standard_normal(c, dtype=np.float32)
        t_np = t_nps[(r, c)] = best(lambda: wmat @ x)
        t_dyn = ort_dynamic_int8(1, c, r, rng, tmp)
        for level, w in runs:
            for kind, target in (("f32", None), ("int8", 2.5), ("q8_0", 2.5), ("q4_0", 4.0)):
                t_w = w[f"gemv_{kind}_{r}x{c}"]["seconds"]
                tgt = target if (r, c) == (4096, 4096) else None
                row(f"GEMV {r}x{c} {kind} [{level}] vs numpy f32 sgemv", f"{t_w * 1e3:.3f} ms", f"{t_np * 1e3:.3f} ms", t_np / t_w, tgt)
                if kind in ("int8", "q8_0", "q4_0"):
                    row(f"GEMV {r}x{c} {kind} [{level}] vs onnxruntime dynamic int8", f"{t_w * 1e3:.3f} ms", f"{t_dyn * 1e3:.3f} ms",
                        t_dyn / t_w, 1.0 if kind == "int8" and level == "avx2" and (r, c) == (4096, 4096) else None)
        if (r, c) == (4096, 4096):
            t_deq = w1[f"gemv_q4_0_dequant_{r}x{c}"]["seconds"]
            row(f"GEMV {r}x{c} q4_0 dequantize-on-the-fly vs numpy", f"{t_deq * 1e3:.3f} ms", f"{t_np * 1e3:.3f} ms", t_np / t_deq)
            for name in ("spmv_csr_90", "spmv_2to4"):
                t_s = w1[name]["seconds"]
                row(f"{name} 4096x4096 vs numpy dense sgemv", f"{t_s * 1e3:.3f} ms", f"{t_np * 1e3:.3f} ms", t_np / t_s)

    bin_dir = os.environ.get("LLAMA_BIN", "")
    # The [avx2] rows compare with llama.cpp built for AVX2 only (what it runs on an AVX2 CPU), when
    # that build is at hand; the native build would use AVX-512 VNNI on this machine.
    avx2_bin = os.environ.get("LLAMA_AVX2_BIN", "")
    for level, w in runs:
        use_avx2 = level == "avx2" and isa != "avx2" and avx2_bin
        ggml_rows(row, w, level, t_nps, avx2_bin if use_avx2 else bin_dir, ((4096, 4096), (4096, 11008)),
                  w2gemv if level == isa else w2gemv_avx2, "AVX2 build" if use_avx2 else "native build")

    for name, (batch, cin, h, cout, k, pad) in {"conv_lenet5_c1": (64, 1, 28, 6, 5, 2), "conv_lenet5_c3": (64, 6, 14, 16, 5, 0),
                                                "conv_3x3x64x64": (1, 64, 56, 64, 3, 1)}.items():
        t_o = ort_conv(batch, cin, h, h, cout, k, pad, rng)
        for level, w in runs:
            t_w = w[name]["seconds"]
            row(f"{name} [{level}] vs onnxruntime Conv", f"{t_w * 1e3:.3f} ms", f"{t_o * 1e3:.3f} ms", t_o / t_w,
                0.8 if name == "conv_3x3x64x64" and level == "avx2" else None)

    g1, g2 = w1["gemm_f32_2048"]["gflops"], w2["gemm_f32_2048"]["gflops"]
    row("f32 GEMM 2048^3: 2 threads vs 1 thread", f"{g2:.1f} GFLOPS", f"{g1:.1f} GFLOPS", g2 / g1, 1.7)

    xq = rng.standard_normal(1 << 24, dtype=np.float32)  # the same 64 MB as whittle bench
    for kind, qt in (("q8_0", Q.Q8_0), ("q4_0", Q.Q4_0)):
        gb = xq.nbytes / best(lambda: quants.quantize(xq, qt), min_total=0.2, min_reps=2) / 1e9
        wgb = w1[f"quantize_{kind}"]["gbps"]
        row(f"quantize f32->{kind} vs gguf numpy", f"{wgb:.2f} GB/s", f"{gb:.3f} GB/s", wgb / gb, 20)
        rows.append((f"quantize f32->{kind} absolute", f"{wgb:.2f} GB/s", "1 GB/s", f"{wgb:.2f}x", f">= 1x {'met' if wgb >= 1 else 'NOT met'}"))

    print(f"numpy {np.__version__}, onnxruntime {ort.__version__}, whittle isa={isa} (cpu: {report1.get('cpu', '?')})"
          + (", plus WHITTLE_ISA=avx2" if wa else "") + (f", llama.cpp {bin_dir}" if bin_dir else ", no llama.cpp build")
          + (f" and (AVX2 only) {os.environ['LLAMA_AVX2_BIN']}" if os.environ.get("LLAMA_AVX2_BIN") else ""))
    print("| comparison | Whittle | peer | Whittle/peer | target |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
