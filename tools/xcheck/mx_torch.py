#!/usr/bin/python3
"""Independent PyTorch reference for MX Studio's number formats (cross-check oracle).

Written from /work/shared/reference/mx-formats.md (Part A: OCP MX as microxcaling implements it,
Part B: MASE MXInt / BFP, Part C §C2 NVFP4 and §C5 fixed point) and the studio's documented
definitions of MXInt/BFP. It deliberately uses different *algorithms* from the TypeScript core
(src/core/formats) so that a shared mistake is unlikely:

* element grids are not computed by binade arithmetic: every element format's magnitudes are
  enumerated by decoding all its bit patterns (sign/exponent/mantissa fields, §A2), and values are
  rounded to that table with a binary search and an exact midpoint comparison (ties resolved by
  the parity of the code, which is the parity of the mantissa LSB);
* exponents come from torch.frexp on float64 (exact) and are cross-checked against a second
  derivation from the raw float32 bit pattern (leading-one position for subnormals);
* powers of two are built from float64 bit patterns, never with pow()/log2();
* everything is vectorised over blocks with torch tensor ops.

Only /usr/bin/python3 (Debian, torch 1.13, numpy 1.24) is needed. Run this file directly to run
its self-tests (the hand-derived worked examples of mx-formats.md §A13, §B6 and more).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, List, Optional, Tuple

import torch

F32 = torch.float32
F64 = torch.float64
I64 = torch.int64

# Subnormal float32 values must survive float32 arithmetic (NVFP4 and the fp32 matmul).
torch.set_flush_denormal(False)

FLT_MAX = float.fromhex('0x1.fffffep+127')
ROUNDINGS = ('nearest', 'even', 'floor')


# ----------------------------------------------------------------------------- exact primitives

def pow2(e: torch.Tensor) -> torch.Tensor:
    """2**e as float64, built from the bit pattern (exact; e integer in [-1022, 1023])."""
    e = e.to(I64)
    if bool(((e < -1022) | (e > 1023)).any()):
        raise ValueError('pow2 exponent out of the float64 normal range')
    return ((e + 1023) << 52).view(F64)


def floor_log2(a: torch.Tensor) -> torch.Tensor:
    """floor(log2 a) for finite a > 0 (any float dtype), exactly, via frexp on float64."""
    _, e = torch.frexp(a.to(F64))
    return e.to(I64) - 1


def floor_log2_f32_bits(a: torch.Tensor) -> torch.Tensor:
    """Second derivation of floor(log2 a) for float32 a > 0 from its bits (used in self-tests)."""
    bits = a.to(F32).contiguous().view(torch.int32).to(I64) & 0x7FFFFFFF
    ef = bits >> 23
    man = bits & 0x7FFFFF
    # leading one of a subnormal mantissa: count how many times it can be halved
    lead = torch.full_like(man, -1)
    m = man.clone()
    for _ in range(23):
        nz = m > 0
        lead = torch.where(nz, lead + 1, lead)
        m = m >> 1
    return torch.where(ef > 0, ef - 127, lead - 149)


def is_pow2(a: torch.Tensor) -> torch.Tensor:
    """a > 0 finite: is a an exact power of two."""
    return a.to(F64) == pow2(floor_log2(a))


def round_int(t: torch.Tensor, mode: str) -> torch.Tensor:
    """Round a non-negative float64 tensor (exact values) to integers. nearest = ties away from
    zero, even = ties to even, floor = truncation (the argument is a magnitude)."""
    r = torch.floor(t)
    d = t - r  # exact in IEEE arithmetic
    if mode == 'floor':
        return r
    if mode == 'nearest':
        return torch.where(d >= 0.5, r + 1, r)
    if mode == 'even':
        odd = torch.fmod(r, 2) == 1
        return torch.where((d > 0.5) | ((d == 0.5) & odd), r + 1, r)
    raise ValueError(f'unknown rounding {mode}')


# ----------------------------------------------------------------------------- element formats

@dataclass(frozen=True)
class Elem:
    name: str
    kind: str               # 'fp' | 'int'
    bits: int
    m: int                  # mantissa width used by the EVEN scale rule (fp: explicit bits; int: N-2)
    grid: Tuple[float, ...]  # non-negative magnitudes in code order (ascending)

    @property
    def max_norm(self) -> float:
        return self.grid[-1]

    @property
    def emax(self) -> int:
        return math.frexp(self.max_norm)[1] - 1


def _fp_grid(ebits: int, mbits: int, special: str) -> Tuple[float, ...]:
    """All finite magnitudes of a sign/exponent/mantissa format, in code order, by decoding the
    fields: exponent 0 is subnormal (man · 2^(1-bias-m)), otherwise (1 + man/2^m) · 2^(exp-bias).
    special: 'ieee' (top exponent reserved for Inf/NaN), 'e4m3' (only S.1111.111 is NaN), 'none'."""
    bias = 2 ** (ebits - 1) - 1
    out: List[Fraction] = []
    for code in range(2 ** (ebits + mbits)):
        ef, man = code >> mbits, code & (2 ** mbits - 1)
        if special == 'ieee' and ef == 2 ** ebits - 1:
            continue
        if special == 'e4m3' and ef == 2 ** ebits - 1 and man == 2 ** mbits - 1:
            continue
        if ef == 0:
            v = Fraction(man, 2 ** mbits) * Fraction(2) ** (1 - bias)
        else:
            v = (1 + Fraction(man, 2 ** mbits)) * Fraction(2) ** (ef - bias)
        out.append(v)
    assert all(a < b for a, b in zip(out, out[1:])), 'codes must be monotone'
    return tuple(float(v) for v in out)


def _int_grid(n: int) -> Tuple[float, ...]:
    """microxcaling intN: symmetric sign-magnitude grid k / 2^(N-2), 0 <= k <= 2^(N-1) - 1."""
    return tuple(k / 2 ** (n - 2) for k in range(2 ** (n - 1)))


ELEMS: Dict[str, Elem] = {
    'fp8_e5m2': Elem('fp8_e5m2', 'fp', 8, 2, _fp_grid(5, 2, 'ieee')),
    'fp8_e4m3': Elem('fp8_e4m3', 'fp', 8, 3, _fp_grid(4, 3, 'e4m3')),
    'fp6_e3m2': Elem('fp6_e3m2', 'fp', 6, 2, _fp_grid(3, 2, 'none')),
    'fp6_e2m3': Elem('fp6_e2m3', 'fp', 6, 3, _fp_grid(2, 3, 'none')),
    'fp4_e2m1': Elem('fp4_e2m1', 'fp', 4, 1, _fp_grid(2, 1, 'none')),
    'int8': Elem('int8', 'int', 8, 6, _int_grid(8)),
    'int4': Elem('int4', 'int', 4, 2, _int_grid(4)),
    'int2': Elem('int2', 'int', 2, 0, _int_grid(2)),
}


def grid_round(a: torch.Tensor, grid: Tuple[float, ...], mode: str) -> torch.Tensor:
    """Round non-negative float64 magnitudes to the nearest grid value (saturating at the top):
    binary search for the neighbours, exact midpoint comparison, ties by mode."""
    g = torch.tensor(grid, dtype=F64)
    a = torch.minimum(a, g[-1])  # saturate (round-then-clamp equals clamp-then-round: the top is a grid point)
    flat = a.reshape(-1)
    lo = torch.searchsorted(g, flat, right=True) - 1  # g[lo] <= a
    hi = torch.clamp(lo + 1, max=len(grid) - 1)
    glo, ghi = g[lo], g[hi]
    if mode == 'floor':
        pick_hi = torch.zeros_like(flat, dtype=torch.bool)
    else:
        mid = (glo + ghi) / 2  # exact: grid values have few significant bits
        if mode == 'nearest':
            pick_hi = (flat >= mid) & (flat > glo)
        elif mode == 'even':
            pick_hi = (flat > mid) | ((flat == mid) & (flat > glo) & (hi % 2 == 0))
        else:
            raise ValueError(mode)
    return torch.where(pick_hi, ghi, glo).reshape(a.shape)


# ----------------------------------------------------------------------------- block layout

def to_blocks(x: torch.Tensor, axis: int, block: int) -> Tuple[torch.Tensor, int]:
    """Move `axis` last, zero-pad it to a multiple of `block`, split into (..., nblocks, block)."""
    y = torch.movedim(x, axis, -1)
    n = y.shape[-1]
    nb = -(-n // block)
    pad = nb * block - n
    if pad:
        y = torch.cat([y, torch.zeros(*y.shape[:-1], pad, dtype=y.dtype)], dim=-1)
    return y.reshape(*y.shape[:-1], nb, block), n


def from_blocks(yb: torch.Tensor, n: int, axis: int) -> torch.Tensor:
    y = yb.reshape(*yb.shape[:-2], -1)[..., :n]
    return torch.movedim(y, -1, axis).contiguous()


def _block_amax(xb: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(amax over finite blocks as float64 with 0 elsewhere, mask of blocks holding NaN/±Inf)."""
    bad = (~torch.isfinite(xb)).any(dim=-1)
    a = torch.where(torch.isfinite(xb), xb.abs(), torch.zeros_like(xb))
    return a.max(dim=-1).values.to(F64), bad


