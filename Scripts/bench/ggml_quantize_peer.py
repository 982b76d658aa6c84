#!/usr/bin/env python3
"""Quantize throughput per ggml type, Whittle next to llama.cpp, in one run (1 thread each).

Run: Scripts/bench/ggml_quantize_peer.py [WHITTLE_BINARY] [LLAMA_CPP_DIR]
  WHITTLE_BINARY defaults to .build/release/whittle; LLAMA_CPP_DIR to ~/.cache/whittle/llama.cpp-0.3.36.
Columns (MB/s of f32 input, best of several runs):
  whittle      `whittle bench --filter quantize_ggml_` (GGMLCodec.quantize on 256 x 4096)
  ggml         ggml's quantize_<type>(src, dst, 256, 4096, imatrix) from ggml-quants.c compiled with
               ggml-base's flags (what llama-quantize calls through ggml_quantize_chunk)
  perf_ref     llama.cpp's test-quantize-perf --op quantize_row_q_reference (1M values), when built
"""
import ctypes
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "fixtures"))
from fixture_env import ensure_venv  # noqa: E402

ensure_venv(".venv-bench", ["numpy"])
import numpy as np  # noqa: E402
from ggml_lib import SIZES, build_ggml  # noqa: E402

IDS = {"f16": 1, "bf16": 30, "q4_0": 2, "q4_1": 3, "q5_0": 6, "q5_1": 7, "q8_0": 8, "q2_K": 10, "q3_K": 11,
       "q4_K": 12, "q5_K": 13, "q6_K": 14, "q8_K": 15, "iq4_nl": 20, "iq4_xs": 23, "tq1_0": 34, "tq2_0": 35}
IMATRIX = {"q4_0", "q4_1", "q5_0", "q5_1", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_nl", "iq4_xs"}
ROWS, COLS = 256, 4096


def time_best(fn, budget=0.5):
    best, spent = float("inf"), 0.0
    while spent < budget or best == float("inf"):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best, spent = min(best, dt), spent + dt
    return best


def ggml_rates(lib):
    rng = np.random.RandomState(27)
    x = rng.randn(ROWS * COLS).astype(np.float32)
    w = (np.abs(rng.randn(COLS)) + 0.01).astype(np.float32)
    out = {}
    for name, tid in IDS.items():
        if name in ("f16", "bf16", "q8_K"):
            continue  # not plain quantize_<type> functions in ggml-quants.c
        b, s = SIZES[tid]
        dst = np.zeros(ROWS * COLS // b * s, np.uint8)
        fn = getattr(lib, "quantize_" + name)
        for imat in ([False, True] if name in IMATRIX else [False]):
            qw = w.ctypes.data_as(ctypes.c_void_p) if imat else None
            sec = time_best(lambda: fn(x.ctypes.data_as(ctypes.c_void_p), dst.ctypes.data_as(ctypes.c_void_p),
                                       ctypes.c_int64(ROWS), ctypes.c_int64(COLS), qw))
            out[name + ("_imatrix" if imat else "")] = ROWS * COLS * 4 / sec / 1e6
    return out


def perf_ref_rates(bindir):
    exe = os.path.join(bindir, "test-quantize-perf")
    if not os.path.exists(exe):
        return {}
    out = {}
    for name in IDS:
        if name == "q8_K":
            continue
        r = subprocess.run([exe, "--op", "quantize_row_q_reference", "--type", name, "--size", "1048576", "-i", "5"],
                           capture_output=True, text=True)
        m = re.search(r"min cycles/32 vals\s*:\s*([\d.]+)", r.stdout)
        g = re.search(r"float32 throughput\s*:\s*([\d.]+)", r.stdout)
        if g and m:
            out[name] = (float(g.group(1)) * 1e3, float(m.group(1)))
    return out


def whittle_rates(binary):
    r = subprocess.run([binary, "bench", "--filter", "quantize_ggml_", "--json"], capture_output=True, text=True, check=True)
    return {c["name"][len("quantize_ggml_"):]: c["gbps"] * 1e3 for c in json.loads(r.stdout)["results"]}


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "whittle")
    llama = sys.argv[2] if len(sys.argv) > 2 else os.path.expanduser("~/.cache/whittle/llama.cpp-0.3.36")
    lib = build_ggml(os.path.join(llama, "src"))
    wh = whittle_rates(binary)
    gg = ggml_rates(lib)
    pr = perf_ref_rates(os.path.join(llama, "build", "bin"))
    print(f"{'type':18}{'whittle MB/s':>14}{'ggml MB/s':>12}{'ratio':>8}{'perf_ref MB/s':>15}")
    for name in wh:
        g = gg.get(name)
        p = pr.get(name)
        ratio = f"{wh[name] / g:.2f}" if g else "-"
        print(f"{name:18}{wh[name]:14.1f}{(f'{g:.1f}' if g else '-'):>12}{ratio:>8}{(f'{p[0]:.0f}' if p else '-'):>15}")


main()
