#!/usr/bin/env python3
"""PyTorch baseline for bench/quantize.bench.ts: MX quantize->dequantize with the reference
algorithm of perf-baselines.md section 1 (microxcaling semantics, rounding 'nearest', blocks of 32
along the last axis), one thread, process CPU time, best of N.

Usage: torch_mx_quantize.py [--n 4096] [--repeat 3] [--formats mxfp4,mxint8]
                            [--input FILE --output-dir DIR]
With --input, the n*n float32 tensor is read from FILE (raw little-endian) instead of generated,
and each format's output is written to DIR/<format>.f32 so the caller can compare bits.
Prints one JSON object. Without torch it prints {"skip": "..."} and exits 0.
"""
import argparse
import json
import sys
import time

try:
    import torch
except ImportError as e:  # pragma: no cover - depends on the machine
    print(json.dumps({"skip": f"PyTorch not available ({e})"}))
    sys.exit(0)

# emax of the element's largest normal, emin (min-normal exponent), explicit mantissa bits m,
# max_norm, and whether the element is an integer grid (mx-formats.md section A2).
FORMATS = {
    "mxfp8_e5m2": dict(emax=15, emin=-14, m=2, max_norm=57344.0, is_int=False),
    "mxfp8_e4m3": dict(emax=8, emin=-6, m=3, max_norm=448.0, is_int=False),
    "mxfp6_e3m2": dict(emax=4, emin=-2, m=2, max_norm=28.0, is_int=False),
    "mxfp6_e2m3": dict(emax=2, emin=0, m=3, max_norm=7.5, is_int=False),
    "mxfp4": dict(emax=2, emin=0, m=1, max_norm=6.0, is_int=False),
    "mxint8": dict(emax=0, emin=0, m=6, max_norm=127.0 / 64.0, is_int=True),
}


def mx_quantize(x: "torch.Tensor", fmt: str, block: int = 32) -> "torch.Tensor":
    """perf-baselines.md section 1, step by step."""
    p = FORMATS[fmt]
    b = x.reshape(-1, block)  # rows of 32 (the last axis is a multiple of 32 here)
    amax = b.abs().amax(dim=1, keepdim=True)
    shared = torch.floor(torch.log2(amax)) - p["emax"]
    shared = torch.where(amax == 0, torch.zeros_like(shared), shared).clamp(-127, 127)
    y = b / torch.pow(2.0, shared)
    mag = y.abs()
    if p["is_int"]:
        q = 2.0 ** p["m"]
        mag = torch.floor(mag * q + 0.5) / q
    else:
        private = torch.floor(torch.log2(mag)).clamp(min=p["emin"])
        step = torch.pow(2.0, private - p["m"])
        mag = torch.floor(mag / step + 0.5) * step
    out = torch.sign(y) * mag
    out = out.clamp(-p["max_norm"], p["max_norm"])
    return (out * torch.pow(2.0, shared)).reshape(x.shape)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="mxfp4,mxint8")
    ap.add_argument("--input")
    ap.add_argument("--output-dir")
    a = ap.parse_args()
    torch.set_num_threads(1)
    n = a.n
    if a.input:
        x = torch.from_file(a.input, shared=False, size=n * n, dtype=torch.float32).reshape(n, n)
    else:
        g = torch.Generator().manual_seed(0)
        rows = torch.pow(2.0, torch.randint(-8, 8, (n, 1), generator=g).float())
        x = torch.randn(n, n, generator=g) * rows
    results = {}
    for fmt in a.formats.split(","):
        best = float("inf")
        out = None
        for _ in range(a.repeat):
            t0 = time.process_time()
            out = mx_quantize(x, fmt)
            best = min(best, time.process_time() - t0)
        results[fmt] = {"ms": best * 1e3, "melem_s": n * n / best / 1e6}
        if a.output_dir and out is not None:
            write_raw(out, f"{a.output_dir}/{fmt}.f32")
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "n": n, "results": results}))


def write_raw(t: "torch.Tensor", path: str) -> None:
    """The float32 values as raw bytes (needs numpy; without it the comparison is skipped)."""
    try:
        t.contiguous().numpy().tofile(path)
    except (ImportError, RuntimeError):
        pass


if __name__ == "__main__":
    main()