def _signed(xd: torch.Tensor, mag: torch.Tensor) -> torch.Tensor:
    """sign(x)·mag with the signed-zero rule of §A9: a negative input keeps its sign even when its
    magnitude rounds to zero (−0); −0 and +0 inputs give +0."""
    return torch.where(xd < 0, -mag, mag)


# ----------------------------------------------------------------------------- OCP MX

def mx_shared_exp(amax: torch.Tensor, e: Elem, rule: str) -> torch.Tensor:
    """Unclamped shared exponent X for block maxima amax (float64, > 0)."""
    p = floor_log2(amax)
    if rule == 'floor':  # OCP §6.3: largest power of two <= amax, over 2^emax
        return p - e.emax
    if rule == 'ceil':
        return p + (~is_pow2(amax)).to(I64) - e.emax
    if rule == 'even':  # round amax to the element's mantissa width (RNE), then floor
        step = pow2(p - e.m)
        r = round_int(amax / step, 'even') * step
        return floor_log2(r) - e.emax
    if rule == 'rceil':  # smallest X with max_norm · 2^X >= amax
        c = p - (math.frexp(e.max_norm)[1] - 1)
        ok = e.max_norm * pow2(c) >= amax
        return torch.where(ok, c, c + 1)
    raise ValueError(f'unknown scale rule {rule}')


