#!/usr/bin/python3
"""Generate tools/xcheck/fixtures/ from the PyTorch reference (mx_torch.py).

    /usr/bin/python3 tools/xcheck/make_fixtures.py

Writes raw little-endian float32 files (C order, no header) and manifest.json. Every random
tensor comes from numpy's PCG64 with a fixed seed, and the folder is wiped first, so running this
again reproduces the same bytes (with the same numpy/torch versions; see README.md).

manifest.json: {"version", "generator", "cases": [{
    "id", "family", "cmd": "quantize" | "matmul" | "linear",
    "args": CLI arguments after the command, with "{name}" placeholders for input files and
            "{out}" for the output path,
    "inputs": {name: file}, "expected": file,
    "exact_mask": file | null   (matmul/linear: 1.0 where the fp32 result cannot depend on the
                                 summation order, so it must match bit for bit),
    "tol": file | null          (matmul/linear: a rigorous bound on |CLI − expected| elsewhere),
    "note": text}]}
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
from fractions import Fraction

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep tools/xcheck free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mx_torch as mt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures')
F32 = torch.float32
F64 = torch.float64
FLT_MAX = mt.FLT_MAX
SUB_MAX = float.fromhex('0x0.fffffep-126')  # largest float32 subnormal
MX_ELEMS = ['fp8_e5m2', 'fp8_e4m3', 'fp6_e3m2', 'fp6_e2m3', 'fp4_e2m1', 'int8', 'int4', 'int2']
CANON = {'fp8_e5m2': 'mxfp8_e5m2', 'fp8_e4m3': 'mxfp8_e4m3', 'fp6_e3m2': 'mxfp6_e3m2', 'fp6_e2m3': 'mxfp6_e2m3',
         'fp4_e2m1': 'mxfp4', 'int8': 'mxint8', 'int4': 'mxint4', 'int2': 'mxint2'}
RND = mt.ROUNDINGS


def f32(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


class Fixtures:
    def __init__(self) -> None:
        self.cases: list = []
        self.by_hash: dict = {}
        self.names: set = set()

    def write(self, arr: np.ndarray, name: str) -> str:
        data = f32(arr).astype('<f4').tobytes()
        h = hashlib.sha256(data).hexdigest()
        if h in self.by_hash:
            return self.by_hash[h]
        fn = f'{name}.f32'
        assert fn not in self.names, fn
        self.names.add(fn)
        with open(os.path.join(OUT, fn), 'wb') as fh:
            fh.write(data)
        self.by_hash[h] = fn
        return fn

    def add(self, case: dict) -> None:
        assert all(c['id'] != case['id'] for c in self.cases), case['id']
        self.cases.append(case)


FX = Fixtures()
SHAPES: dict = {}  # input file → shape


def tensor(name: str, arr: np.ndarray) -> tuple:
    arr = f32(arr)
    fn = FX.write(arr.reshape(-1), 'in_' + name)
    SHAPES[fn] = list(arr.shape)
    return fn, arr


# ----------------------------------------------------------------------------- random tensors

T_NORMAL = T_STUDENT = T_VARMAG = T_3D = None
RANDOM: list = []


def init_random() -> None:
    """The shared random tensors (written once, reused by many cases)."""
    global T_NORMAL, T_STUDENT, T_VARMAG, T_3D, RANDOM
    rng = np.random.Generator(np.random.PCG64(20240819))
    T_NORMAL = tensor('normal_6x80', rng.standard_normal((6, 80)))
    T_STUDENT = tensor('student_t_6x80', rng.standard_t(1.5, (6, 80)) * 3.0)
    s = np.round(np.linspace(-130, 100, 24)).astype(np.float64)
    T_VARMAG = tensor('varmag_24x40', rng.standard_normal((24, 40)) * np.exp2(s)[:, None])
    T_3D = tensor('normal_3x50x4', rng.standard_normal((3, 50, 4)) * np.exp2(rng.integers(-6, 7, (3, 1, 4))))
    RANDOM = [('normal', T_NORMAL), ('student', T_STUDENT), ('varmag', T_VARMAG), ('3d', T_3D)]


def below(p: int) -> float:
    """The float32 just below 2^p."""
    return float(np.nextafter(np.float32(2.0 ** p), np.float32(0)))


def pad_row(vals, n=32) -> list:
    vals = list(vals)[:n]
    return vals + [0.0] * (n - len(vals))


def edge_mx(elem: str) -> np.ndarray:
    """Rows of 32 (one block each at block 32): ties, saturation, carries, zero/NaN/Inf blocks,
    float32 subnormals, −0, exponent corner cases (§A4–A13)."""
    e = mt.ELEMS[elem]
    G = e.grid
    top = 2.0 ** e.emax
    r = np.random.Generator(np.random.PCG64(1000 + MX_ELEMS.index(elem)))
    rows = []
    # every midpoint between grid neighbours (a selection for the int8 table), block max 2^emax → X = 0
    mids = [(a + b) / 2 for a, b in zip(G, G[1:])]
    if len(mids) > 31:
        idx = np.unique(np.round(np.linspace(0, len(mids) - 1, 31)).astype(int))
        mids = [mids[i] for i in idx]
    for s in (0, -20, 37):
        rows.append(pad_row([top * 2.0 ** s] + [(m if i % 2 else -m) * 2.0 ** s for i, m in enumerate(mids)]))
    # saturation of the block maximum: (max_norm, 2^(emax+1)) and exactly max_norm, both signs
    step_top = G[-1] - G[-2]
    sat = [top * 1.999, -top * 1.999, G[-1], -G[-1], G[-1] + step_top / 2, -(G[-1] + step_top / 4), top * 1.5, top]
    rows.append(pad_row(sat + [g * (-1) ** i for i, g in enumerate(G[1:20])]))
    # carries into the next binade (t just below and at a power of two minus half a step) and quarter steps
    carry = []
    for i in range(1, len(G) - 1):
        if G[i + 1] != 0 and math.frexp(G[i + 1])[0] == 0.5:  # G[i+1] is a power of two
            h = (G[i + 1] - G[i]) / 2
            carry += [G[i] + h, -(G[i] + h / 2), G[i] + 1.5 * h]
    rows.append(pad_row([top] + carry))
    # block maxima just below a power of two (the torch.log2 artefacts of §A12), with company
    for p in (7, 64, -64, 100, -100, 1):
        rows.append(pad_row([below(p)] + list(r.standard_normal(31) * 2.0 ** (p - 2))))
    # one ulp below half the smallest step (§A12 item 4) and negative values that round to zero (−0)
    rows.append(pad_row([top, G[1] / 2 * (1 - 2 ** -24), -G[1] / 2 * (1 - 2 ** -24), G[1] / 2, -G[1] / 2,
                         -G[1] / 4, -G[1] * 1e-3, -0.0, 0.0, G[1] / 2 * (1 + 2 ** -23)]))
    # zero block, signed zeros only, NaN / +Inf / −Inf blocks
    rows.append(pad_row([]))
    rows.append(pad_row([-0.0, 0.0, -0.0] * 10))
    rows.append(pad_row(list(r.standard_normal(5)) + [math.nan] + list(r.standard_normal(26))))
    rows.append(pad_row([1.0, -2.0, math.inf, 3.0]))
    rows.append(pad_row([-math.inf, 0.0, 1e-30]))
    # float32 subnormals: block max subnormal (X clamps to −127; the flush option zeroes it)
    rows.append(pad_row([SUB_MAX, -SUB_MAX, 2.0 ** -149, -2.0 ** -149, 2.0 ** -130, -3 * 2.0 ** -140,
                         2.0 ** -127, -1.5 * 2.0 ** -127] + list(r.standard_normal(20) * 2.0 ** -133)))
    rows.append(pad_row([2.0 ** -126, -SUB_MAX, 2.0 ** -127, 2.0 ** -140, -2.0 ** -149]))  # min normal: not flushed
    rows.append(pad_row([2.0 ** -140, -2.0 ** -141, 2.0 ** -135, 2.0 ** -136]))  # §A13 L
    rows.append(pad_row([1.0] + [2.0 ** -149 * k for k in range(1, 20)] + [-2.0 ** -140]))  # subnormals in a normal block
    # block maxima that separate the scale rules: a power of two and one ulp above it, exactly
    # max_norm/2^emax, just above it, the element's RNE carry threshold 2 − 2^-(m+1) and just below it
    rmax = G[-1] / top
    for sig in (1.0, 1.0 + 2 ** -23, rmax, rmax + 2 ** -20, (rmax + 2) / 2, 2 - 2.0 ** -(e.m + 1),
                2 - 2.0 ** -(e.m + 1) - 2 ** -22):
        p = int(r.integers(-20, 20))
        # companions near the element's smallest step (where the choice of X shows for fp elements)
        tiny = r.uniform(0.3, 3, 10) * np.sign(r.uniform(-1, 1, 10)) * G[1] * 2.0 ** (p - e.emax)
        rows.append(pad_row([sig * 2.0 ** p] + list(tiny) + list(r.uniform(-1, 1, 21) * sig * 2.0 ** p)))
    # plain random blocks
    for k in range(3):
        rows.append(pad_row(list(r.standard_normal(32) * 2.0 ** (4 * k - 4))))
    return f32(rows)


def huge_mx() -> np.ndarray:
    """Blocks whose max is near FLT_MAX: the floor rule stays finite; ceil/even/rceil can push X to
    128 (NaN block) or decode the maximum to 2^128 (±Inf in float32)."""
    rows = [[FLT_MAX, -FLT_MAX / 3, 1.0, 2.0 ** 100, -2.0 ** 120],
            [1.5 * 2.0 ** 127, 2.0 ** 126, -1.0],
            [1.99 * 2.0 ** 127, -3.0],
            [2.0 ** 127, -1.75 * 2.0 ** 127, 1.0],
            [-1.9 * 2.0 ** 126, 2.0 ** 120],
            [1.984375 * 2.0 ** 127, 1.0]]
    return f32([pad_row(r) for r in rows])


def edge_mxint(m: int) -> np.ndarray:
    """MXInt/BFP edge rows for mantissa width m: ties for E = 0 (ceil, amax = 1) and E = 1 (floor),
    −2^(m−1), exponent clamps at e = 8 and e = 5, zero/NaN/Inf blocks, subnormals, −0."""
    r = np.random.Generator(np.random.PCG64(2000 + m))
    rows = []
    kmax = 2 ** (m - 1)
    ks = np.unique(np.round(np.linspace(0, kmax - 1, 31)).astype(int))
    for E in (0, 1):
        unit = 2.0 ** (E - (m - 1))
        rows.append(pad_row([1.0] + [((k + 0.5) * unit) * (-1) ** i for i, k in enumerate(ks) if (k + 0.5) * unit < 1]))
    rows.append(pad_row([-1.0, 1.0 - 2.0 ** -m, -(1.0 - 2.0 ** -(m + 1)), 0.5, -0.5, 2.0 ** -m, -2.0 ** -(m + 1), -0.0]))
    rows.append(pad_row([-1.5, 1.4, -0.75] + list(r.standard_normal(20))))
    rows.append(pad_row([2.0 ** 20, -3.0, 2.0 ** 14, 1.0]))  # above e=5's range
    rows.append(pad_row([2.0 ** -20, -2.0 ** -21, 2.0 ** -25]))  # below e=5's range
    rows.append(pad_row([2.0 ** -140, -2.0 ** -141, SUB_MAX]))  # below e=8's range
    rows.append(pad_row([FLT_MAX, -1.0, 2.0 ** 127]))
    rows.append(pad_row([1.5 * 2.0 ** 127, -2.0 ** 127, 1.0]))
    rows.append(pad_row([]))
    rows.append(pad_row([-0.0, 0.0] * 16))
    rows.append(pad_row([1.0, math.nan, 2.0]))
    rows.append(pad_row([-math.inf, 1.0]))
    rows.append(pad_row([2.0 ** -149, -2.0 ** -148, SUB_MAX, -2.0 ** -130]))
    for k in range(3):
        rows.append(pad_row(list(r.standard_t(2.0, 32) * 2.0 ** (5 * k - 5))))
    return f32(rows)


def edge_fixed(w: int, f: int) -> np.ndarray:
    unit = 2.0 ** -f
    lo, hi = -(2.0 ** (w - 1)) * unit, (2.0 ** (w - 1) - 1) * unit
    ties = [(k + 0.5) * unit * (-1) ** k for k in range(-(2 ** (w - 1)), 2 ** (w - 1))]
    rest = [hi, lo, hi + unit / 2, lo - unit / 2, hi + unit / 4, lo - unit, 2 * hi, 3 * lo, 4.75 * hi, -5.25 * hi,
            2.0 ** (w - f), -2.0 ** (w - f), -(2.0 ** (w - f)) * 2, 2.0 ** 40 + unit, 1e30, -1e30, FLT_MAX, -FLT_MAX,
            math.nan, math.inf, -math.inf, -0.0, 0.0, -unit / 4, -unit / 2, unit / 2, -unit / 2 * (1 + 2 ** -20),
            2.0 ** -149, -2.0 ** -149, SUB_MAX, -unit * 0.49]
    vals = ties + rest
    vals += [0.0] * (-len(vals) % 16)
    return f32(vals).reshape(-1, 16)


def edge_nvfp4() -> np.ndarray:
    """16-element blocks. The tensor amax is 2.625 so S_enc = 2688/2.625 = 1024 exactly; then a
    block with amax 1.5 has s_b = 256 and s_eff = 1/4, and E2M1 ties are exact."""
    s_eff = 0.25
    ties = [v * s_eff for v in (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0)]
    rows = [
        [2.625, 1.0, -2.0, 0.1] + [0.0] * 12,
        [1.5] + [t * (-1) ** i for i, t in enumerate(ties)] + [-1.5, 1.49, -0.01, 0.0, -0.0, 1e-30, -1e-30, 0.2],
        [0.0] * 16,
        [-0.0, 0.0] * 8,
        [1.0, math.nan] + [0.5] * 14,
        [math.inf, 1.0] + [0.0] * 14,
        [-2.0 ** -20, 2.0 ** -21] + [0.0] * 14,  # s_b rounds to 0 → zeros (−0 for the negative)
        [6 * 2.0 ** -17, -3 * 2.0 ** -17] + [2.0 ** -19] * 14,  # s_b = 2^-7, an E4M3 subnormal
        [6.375 * 2.0 ** -10, -1e-3] + [0.0] * 14,  # amax/6·S_enc = 1.0625: an E4M3 tie → 1.0
        [6 * 1.1875 * 2.0 ** -10, 2.0 ** -12] + [0.0] * 14,  # 1.1875: tie → 1.25
        [6 * 300 * 2.0 ** -10, -0.3, 0.7] + [0.0] * 13,  # 300 → 288
        list(np.linspace(-2.5, 2.5, 16)),
    ]
    return f32(rows)


# ----------------------------------------------------------------------------- case builders

def shape_arg(shape) -> str:
    return ','.join(str(d) for d in shape)


def mx_format_args(elem: str, block, rnd, rule, flush, style: int) -> tuple:
    """CLI arguments for an MX format, alternately as flags or as a spec string (both must work).
    None means 'use the default' (block 32, nearest, floor, no flush)."""
    if style == 0:
        args = ['--format', elem]
        if block is not None:
            args += ['--block-size', str(block)]
        if rnd is not None:
            args += ['--round', rnd]
        if rule is not None:
            args += ['--scale-rule', rule]
        if flush:
            args += ['--flush-subnormals']
        return args
    params = []
    if block is not None:
        params.append(f'block={block}')
    if rnd is not None:
        params.append(f'round={rnd}')
    if rule is not None:
        params.append(f'scale={rule}')
    if flush:
        params.append('flush=1')
    return ['--format', CANON[elem] + (':' + ','.join(params) if params else '')]


def add_quantize(cid: str, family: str, fmt_args: list, fmt: dict, tin: tuple, axis, note: str = '') -> None:
    fn, arr = tin
    ax = -1 if axis is None else axis
    y = mt.quantize(torch.from_numpy(arr.copy()), fmt, axis=ax).numpy()
    assert y.shape == arr.shape
    args = list(fmt_args) + ['--shape', shape_arg(arr.shape)]
    if axis is not None:
        # both spellings of a negative axis must work: --axis=-1 and --axis -1
        args += ([f'--axis={axis}'] if N_CASE[0] % 2 else ['--axis', str(axis)]) if axis < 0 else ['--axis', str(axis)]
    args += ['--in', '{in}', '--out', '{out}']
    FX.add(dict(id=cid, family=family, cmd='quantize', args=args, inputs={'in': fn},
                expected=FX.write(y, 'exp_' + cid), exact_mask=None, tol=None, note=note))


N_CASE = [0]


def nid(prefix: str) -> str:
    N_CASE[0] += 1
    return f'{prefix}{N_CASE[0]:04d}'


def gen_mx() -> None:
    blocks = [32, 16, 7]
    for ei, elem in enumerate(MX_ELEMS):
        for ri, rnd in enumerate(RND):
            for ti, (tname, t) in enumerate(RANDOM):
                k = ei + ri + ti
                block = blocks[k % 3]
                axis = 1 if tname == '3d' else (-1 if k % 2 == 0 else 0)
                style = (ei + ti) % 2
                # sometimes rely on the defaults (block 32 / nearest)
                b_arg = None if (block == 32 and k % 4 == 0) else block
                r_arg = None if (rnd == 'nearest' and ti == 1) else rnd
                add_quantize(nid('q'), elem, mx_format_args(elem, b_arg, r_arg, None, False, style),
                             dict(kind='mx', elem=elem, block=block, rounding=rnd), t, axis,
                             f'{tname}, block {block}, axis {axis}, round {rnd}')
        edge = tensor(f'edge_mx_{elem}', edge_mx(elem))
        for ri, rnd in enumerate(RND):
            add_quantize(nid('q'), elem, mx_format_args(elem, 32, rnd, None, False, ri % 2),
                         dict(kind='mx', elem=elem, block=32, rounding=rnd), edge, -1, f'edge rows, block 32, round {rnd}')
        # the same edge tensor blocked along its first axis, and with a partial block of 7
        add_quantize(nid('q'), elem, mx_format_args(elem, 16, 'even', None, False, 0),
                     dict(kind='mx', elem=elem, block=16, rounding='even'), edge, 0, 'edge rows, axis 0, block 16, even')
        add_quantize(nid('q'), elem, mx_format_args(elem, 7, 'nearest', None, False, 1),
                     dict(kind='mx', elem=elem, block=7, rounding='nearest'), edge, -1, 'edge rows, block 7')
        # scale rules (§A15): explicit floor, ceil, even, rceil on the edge tensor and a random one
        for si, rule in enumerate(('floor', 'ceil', 'even', 'rceil')):
            rnd = RND[(ei + si) % 3]
            add_quantize(nid('q'), elem, mx_format_args(elem, 32, rnd, rule, False, si % 2),
                         dict(kind='mx', elem=elem, block=32, rounding=rnd, scale_rule=rule), edge, -1,
                         f'edge rows, scale {rule}, round {rnd}')
            if rule != 'floor':
                t = RANDOM[(ei + si) % 3][1]
                add_quantize(nid('q'), elem, mx_format_args(elem, 16, rnd, rule, False, (si + 1) % 2),
                             dict(kind='mx', elem=elem, block=16, rounding=rnd, scale_rule=rule), t, -1,
                             f'random, scale {rule}, round {rnd}, block 16')
        # blocks near FLT_MAX under every scale rule
        huge = tensor('huge_mx', huge_mx())
        for si, rule in enumerate(('floor', 'ceil', 'even', 'rceil')):
            rnd = RND[(ei + si + 1) % 3]
            add_quantize(nid('q'), elem, mx_format_args(elem, 32, rnd, rule, False, si % 2),
                         dict(kind='mx', elem=elem, block=32, rounding=rnd, scale_rule=rule), huge, -1,
                         f'blocks near FLT_MAX, scale {rule}, round {rnd}')
        # the flush option (§A10)
        add_quantize(nid('q'), elem, mx_format_args(elem, 32, None, None, True, ei % 2),
                     dict(kind='mx', elem=elem, block=32, flush=True), edge, -1, 'edge rows, flush subnormal blocks')
        add_quantize(nid('q'), elem, mx_format_args(elem, 16, 'even', 'ceil', True, (ei + 1) % 2),
                     dict(kind='mx', elem=elem, block=16, rounding='even', scale_rule='ceil', flush=True), T_VARMAG, 0,
                     'varied magnitudes along axis 0, flush, ceil')


def gen_mxint() -> None:
    blocks = [32, 16, 7]
    edges = {m: tensor(f'edge_mxint_m{m}', edge_mxint(m)) for m in (2, 4, 8, 16)}
    i = 0
    for m in (2, 4, 8, 16):
        for e in (8, 5):
            for scale in ('ceil', 'floor'):
                for tname, t in RANDOM + [('edge', edges[m])]:
                    i += 1
                    rnd = RND[i % 3]
                    block = blocks[(i // 3) % 3]
                    axis = 1 if tname == '3d' else (-1 if tname == 'edge' or i % 2 else 0)
                    params = [f'm={m}']
                    if e != 8:
                        params.append(f'e={e}')
                    flags = []
                    if i % 2:  # spec-string style
                        if block != 16:
                            params.append(f'block={block}')
                        if scale != 'ceil' or i % 4 == 1:
                            params.append(f'scale={scale}')
                        if rnd != 'even' or i % 4 == 1:
                            params.append(f'round={rnd}')
                    else:  # override flags
                        flags = ['--block-size', str(block), '--round', rnd, '--scale-rule', scale]
                    fmt = dict(kind='mxint', m=m, e=e, bias=2 ** (e - 1) - 1, block=block, rounding=rnd, scale=scale)
                    add_quantize(nid('q'), 'mxint', ['--format', 'mxint:' + ','.join(params)] + flags, fmt, t, axis,
                                 f'm={m} e={e} {scale}, {tname}, block {block}, round {rnd}')
    for m in (4, 8):
        for ri, rnd in enumerate(RND):
            for tname, t in [('normal', T_NORMAL), ('student', T_STUDENT), ('edge', edges[m]), ('3d', T_3D)]:
                block = [16, 32, 7][(ri + len(tname)) % 3]
                axis = 1 if tname == '3d' else -1
                spec = f'bfp:m={m}' + (f',block={block}' if block != 16 else '') + (f',round={rnd}' if rnd != 'even' else '')
                add_quantize(nid('q'), 'bfp', ['--format', spec], dict(kind='bfp', m=m, block=block, rounding=rnd), t, axis,
                             f'bfp m={m}, {tname}, block {block}, round {rnd}')
        add_quantize(nid('q'), 'bfp', ['--format', f'bfp:m={m}', '--block-size', '7', '--round', 'nearest'],
                     dict(kind='bfp', m=m, block=7, rounding='nearest'), T_VARMAG, 0, 'bfp varied magnitudes, axis 0')


def gen_fixed() -> None:
    e85 = tensor('edge_fixed_w8f5', edge_fixed(8, 5))
    e42 = tensor('edge_fixed_w4f2', edge_fixed(4, 2))
    small = tensor('normal_6x80_x3', T_NORMAL[1] * 3.0)
    for ri, rnd in enumerate(RND):
        for tname, t in [('normal', T_NORMAL), ('student', T_STUDENT), ('edge', e85), ('3d', T_3D)]:
            spec = 'fixed:w=8,f=5' + (f',round={rnd}' if ri == 1 else '')
            flags = [] if ri == 1 or rnd == 'even' and tname == 'normal' else ['--round', rnd]
            add_quantize(nid('q'), 'fixed', ['--format', spec] + flags,
                         dict(kind='fixed', w=8, f=5, rounding=rnd, saturate=True), t, None,
                         f'fixed w8 f5 saturating, {tname}, round {rnd}')
        for tname, t in [('normal x3', small), ('edge', e42)]:
            add_quantize(nid('q'), 'fixed', ['--format', 'fixed:w=4,f=2,sat=0', '--round', rnd],
                         dict(kind='fixed', w=4, f=2, rounding=rnd, saturate=False), t, None,
                         f'fixed w4 f2 wrapping, {tname}, round {rnd}')


def gen_nvfp4() -> None:
    edge = tensor('edge_nvfp4', edge_nvfp4())
    r = np.random.Generator(np.random.PCG64(3000))
    tiny = tensor('nvfp4_tiny', r.standard_normal((4, 32)) * 2.0 ** -125)  # S_enc overflows float32 → FLT_MAX
    with_inf = tensor('nvfp4_inf', np.where(np.arange(96) == 40, np.inf, r.standard_normal(96)).reshape(3, 32))
    cases = [('normal', T_NORMAL, 16, -1), ('student', T_STUDENT, 16, 0), ('varmag', T_VARMAG, 7, -1),
             ('3d', T_3D, 16, 1), ('edge', edge, 16, -1), ('tiny', tiny, 16, -1), ('inf', with_inf, 32, -1)]
    for ri, rnd in enumerate(RND):
        for ci, (tname, t, block, axis) in enumerate(cases):
            if (ri + ci) % 2:
                spec = ['--format', 'nvfp4' + (f':block={block}' if block != 16 else '') + (f'{":" if block == 16 else ","}round={rnd}' if rnd != 'even' else '')]
            else:
                spec = ['--format', 'nvfp4', '--round', rnd] + (['--block-size', str(block)] if block != 16 else [])
            add_quantize(nid('q'), 'nvfp4', spec, dict(kind='nvfp4', block=block, rounding=rnd), t, axis,
                         f'nvfp4 {tname}, block {block}, axis {axis}, round {rnd}')
    add_quantize(nid('q'), 'nvfp4', ['--format', 'nvfp4', '--block-size', '7'], dict(kind='nvfp4', block=7), edge, 0,
                 'nvfp4 edge along axis 0, block 7')


# ----------------------------------------------------------------------------- matmul / linear

def lowest_bit_exp(p: torch.Tensor) -> torch.Tensor:
    """For float64 p != 0: the exponent u of its lowest set bit (p is an odd multiple of 2^u)."""
    mant, ex = torch.frexp(p.abs())
    im = (mant * 2.0 ** 53).to(torch.int64)
    low = im & (-im)
    return mt.floor_log2(low.to(F64)) + ex.to(torch.int64) - 53


def sum_analysis(prods: torch.Tensor, extra: torch.Tensor = None) -> tuple:
    """prods [..., K] float64 (exact products of float32 values). Returns (exact, abs_sum) where exact
    says every fp32 summation order gives the same bits: all products are multiples of 2^u with
    u >= −149 and Σ|p| < 2^24·2^u (checked exactly), and the exact sum is not zero (whose sign
    would depend on the order)."""
    flat = prods.reshape(-1, prods.shape[-1])
    exact = []
    for row in flat:
        if not bool(torch.isfinite(row).all()):
            exact.append(False)
            continue
        nz = row[row != 0]
        if nz.numel() == 0:
            exact.append(False)
            continue
        u = int(lowest_bit_exp(nz).min())
        ints = [Fraction(float(v)) / Fraction(2) ** u for v in nz.tolist()]
        assert all(q.denominator == 1 for q in ints)
        s_abs = sum(abs(q) for q in ints)
        s = sum(ints)
        exact.append(u >= -149 and s_abs < 2 ** 24 and s != 0)
    abs_sum = torch.where(torch.isfinite(prods), prods.abs(), torch.zeros_like(prods)).sum(-1)
    return torch.tensor(exact).reshape(prods.shape[:-1]), abs_sum


def tolerance(abs_sum: torch.Tensor, K: int, bias_abs) -> torch.Tensor:
    """Two fp32 evaluations in any order (each within γ_(K+1)·(Σ|p| + |bias|) + (K+1)·2^-150 of the
    exact value) differ by at most twice that. Returned as float32 rounded up."""
    g = (K + 2) * 2.0 ** -24 / (1 - (K + 2) * 2.0 ** -24)
    t = 2 * (g * (abs_sum + bias_abs) + (K + 2) * 2.0 ** -150) * 1.0001
    t32 = t.to(F32)
    return torch.where(t32.to(F64) < t, torch.nextafter(t32, torch.tensor(math.inf, dtype=F32)), t32)


def add_product(cid: str, family: str, cmd: str, fmt_args: list, fmt: dict, a: np.ndarray, b: np.ndarray,
                bias, note: str) -> None:
    at, bt = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
    M, K = a.shape
    if cmd == 'matmul':
        N = b.shape[1]
        aq = mt.quantize(at, fmt, axis=-1)
        bq = mt.quantize(bt, fmt, axis=0)
        out = aq @ bq
        prods = aq.to(F64).unsqueeze(2) * bq.to(F64).unsqueeze(0)  # [M, K, N]
        prods = prods.permute(0, 2, 1)
        fa, fb = FX.write(a, f'in_{cid}_a'), FX.write(b, f'in_{cid}_b')
        args = fmt_args + ['--a', '{a}', '--a-shape', f'{M},{K}', '--b', '{b}', '--b-shape', f'{K},{N}', '--out', '{out}']
        inputs = {'a': fa, 'b': fb}
        bias_abs = 0.0
    else:
        N = b.shape[0]
        xq = mt.quantize(at, fmt, axis=-1)
        wq = mt.quantize(bt, fmt, axis=-1)
        out = xq @ wq.T
        prods = xq.to(F64).unsqueeze(1) * wq.to(F64).unsqueeze(0)  # [M, N, K]
        fa, fb = FX.write(a, f'in_{cid}_x'), FX.write(b, f'in_{cid}_w')
        args = fmt_args + ['--x', '{x}', '--x-shape', f'{M},{K}', '--weight', '{weight}', '--weight-shape', f'{N},{K}']
        inputs = {'x': fa, 'weight': fb}
        bias_abs = torch.zeros(N, dtype=F64)
        if bias is not None:
            bt32 = torch.from_numpy(f32(bias))
            out = out + bt32  # fp32 add after the fp32 product
            inputs['bias'] = FX.write(bias, f'in_{cid}_bias')
            args += ['--bias', '{bias}']
            bias_abs = bt32.to(F64).abs()
        args += ['--out', '{out}']
    exact, abs_sum = sum_analysis(prods)
    # sanity: exact outputs equal the exact sum (rounded once with the bias)
    s64 = prods.sum(-1)
    chk = s64.to(F32) if cmd == 'matmul' or bias is None else (s64.to(F32) + torch.from_numpy(f32(bias)))
    assert bool((chk[exact] == out[exact]).all())
    if cmd == 'linear' and bias is not None:
        exact = exact & (out != 0)  # a zero sum plus ±0 bias: the sign of zero is order-dependent
    tol = tolerance(abs_sum, K, bias_abs)
    FX.add(dict(id=cid, family=family, cmd=cmd, args=args, inputs=inputs, expected=FX.write(out.numpy(), 'exp_' + cid),
                exact_mask=FX.write(exact.to(F32).numpy(), 'mask_' + cid), tol=FX.write(tol.numpy(), 'tol_' + cid),
                note=f'{note}; {int(exact.sum())}/{exact.numel()} outputs order-independent'))


def gen_products() -> None:
    r = np.random.Generator(np.random.PCG64(4000))
    M, K, N = 5, 70, 6
    fams = []
    for i, e in enumerate(MX_ELEMS):
        block = [32, 16, 7][i % 3]
        b_arg = None if block == 32 else block
        fams.append((e, mx_format_args(e, b_arg, RND[i % 3], None, False, i % 2),
                     dict(kind='mx', elem=e, block=block, rounding=RND[i % 3])))
    fams += [
        ('mxint', ['--format', 'mxint:m=4,e=8'], dict(kind='mxint', m=4, e=8, block=16, rounding='even', scale='ceil')),
        ('mxint', ['--format', 'mxint:m=8,e=5,scale=floor', '--block-size', '7', '--round', 'nearest'],
         dict(kind='mxint', m=8, e=5, block=7, rounding='nearest', scale='floor')),
        ('bfp', ['--format', 'bfp:m=8'], dict(kind='bfp', m=8, block=16, rounding='even')),
        ('fixed', ['--format', 'fixed:w=8,f=5'], dict(kind='fixed', w=8, f=5, rounding='even', saturate=True)),
        ('nvfp4', ['--format', 'nvfp4'], dict(kind='nvfp4', block=16, rounding='even')),
    ]
    for fi, (fam, fargs, fmt) in enumerate(fams):
        a = f32(r.standard_normal((M, K)) * (1.0 if fam != 'fixed' else 1.5))
        b = f32(r.standard_normal((K, N)))
        add_product(nid('m'), fam, 'matmul', fargs, fmt, a, b, None, f'matmul {M}x{K} @ {K}x{N}')
        x = f32(r.standard_normal((M, K)))
        w = f32(r.standard_normal((N, K)) * 0.5)
        bias = f32(r.standard_normal(N)) if fi % 2 == 0 else None
        add_product(nid('m'), fam, 'linear', fargs, fmt, x, w, bias, f'linear {M}x{K}, weight {N}x{K}, bias {bias is not None}')
        if fi % 2 == 1:  # the other bias variant too
            bias = f32(r.standard_normal(N) * 4)
            add_product(nid('m'), fam, 'linear', fargs, fmt, x, w, bias, 'linear with bias')
    # heavy tails and magnitudes varying along K: many order-dependent sums (checked against the bound)
    a = f32(r.standard_t(1.5, (4, 96)) * np.exp2(r.integers(-12, 12, (1, 96))))
    b = f32(r.standard_t(1.5, (96, 5)))
    add_product(nid('m'), 'fp8_e5m2', 'matmul', ['--format', 'mxfp8_e5m2:round=even', '--block-size', '16'],
                dict(kind='mx', elem='fp8_e5m2', block=16, rounding='even'), a, b, None, 'matmul, heavy tails, varied scale along K')
    x = f32(r.standard_normal((4, 96)) * np.exp2(r.integers(-20, 20, (1, 96))))
    w = f32(r.standard_normal((5, 96)))
    add_product(nid('m'), 'int8', 'linear', ['--format', 'int8', '--block-size', '7'], dict(kind='mx', elem='int8', block=7),
                x, w, f32(r.standard_normal(5) * 100), 'linear, varied scale along K, block 7, bias')
    add_product(nid('m'), 'mxint', 'linear', ['--format', 'mxint:m=8,block=32'],
                dict(kind='mxint', m=8, e=8, block=32, rounding='even', scale='ceil'), x, w, None, 'linear, varied scale along K')
    # a NaN in A poisons one block → that row of C is NaN; int-valued data (all order-independent)
    a = f32(r.standard_normal((4, 40)))
    a[2, 5] = np.nan
    b = f32(r.standard_normal((40, 3)))
    add_product(nid('m'), 'int8', 'matmul', ['--format', 'int8'], dict(kind='mx', elem='int8', block=32), a, b, None,
                'matmul with a NaN block in A')
    a = f32(r.integers(-8, 9, (6, 48)))
    b = f32(r.integers(-8, 9, (48, 5)))
    add_product(nid('m'), 'fp8_e4m3', 'matmul', ['--format', 'fp8_e4m3', '--block-size', '16'],
                dict(kind='mx', elem='fp8_e4m3', block=16), a, b, None, 'matmul of small integers')
    x = f32(r.integers(-3, 4, (3, 33)) * 0.25)
    w = f32(r.integers(-3, 4, (4, 33)))
    add_product(nid('m'), 'fp4_e2m1', 'linear', ['--format', 'mxfp4:round=even'], dict(kind='mx', elem='fp4_e2m1', block=32, rounding='even'),
                x, w, f32([0.5, -0.0, 1e-8, 3.0]), 'linear of small integers with bias')


def main() -> None:
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    init_random()
    gen_mx()
    gen_mxint()
    gen_fixed()
    gen_nvfp4()
    gen_products()
    manifest = dict(version=1, generator='tools/xcheck/make_fixtures.py (PyTorch reference tools/xcheck/mx_torch.py)',
                    torch=torch.__version__, numpy=np.__version__, cases=FX.cases)
    with open(os.path.join(OUT, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1)
        fh.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    fams: dict = {}
    for c in FX.cases:
        fams[c['family']] = fams.get(c['family'], 0) + 1
    print(f'{len(FX.cases)} cases, {len(os.listdir(OUT))} files, {total} bytes')
    print(json.dumps(fams))
    assert total < 4 * 1024 * 1024


if __name__ == '__main__':
    mt.self_test()
    main()