def quantize_mx(x: torch.Tensor, elem: str, block: int = 32, axis: int = -1, rounding: str = 'nearest',
                scale_rule: str = 'floor', flush: bool = False, scale_bits: int = 8) -> torch.Tensor:
    """OCP MX quantize→dequantize (microxcaling semantics with the exact exponent). float32 in/out.

    X > 127 gives a NaN block for every scale rule (§A3, §A15), and a decoded value >= 2^128
    becomes ±Inf in float32."""
    e = ELEMS[elem]
    emax_scale = 2 ** (scale_bits - 1) - 1
    xb, n = to_blocks(x.to(F32), axis, block)
    amax, bad = _block_amax(xb)
    zero = amax == 0
    # microxcaling substitutes the float32 min normal for an all-zero block's amax (§A4)
    amax_s = torch.where(zero, torch.full_like(amax, 2.0 ** -126), amax)
    X = mx_shared_exp(amax_s, e, scale_rule)
    nan_block = bad | (X > emax_scale)
    X = torch.clamp(X, min=-emax_scale, max=emax_scale)
    xd = xb.to(F64)
    v = (xd * pow2(-X).unsqueeze(-1)).abs()  # exact: power-of-two scaling in float64
    q = grid_round(v, e.grid, rounding)
    out = _signed(xd, q) * pow2(X).unsqueeze(-1)
    if flush:  # mx_flush_fp32_subnorms: zero a block whose max is a float32 subnormal (§A10)
        flushed = (~zero) & (floor_log2(amax_s) <= -127)
        out = torch.where(flushed.unsqueeze(-1), torch.zeros_like(out), out)
    out = torch.where(nan_block.unsqueeze(-1), torch.full_like(out, math.nan), out)
    # Exact in float32, except that the ceil/even/rceil rules can decode FLT_MAX-sized blocks to
    # values >= 2^128 (e.g. 2^emax · 2^(128−emax)); converting those to float32 gives ±Inf.
    y = out.to(F32)
    assert bool(((y.to(F64) == out) | torch.isnan(out) | (out.abs() >= 2.0 ** 128)).all()), 'MX outputs must be exact'
    return from_blocks(y, n, axis)


# ----------------------------------------------------------------------------- MXInt / BFP

def quantize_mxint(x: torch.Tensor, m: int = 8, e: int = 8, bias: Optional[int] = None, block: int = 16,
                   axis: int = -1, rounding: str = 'even', scale: str = 'ceil', symmetric: bool = False) -> torch.Tensor:
    """The studio's MXInt (MASE-style): m-bit two's-complement mantissa (incl. sign) k, shared
    exponent E with elements k · 2^(E−(m−1)). E = ceil(log2 amax) (scale=ceil) or floor(log2 amax)+1
    (scale=floor), clamped to [−bias, 2^e−2−bias] (code 2^e−1 is NaN); zero block E = −bias.
    k = round(|x| / unit) clamped to 2^(m−1)−1 (x ≥ 0) or 2^(m−1) (x < 0; symmetric: 2^(m−1)−1).
    symmetric=True with scale='ceil' is BFP (sign-magnitude, MSFP / MASE block_fp)."""
    if bias is None:
        bias = 2 ** (e - 1) - 1
    xb, n = to_blocks(x.to(F32), axis, block)
    amax, bad = _block_amax(xb)
    zero = amax == 0
    amax_s = torch.where(zero, torch.ones_like(amax), amax)
    p = floor_log2(amax_s)
    if scale == 'ceil':
        E = p + (~is_pow2(amax_s)).to(I64)
    elif scale == 'floor':
        E = p + 1
    else:
        raise ValueError(scale)
    E = torch.clamp(E, -bias, 2 ** e - 2 - bias)
    E = torch.where(zero, torch.full_like(E, -bias), E)
    unit = (E - (m - 1)).unsqueeze(-1)
    xd = xb.to(F64)
    k = round_int(xd.abs() * pow2(-unit), rounding)
    pos_lim = float(2 ** (m - 1) - 1)
    neg_lim = pos_lim if symmetric else float(2 ** (m - 1))
    k = torch.minimum(k, torch.where(xd < 0, torch.full_like(k, neg_lim), torch.full_like(k, pos_lim)))
    out = _signed(xd, k) * pow2(unit)
    out = torch.where(bad.unsqueeze(-1), torch.full_like(out, math.nan), out)
    return from_blocks(out.to(F32), n, axis)


def quantize_bfp(x: torch.Tensor, m: int = 8, e: int = 8, bias: Optional[int] = None, block: int = 16,
                 axis: int = -1, rounding: str = 'even') -> torch.Tensor:
    return quantize_mxint(x, m=m, e=e, bias=bias, block=block, axis=axis, rounding=rounding, scale='ceil', symmetric=True)


# ----------------------------------------------------------------------------- fixed point

def quantize_fixed(x: torch.Tensor, w: int = 8, f: Optional[int] = None, rounding: str = 'even',
                   saturate: bool = True) -> torch.Tensor:
    """Signed two's-complement fixed point, w bits of which f fractional (§C5). The magnitude is
    rounded (mode), the signed code saturates to [−2^(w−1), 2^(w−1)−1] or wraps modulo 2^w;
    ±Inf saturate in both modes (no modular value exists); NaN → +0 (the register holds 0);
    a negative input whose output is zero gives −0 (as in MX)."""
    if f is None:
        f = w // 2
    xd = x.to(F32).to(F64)
    nan = torch.isnan(xd)
    inf = torch.isinf(xd)
    mag = torch.where(nan | inf, torch.zeros_like(xd), xd.abs())
    k = round_int(mag * pow2(torch.tensor(f)), rounding)
    ks = torch.where(xd < 0, -k, k)
    lo, hi = -float(2 ** (w - 1)), float(2 ** (w - 1) - 1)
    if saturate:
        ks = torch.clamp(ks, lo, hi)
    else:
        M = float(2 ** w)
        r = torch.fmod(ks, M)  # exact
        r = torch.where(r > hi, r - M, r)
        ks = torch.where(r < lo, r + M, r)
    ks = torch.where(inf, torch.where(xd > 0, torch.full_like(ks, hi), torch.full_like(ks, lo)), ks)
    ks = torch.where(nan, torch.zeros_like(ks), ks)
    out = ks * pow2(torch.tensor(-f))
    out = torch.where((xd < 0) & (out == 0), torch.full_like(out, -0.0), out)
    return out.to(F32)


# ----------------------------------------------------------------------------- NVFP4

def nvfp4_tensor_scale(x: torch.Tensor) -> torch.Tensor:
    """S_enc = fp32(448·6 / amax) over the finite elements; 1 when that amax is 0. A quotient that
    overflows float32 is clamped to FLT_MAX (TransformerEngine's compute_global_encode_scaling_factor_FP4)."""
    xf = x.to(F32)
    fin = torch.isfinite(xf)
    amax = torch.where(fin, xf.abs(), torch.zeros_like(xf)).max() if xf.numel() else torch.tensor(0.0)
    if float(amax) == 0.0:
        return torch.tensor(1.0, dtype=F32)
    s = torch.tensor(2688.0, dtype=F32) / amax.to(F32)  # one IEEE float32 division
    return torch.clamp(s, max=FLT_MAX)


def quantize_nvfp4(x: torch.Tensor, block: int = 16, axis: int = -1, rounding: str = 'even') -> torch.Tensor:
    """NVFP4 (§C2), float32 arithmetic at every step:
    s_b = e4m3_RNE_sat(fp32(fp32(amax_b/6)·S_enc)); s_eff = fp32(s_b/S_enc);
    q = E2M1_round(fp32(|x|/s_eff)) (zeros when s_b = 0); value = fp32(sign·q·s_eff)."""
    xf = x.to(F32)
    S = nvfp4_tensor_scale(xf)
    xb, n = to_blocks(xf, axis, block)
    bad = (~torch.isfinite(xb)).any(dim=-1)
    amax_b = torch.where(torch.isfinite(xb), xb.abs(), torch.zeros_like(xb)).max(dim=-1).values  # float32
    t = (amax_b / torch.tensor(6.0, dtype=F32)) * S  # two float32 roundings
    sb = grid_round(t.to(F64), ELEMS['fp8_e4m3'].grid, 'even').to(F32)  # exact in float32
    s_eff = sb / S  # float32 division
    s_eff_b = s_eff.unsqueeze(-1)
    ratio = torch.where(s_eff_b > 0, xb.abs() / torch.where(s_eff_b > 0, s_eff_b, torch.ones_like(s_eff_b)),
                        torch.zeros_like(xb))
    ratio = torch.where(torch.isfinite(ratio), ratio, torch.zeros_like(ratio))
    q = grid_round(ratio.to(F64), ELEMS['fp4_e2m1'].grid, rounding).to(F32)
    q = torch.where((sb > 0).unsqueeze(-1), q, torch.zeros_like(q))
    val = torch.where(xb < 0, -q, q) * s_eff_b  # float32 multiply
    val = torch.where(bad.unsqueeze(-1), torch.full_like(val, math.nan), val)
    return from_blocks(val, n, axis)


# ----------------------------------------------------------------------------- spec strings (CLI vocabulary)

MX_NAMES = {
    'mxfp8_e5m2': 'fp8_e5m2', 'mxfp8_e4m3': 'fp8_e4m3', 'mxfp6_e3m2': 'fp6_e3m2', 'mxfp6_e2m3': 'fp6_e2m3',
    'mxfp4': 'fp4_e2m1', 'mxfp4_e2m1': 'fp4_e2m1', 'mxint8': 'int8', 'mxint4': 'int4', 'mxint2': 'int2',
}


def parse_format(text: str, block: Optional[int] = None, rounding: Optional[str] = None,
                 scale_rule: Optional[str] = None, flush: bool = False) -> dict:
    """Spec string + CLI override flags → keyword dict for `quantize`. Defaults per the CLI contract:
    MX block 32 / nearest / floor; mxint m=8,e=8,bias=2^(e−1)−1,block=16,ceil,even; bfp block=16,even;
    fixed round=even, sat=1, f=w//2; nvfp4 block=16, even."""
    name, _, rest = text.partition(':')
    params = dict(kv.split('=') for kv in rest.split(',')) if rest else {}
    if name in MX_NAMES or name in ELEMS:
        d = dict(kind='mx', elem=MX_NAMES.get(name, name), block=int(params.get('block', 32)),
                 rounding=params.get('round', 'nearest'), scale_rule=params.get('scale', 'floor'),
                 flush=params.get('flush', '0') in ('1', 'true'), scale_bits=int(params.get('sbits', 8)))
    elif name == 'mxint' or name == 'bfp':
        e = int(params.get('e', 8))
        d = dict(kind=name, m=int(params.get('m', 8)), e=e, bias=int(params.get('bias', 2 ** (e - 1) - 1)),
                 block=int(params.get('block', 16)), rounding=params.get('round', 'even'))
        if name == 'mxint':
            d['scale'] = params.get('scale', 'ceil')
    elif name == 'fixed':
        w = int(params.get('w', 8))
        d = dict(kind='fixed', w=w, f=int(params.get('f', w // 2)), rounding=params.get('round', 'even'),
                 saturate=params.get('sat', '1') in ('1', 'true'))
    elif name == 'nvfp4':
        d = dict(kind='nvfp4', block=int(params.get('block', 16)), rounding=params.get('round', 'even'))
    else:
        raise ValueError(f'unknown format {text}')
    if block is not None:
        d['block'] = block
    if rounding is not None:
        d['rounding'] = rounding
    if scale_rule is not None:
        d['scale_rule' if d['kind'] == 'mx' else 'scale'] = scale_rule
    if flush:
        d['flush'] = True
    return d


def quantize(x: torch.Tensor, fmt: dict, axis: int = -1) -> torch.Tensor:
    d = dict(fmt)
    kind = d.pop('kind')
    if kind == 'mx':
        return quantize_mx(x, d.pop('elem'), axis=axis, **d)
    if kind == 'mxint':
        return quantize_mxint(x, axis=axis, **d)
    if kind == 'bfp':
        return quantize_bfp(x, axis=axis, **d)
    if kind == 'fixed':
        return quantize_fixed(x, **d)
    if kind == 'nvfp4':
        return quantize_nvfp4(x, axis=axis, **d)
    raise ValueError(kind)


# ----------------------------------------------------------------------------- self-tests

def _f32(vals) -> torch.Tensor:
    return torch.tensor(vals, dtype=F32)


def _same(got: torch.Tensor, want, what: str) -> None:
    w = _f32(want) if not isinstance(want, torch.Tensor) else want.to(F32)
    gb = got.to(F32).contiguous().view(torch.int32)
    wb = w.contiguous().view(torch.int32)
    ok = (gb == wb) | (torch.isnan(got) & torch.isnan(w))
    if not bool(ok.all()):
        raise AssertionError(f'{what}: got {got.tolist()} want {w.tolist()}')


def self_test() -> None:
    # the element tables (§A2)
    assert ELEMS['fp8_e5m2'].max_norm == 57344 and ELEMS['fp8_e5m2'].grid[1] == 2 ** -16
    assert ELEMS['fp8_e4m3'].max_norm == 448 and ELEMS['fp8_e4m3'].grid[1] == 2 ** -9 and ELEMS['fp8_e4m3'].emax == 8
    assert ELEMS['fp6_e3m2'].max_norm == 28 and ELEMS['fp6_e3m2'].grid[1] == 0.0625
    assert ELEMS['fp6_e2m3'].max_norm == 7.5 and ELEMS['fp6_e2m3'].grid[1] == 0.125
    assert ELEMS['fp4_e2m1'].grid == (0, 0.5, 1, 1.5, 2, 3, 4, 6)
    assert ELEMS['int8'].max_norm == 127 / 64 and ELEMS['int4'].max_norm == 1.75 and ELEMS['int2'].grid == (0, 1)
    assert [ELEMS[k].emax for k in ELEMS] == [15, 8, 4, 2, 2, 0, 0, 0]
    # exponent derivations agree, including subnormals and values just below powers of two
    xs = torch.tensor([2.0 ** -149, 3 * 2.0 ** -149, 2.0 ** -127, float.fromhex('0x1.fffffcp-127'), 2.0 ** -126,
                       float.fromhex('0x1.fffffep+6'), 1.0, FLT_MAX, 0.75, 3.0], dtype=F32)
    assert floor_log2(xs).tolist() == floor_log2_f32_bits(xs).tolist()
    g = torch.Generator().manual_seed(1)
    r = torch.randn(20000, generator=g, dtype=F32) * torch.exp2(torch.randint(-140, 120, (20000,), generator=g).to(F32))
    r = r[r != 0].abs()
    assert floor_log2(r).tolist() == floor_log2_f32_bits(r).tolist()

    q = lambda vals, elem, rnd='nearest', **kw: quantize_mx(_f32(vals), elem, block=32, rounding=rnd, **kw)
    # §A13 worked examples
    A = [485, 475, 400, -485, -475, -450, 2 ** -6, -2 ** -6]
    _same(q(A, 'fp8_e4m3'), [448, 448, 416, -448, -448, -448, 2 ** -6, -2 ** -6], 'A')
    for m in ('even', 'floor'):
        assert q(A, 'fp8_e4m3', m)[2] == 384, "A'"
    _same(q([957, 960, 902.4, -959.56, 1.0], 'fp8_e4m3', 'even'), [896, 896, 896, -896, 1.0], 'B')
    _same(q([1, 2, 31, float.fromhex('0x1.fffffep+6')], 'fp8_e5m2', 'even'), [1, 2, 32, 112], 'C')
    _same(q([100000, 1, -3000], 'fp8_e5m2'), [98304, 1, -3072], 'D')
    E = [0.75, 1.25, 1.75, 2.5, 3.5, 5.0]
    _same(q(E, 'fp4_e2m1', 'nearest'), [1.0, 1.5, 2.0, 3.0, 4.0, 6.0], 'E nearest')
    _same(q(E, 'fp4_e2m1', 'even'), [1.0, 1.0, 2.0, 2.0, 4.0, 4.0], 'E even')
    _same(q(E, 'fp4_e2m1', 'floor'), [0.5, 1.0, 1.5, 2.0, 3.0, 4.0], 'E floor')
    for m in ROUNDINGS:
        _same(q([1000, -3, 0.5, 17], 'fp4_e2m1', m), [768, -0.0, 0, 0], 'F')
    _same(q([0.3, -1.2, 2.5, 5.9, 0.07, 0], 'fp4_e2m1'), [0.5, -1.0, 3.0, 6.0, 0, 0], 'G')
    _same(q([28, 0.3, -5], 'fp6_e3m2'), [28, 0.3125, -5], 'H')
    _same(q([7.5, 0.3, -1.1], 'fp6_e2m3'), [7.5, 0.25, -1.125], 'I')
    for m in ROUNDINGS:
        _same(q([1.0, -0.3, 0.015625, 1.99, 1.995], 'int8', m)[[0, 2, 3, 4]], [1.0, 0.015625, 1.984375, 1.984375], 'J')
    _same(q([1.0, -0.3, 0.015625, 1.99, 1.995], 'int8')[1:2], [-0.296875], 'J -0.3')
    _same(q([6.0, -2.5, 0.1], 'int8'), [6.0, -2.5, 0.125], 'K')
    _same(q([6.0, -2.5, 0.1], 'int8', 'floor'), [6.0, -2.5, 0.0625], 'K floor')
    _same(q([2.0 ** -140, 2.0 ** -141], 'fp8_e4m3'), [0, 0], 'L')
    _same(q([math.nan, 0, 2.0 ** 127, 0], 'fp8_e4m3'), [math.nan] * 4, 'M')
    _same(q([0, -0.0, 0], 'fp8_e4m3'), [0, 0, 0], 'N (and -0 -> +0)')
    _same(q([1.0, math.inf], 'int4'), [math.nan] * 2, 'Inf block')
    # partial blocks and axes: block 2 along axis 0
    t = _f32([[1.0, 100.0], [3.0, 5.0], [7.0, -0.25]])
    _same(quantize_mx(t, 'fp4_e2m1', block=2, axis=0), _f32([[1.0, 96.0], [3.0, 8.0], [6.0, -0.25]]), 'axis 0')
    # flush: block max subnormal → zeros; min normal → not flushed
    sub = [float.fromhex('0x1.fffffcp-127'), -2.0 ** -130]
    _same(quantize_mx(_f32(sub), 'fp8_e4m3', flush=True), [0, 0], 'flush')
    assert float(quantize_mx(_f32([2.0 ** -126]), 'fp8_e4m3', flush=True)[0]) == 2.0 ** -126
    # without flush the subnormal block quantizes at X = -127 (E4M3: grid 2^-9 · 2^-127 = 2^-136)
    _same(quantize_mx(_f32(sub), 'fp8_e4m3'), [2.0 ** -126, -2.0 ** -130], 'subnormal block (rounds up into 2^-126)')
    # scale rules §A15: 7 in E2M1 → floor X=0 (saturates to 6); ceil X=1 → 8; even: 7 rounds to 8 → X=1; rceil 7/6 → X=1
    for rule, want in (('floor', 6.0), ('ceil', 8.0), ('even', 8.0), ('rceil', 8.0)):
        assert float(q([7.0], 'fp4_e2m1', scale_rule=rule)[0]) == want, rule
    # 5.5: floor 6 (X=0, 5.5 → tie → 6); even: 5.5 → 1.5·4 = 6 → X=0; rceil 5.5/6 → X=0
    for rule in ('floor', 'even', 'rceil'):
        assert float(q([5.5], 'fp4_e2m1', scale_rule=rule)[0]) == 6.0, rule
    # 6.5: rceil X = 1 (6·2^1 >= 6.5), 6.5/2 = 3.25 → 3 → 6; floor X = 0 saturates to 6 as well; ceil X = 1
    for rule in ('floor', 'ceil', 'even', 'rceil'):
        assert float(q([6.5], 'fp4_e2m1', scale_rule=rule)[0]) == 6.0, rule
    # ints with ceil: amax in (2^127, FLT_MAX] makes X = 128 → NaN block
    assert bool(torch.isnan(q([1.5 * 2.0 ** 127], 'int8', scale_rule='ceil')).all())
    assert not bool(torch.isnan(q([1.5 * 2.0 ** 127], 'int8', scale_rule='floor')).any())

    # Part B worked examples, in the studio's MXInt/BFP definition
    bf = lambda vals, m: quantize_bfp(_f32(vals), m=m, block=32)
    _same(bf([0.9, -0.3, 0.05, 0], 6), [0.90625, -0.3125, 0.0625, 0], 'B6 bfp w6')
    _same(bf([1.0, 0.49], 6), [0.96875, 0.5], 'B6 bfp pow2')
    _same(bf([3.0, -0.7], 4), [3.0, -0.5], 'B6 bfp w4')
    mi = lambda vals, **kw: quantize_mxint(_f32(vals), block=32, **kw)
    _same(mi([20, 5, -3], m=8), [20, 5, -3], 'B6 mxint 2026')
    _same(mi([-4.0, 4.0, 1.0], m=4), [-4.0, 3.5, 1.0], 'mxint: −2^(m−1) reachable, + clamps')
    _same(mi([-4.0, 4.0, 1.0], m=4, scale='floor'), [-4.0, 4.0, 1.0], 'mxint floor: power of two exact')
    _same(mi([1.0, -0.01], m=4), [0.875, -0.0], 'mxint −0')
    _same(mi([2.0 ** 20, 1.0], m=4, e=5), [7 * 2.0 ** 12, 0.0], 'mxint e=5 clamp')
    _same(mi([0.0, -0.0], m=4), [0.0, 0.0], 'mxint zero block')

    # fixed point
    fx = lambda vals, **kw: quantize_fixed(_f32(vals), **kw)
    _same(fx([0.015625, 0.046875, -0.015625, -0.0, 100, -100, math.nan, -math.inf], w=8, f=5),
          [0.0, 0.0625, -0.0, 0.0, 127 / 32, -4.0, 0.0, -4.0], 'fixed sat even')
    _same(fx([0.015625, -0.015625], w=8, f=5, rounding='nearest'), [0.03125, -0.03125], 'fixed nearest')
    _same(fx([2.0, -2.5, 1.875, math.inf], w=4, f=2, saturate=False), [-2.0, 1.5, -2.0, 1.75], 'fixed wrap')
    _same(fx([2.0 ** 60], w=4, f=2, saturate=False), [0.0], 'fixed wrap huge')

    # NVFP4 with a power-of-two S_enc (amax_t = 2.625 → S = 1024): block amax 1.5 → s_b = 256, s_eff = 1/4
    blk = [1.5, 0.0625, 0.1875, 0.3125, 0.4375, 0.625, 0.875, -1.25] + [0.0] * 8
    x = _f32([2.625] + [0.0] * 15 + blk)
    assert float(nvfp4_tensor_scale(x)) == 1024.0
    y = quantize_nvfp4(x, rounding='even')
    _same(y[16:24], [1.5, 0.0, 0.25, 0.25, 0.5, 0.5, 1.0, -1.0], 'nvfp4 ties even')
    y = quantize_nvfp4(x, rounding='nearest')
    _same(y[16:24], [1.5, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0, -1.5], 'nvfp4 ties away')
    _same(quantize_nvfp4(_f32([0.0] * 4)), [0.0] * 4, 'nvfp4 zeros')
    print('mx_torch self-test: ok')


if __name__ == '__main__':
    self_test()
