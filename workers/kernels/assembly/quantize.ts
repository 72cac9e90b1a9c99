// Block quantize→dequantize (+ encode) kernel for OCP MX (microxcaling semantics) and for MASE's
// MXInt / BFP families. The readable specification is the TypeScript twin in
// src/core/formats/codec.ts (mxBlock, intBlock); this kernel must agree with it bit for bit, and
// src/core/kernels/quantize.test.ts checks that it does.
//
// Why f32 arithmetic is exact here (mx-formats.md §A5): every scaling is by a power of two, so a
// product is exact unless it leaves the float32 range. For MX the scaled element v = |x|·2^−X is
// < 2^(emax+1); it can only lose bits when it is below 2^−126, far below half of any element's
// smallest step (≥ 2^−16), where every rounding mode gives 0 anyway. t = v·2^(m−p) is exact,
// floor(t) and t − floor(t) are exact, and the output k·2^(p−m)·2^X ≥ 2^−143 is a float32 value.
// For MXInt/BFP the shared exponent can lie outside the float32 range (e = 8 with a small or large
// bias), so each power of two is applied as two float32 factors; see int_quantize.
//
// Memory: the caller (src/core/kernels/quantize.ts) carves buffers out of linear memory with the
// bump allocator below, and reuses them across calls.
//
// Shape of the code (measured under V8, see workers/kernels/README.md): the vector loops are
// specialized at compile time per element kind, rounding and encode through generics with marker
// types (mxRun<K, R, E>); partial vectors go through a separate function so the loops contain no
// call (a call makes V8 spill every vector register per iteration); counts are packed two per lane.

// ----------------------------------------------------------------------------- bump allocator

export { alloc, reset } from './_alloc';

/** 1 = plain SIMD build, 2 = relaxed-SIMD build (the loader checks it got the build it asked for). */
export function flavor(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : 1;
}

// Scratch for partial vectors (a block length that is not a multiple of 4): 4 lanes in, 4 out, 4 codes.
const scratch: usize = memory.data(64, 16);

// ----------------------------------------------------------------------------- helpers

/** 2^e as a float32 for e in [−149, 127] (2^−127 … 2^−149 are subnormals, still exact). */
@inline function pow2f(e: i32): f32 {
  return e >= -126 ? reinterpret<f32>((e + 127) << 23) : reinterpret<f32>(1 << (e + 149));
}

/** Integer lanes of an f32 vector whose lanes hold integers in [0, 2^23): exact in both builds. */
@inline function toInt(v: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // relaxed_trunc differs from trunc_sat only for NaN and out-of-range lanes, which never reach here.
    return i32x4.relaxed_trunc_f32x4_s(v);
  } else {
    // Adding 2^23 puts the integer in the low mantissa bits (exact: 0 ≤ v < 2^23).
    return i32x4.sub(f32x4.add(v, f32x4.splat(8388608.0)), i32x4.splat(0x4b000000));
  }
}

/** Lane select by a comparison mask (lanes all ones or all zeros): a where set, b elsewhere. */
@inline function select(a: v128, b: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // relaxed_laneselect equals bitselect when every mask lane is all ones or all zeros, as here
    return i32x4.relaxed_laneselect(a, b, mask);
  } else {
    return v128.bitselect(a, b, mask);
  }
}

/** max over the block of (float bits & 0x7fffffff); ≥ 0x7f800000 means the block holds a NaN or ±Inf. */
@inline function blockAbsMaxBits(p: usize, len: i32): u32 {
  const absMask = i32x4.splat(0x7fffffff);
  let m0 = i32x4.splat(0);
  let m1 = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    m0 = i32x4.max_u(m0, v128.and(v128.load(p + (<usize>i << 2)), absMask));
    m1 = i32x4.max_u(m1, v128.and(v128.load(p + (<usize>i << 2), 16), absMask));
  }
  if (i + 4 <= len) {
    m0 = i32x4.max_u(m0, v128.and(v128.load(p + (<usize>i << 2)), absMask));
    i += 4;
  }
  m0 = i32x4.max_u(m0, m1);
  m0 = i32x4.max_u(m0, v128.shuffle<i32>(m0, m0, 2, 3, 0, 1));
  m0 = i32x4.max_u(m0, v128.shuffle<i32>(m0, m0, 1, 0, 3, 2));
  let r = <u32>i32x4.extract_lane(m0, 0);
  for (; i < len; i++) {
    const b = load<u32>(p + (<usize>i << 2)) & 0x7fffffff;
    if (b > r) r = b;
  }
  return r;
}

/** floor(log2 a) for the non-zero finite float32 with bits b (subnormals: leading-one position). */
@inline function floorLog2Bits(b: u32): i32 {
  const ef = b >>> 23;
  return ef != 0 ? <i32>ef - 127 : 31 - <i32>clz(b) - 149;
}

@inline function isPow2Bits(b: u32): bool {
  return b >>> 23 != 0 ? (b & 0x7fffff) == 0 : popcnt(b) == 1;
}

// ----------------------------------------------------------------------------- OCP MX

// Element formats by id (ELEMENTS[name].id in src/core/formats/element.ts).
//                          e5m2    e4m3  e3m2  e2m3  e2m1  int8           int4  int2
const E_BITS: StaticArray<i32> = [8, 8, 6, 6, 4, 8, 4, 2];
const E_M: StaticArray<i32> = [2, 3, 2, 3, 1, 6, 2, 0];
const E_EMIN: StaticArray<i32> = [-14, -6, -2, 0, 0, 0, 0, 0];
const E_EMAX: StaticArray<i32> = [15, 8, 4, 2, 2, 0, 0, 0];
const E_MAXNORM: StaticArray<f32> = [57344, 448, 28, 7.5, 6, 1.984375, 1.75, 1];
/** The magnitude code of maxNorm: (p − emin)·2^m + k for fp, k for int (see fpCode below). */
const E_MAXCODE: StaticArray<i32> = [123, 126, 31, 31, 7, 127, 7, 1];

/**
 * Shared exponent X of an MX block (before the scale clamp) from the bits of amax (finite, ≥ 0).
 * rule: 0 floor (OCP), 1 ceil, 2 even, 3 rceil — codec.ts mxSharedExp.
 */
function mxSharedExp(amaxBits: u32, rule: i32, m: i32, emax: i32, maxNorm: f32): i32 {
  const b = amaxBits == 0 ? <u32>0x00800000 : amaxBits; // all-zero block: amax := 2^−126
  let p: i32, sig: u32, L: i32;
  if (b >>> 23 != 0) {
    p = <i32>(b >>> 23) - 127;
    sig = (b & 0x7fffff) | 0x800000;
    L = 23;
  } else {
    L = 31 - <i32>clz(b);
    p = L - 149;
    sig = b;
  }
  if (rule == 0) return p - emax;
  if (rule == 1) return p + (sig == <u32>1 << L ? 0 : 1) - emax;
  if (rule == 2) {
    // round amax to m mantissa bits, ties to even; a carry into the next binade bumps the exponent
    const sh = L - m;
    if (sh > 0) {
      let r = sig >>> sh;
      const rem = sig & ((<u32>1 << sh) - 1);
      const half = <u32>1 << (sh - 1);
      if (rem > half || (rem == half && (r & 1) != 0)) r++;
      if (r == <u32>1 << (m + 1)) p++;
    }
    return p - emax;
  }
  // rceil: the smallest X with maxNorm·2^X ≥ amax. With amax = A·2^p, maxNorm = M·2^f (1 ≤ A, M < 2):
  // X = p − f when A ≤ M, else p − f + 1.
  const mb = reinterpret<u32>(maxNorm);
  const f = <i32>(mb >>> 23) - 127;
  const frac = (sig << (23 - L)) & 0x7fffff;
  return p - f + (frac > (mb & 0x7fffff) ? 1 : 0);
}

/** A block whose scale is NaN: every value NaN (0x7fc00000), every element `elemNan`, the NaN scale code. */
function nanFill(op: usize, ep: usize, len: i32, elemNan: i32, elemBytes: i32): void {
  for (let i = 0; i < len; i++) store<u32>(op + (<usize>i << 2), 0x7fc00000);
  if (ep != 0) {
    if (elemBytes == 1) for (let i = 0; i < len; i++) store<u8>(ep + <usize>i, <u8>elemNan);
    else for (let i = 0; i < len; i++) store<u16>(ep + (<usize>i << 1), <u16>elemNan);
  }
}

/** A flushed block: all +0, element bits 0. Returns how many inputs were non-zero (they underflow). */
function flushFill(xp: usize, op: usize, ep: usize, len: i32): i32 {
  let nz = 0;
  for (let i = 0; i < len; i++) {
    if (load<f32>(xp + (<usize>i << 2)) != 0) nz++;
    store<u32>(op + (<usize>i << 2), 0);
    if (ep != 0) store<u8>(ep + <usize>i, 0);
  }
  return nz;
}

// Per-call parameters of mx_quantize, read by the specialized loops below.
let gM: i32 = 0;
let gEmin: i32 = 0;
let gEmax: i32 = 0;
let gBits: i32 = 0;
let gMaxNorm: f32 = 0;
let gMaxCode: i32 = 0;
let gRule: i32 = 0;
let gSBits: i32 = 8;
let gFlush: i32 = 0;

/**
 * Quantize→dequantize `rows`×`n` float32 values (row-major) in blocks of `block` along each row
 * (the last block of a row may be shorter), as codec.ts mxBlock does.
 * - out: dequantized float32 values.
 * - elems (optional, 0 = skip): each element's stored bit pattern as u8.
 * - scales (optional, 0 = skip): each block's scale code as u8, blocks in row-major order.
 * - counts: u32[4] accumulated — saturated, underflow, nanBlocks, flushedBlocks.
 * elemId: ELEMENTS[name].id; round: ROUNDING_ID; scaleRule: SCALE_RULE_ID; scaleBits 2..8; flush 0/1.
 */
export function mx_quantize(
  x: usize,
  out: usize,
  elems: usize,
  scales: usize,
  counts: usize,
  rows: i32,
  n: i32,
  block: i32,
  elemId: i32,
  round: i32,
  scaleRule: i32,
  scaleBits: i32,
  flush: i32,
): void {
  gBits = unchecked(E_BITS[elemId]);
  gM = unchecked(E_M[elemId]);
  gEmin = unchecked(E_EMIN[elemId]);
  gEmax = unchecked(E_EMAX[elemId]);
  gMaxNorm = unchecked(E_MAXNORM[elemId]);
  gMaxCode = unchecked(E_MAXCODE[elemId]);
  gRule = scaleRule;
  gSBits = scaleBits;
  gFlush = flush;
  // One specialized loop per (element kind, rounding, encode?): no runtime branches per vector.
  // Marker types: K f32 = fp element, i32 = int element; R u8 nearest, u16 even, u32 floor;
  // E bool = write element codes, i8 = values only.
  const fp = elemId < 5;
  const enc = elems != 0;
  const key = (fp ? 0 : 6) + round * 2 + (enc ? 1 : 0);
  switch (key) {
    case 0: mxRun<f32, u8, i8>(x, out, elems, scales, counts, rows, n, block); break;
    case 1: mxRun<f32, u8, bool>(x, out, elems, scales, counts, rows, n, block); break;
    case 2: mxRun<f32, u16, i8>(x, out, elems, scales, counts, rows, n, block); break;
    case 3: mxRun<f32, u16, bool>(x, out, elems, scales, counts, rows, n, block); break;
    case 4: mxRun<f32, u32, i8>(x, out, elems, scales, counts, rows, n, block); break;
    case 5: mxRun<f32, u32, bool>(x, out, elems, scales, counts, rows, n, block); break;
    case 6: mxRun<i32, u8, i8>(x, out, elems, scales, counts, rows, n, block); break;
    case 7: mxRun<i32, u8, bool>(x, out, elems, scales, counts, rows, n, block); break;
    case 8: mxRun<i32, u16, i8>(x, out, elems, scales, counts, rows, n, block); break;
    case 9: mxRun<i32, u16, bool>(x, out, elems, scales, counts, rows, n, block); break;
    case 10: mxRun<i32, u32, i8>(x, out, elems, scales, counts, rows, n, block); break;
    default: mxRun<i32, u32, bool>(x, out, elems, scales, counts, rows, n, block);
  }
}

/** roundUp with the mode fixed at compile time by the marker type R (u8 nearest, u16 even, u32 floor). */
@inline function roundUpR<R>(r: v128, frac: v128): v128 {
  if (sizeof<R>() == 1) return f32x4.ge(frac, f32x4.splat(0.5));
  if (sizeof<R>() == 2) {
    const half = f32x4.splat(0.5);
    const odd = i32x4.shr_s(i32x4.shl(toInt(r), 31), 31);
    return v128.or(f32x4.gt(frac, half), v128.and(f32x4.eq(frac, half), odd));
  }
  return i32x4.splat(0);
}

// Loop-invariant vectors of the current mx_quantize call (set once per call by mxRun).
let vEminB: v128 = i32x4.splat(0);
let vTBias: v128 = i32x4.splat(0);
let vQBias: v128 = i32x4.splat(0);
let vMaxNorm: v128 = i32x4.splat(0);
let vMaxCode: v128 = i32x4.splat(0);
let vElemSign: v128 = i32x4.splat(0);
let vElemMask: v128 = i32x4.splat(0);
let vIntT: v128 = i32x4.splat(0);
let vIntQ: v128 = i32x4.splat(0);

/**
 * Quantize the 4 lanes at src (scaled by inv = 2^−X, output scale 2^X), store the values at dst and
 * (E = bool) the element codes at edst. Returns the count increments packed per lane: saturated in
 * the low 16 bits, underflow in the high 16 bits (the caller drains them before they can overflow).
 */
@inline function mxVec<K, R, E>(src: usize, dst: usize, edst: usize, inv: v128, scale: v128, eminB: v128, tBias: v128, qBias: v128, maxNormV: v128): v128 {
  const xv = v128.load(src);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const a = f32x4.mul(v128.and(xv, i32x4.splat(0x7fffffff)), inv);
  let k: v128, q: v128, pb: v128 = eminB;
  if (!isFloat<K>()) {
    const t = f32x4.mul(a, vIntT);
    const r = f32x4.floor(t);
    k = f32x4.add(r, v128.and(roundUpR<R>(r, f32x4.sub(t, r)), one));
    q = f32x4.mul(k, vIntQ);
  } else {
    // private exponent p = max(exponent of v, emin), from the bits (v ≥ 0)
    pb = i32x4.max_s(i32x4.shr_u(a, 23), eminB);
    const t = f32x4.mul(a, i32x4.shl(i32x4.sub(tBias, pb), 23));
    const r = f32x4.floor(t);
    k = f32x4.add(r, v128.and(roundUpR<R>(r, f32x4.sub(t, r)), one));
    q = f32x4.mul(k, i32x4.shl(i32x4.sub(pb, qBias), 23));
  }
  const sat = f32x4.gt(q, maxNormV);
  q = f32x4.pmin(q, maxNormV);
  const neg = f32x4.lt(xv, zero); // −0 is not negative: it gives +0
  v128.store(dst, v128.or(f32x4.mul(q, scale), v128.and(neg, i32x4.splat(0x80000000))));
  if (isBoolean<E>()) {
    // magnitude code (p − emin)·2^m + k covers subnormals, normals and a carry into the next binade
    let c = toInt(k);
    if (isFloat<K>()) c = i32x4.add(c, i32x4.shl(i32x4.sub(pb, eminB), gM));
    c = i32x4.min_s(c, vMaxCode);
    c = !isFloat<K>() ? v128.and(select(i32x4.neg(c), c, neg), vElemMask) : v128.or(c, v128.and(neg, vElemSign));
    v128.store32_lane(edst, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c, c), c), 0);
  }
  const uf = v128.and(f32x4.ne(xv, zero), f32x4.eq(k, zero));
  return v128.or(v128.and(sat, i32x4.splat(1)), v128.and(uf, i32x4.splat(0x10000)));
}

/** The last `rem` (1..3) elements of a block: through scratch, so the main loop stays call-free. */
function mxTail<K, R, E>(src: usize, dst: usize, edst: usize, rem: i32, inv: v128, scale: v128): v128 {
  v128.store(scratch, i32x4.splat(0)); // zero lanes never change counts or codes
  memory.copy(scratch, src, <usize>rem << 2);
  const c = mxVec<K, R, E>(scratch, scratch + 16, scratch + 32, inv, scale, vEminB, vTBias, vQBias, vMaxNorm);
  memory.copy(dst, scratch + 16, <usize>rem << 2);
  if (isBoolean<E>()) memory.copy(edst, scratch + 32, <usize>rem);
  return c;
}

function mxRun<K, R, E>(x: usize, out: usize, elems: usize, scales: usize, counts: usize, rows: i32, n: i32, block: i32): void {
  const isInt = !isFloat<K>();
  const enc = isBoolean<E>();
  const m = gM;
  const emax = gEmax;
  const maxNorm = gMaxNorm;
  const scaleRule = gRule;
  const flush = gFlush;
  const sEmax = (1 << (gSBits - 1)) - 1;
  const nanCode = (1 << gSBits) - 1;
  const inputNanElem = isInt ? 0 : (1 << (gBits - 1)) - 1;

  vEminB = i32x4.splat(gEmin + 127); // biased exponent floor of the private exponent
  vTBias = i32x4.splat(m + 254); // (m − p + 127) = (m + 254) − (p + 127)
  vQBias = i32x4.splat(m); // (p − m + 127) = (p + 127) − m
  vMaxNorm = f32x4.splat(maxNorm);
  vMaxCode = i32x4.splat(gMaxCode);
  vElemSign = i32x4.splat(isInt ? 0 : 1 << (gBits - 1));
  vElemMask = i32x4.splat((1 << gBits) - 1);
  vIntT = f32x4.splat(pow2f(m)); // int elements: fixed grid 2^−m
  vIntQ = f32x4.splat(pow2f(-m));
  const eminB = vEminB;
  const tBias = vTBias;
  const qBias = vQBias;
  const maxNormV = vMaxNorm;

  let acc = i32x4.splat(0); // packed per lane: saturated (low 16 bits), underflow (high 16 bits)
  let accVecs = 0;
  let sat: u32 = 0;
  let uf: u32 = 0;
  let nanBlocks: u32 = 0;
  let flushed: u32 = 0;
  const nb = (n + block - 1) / block;

  for (let row = 0; row < rows; row++) {
    const rowOff = <usize>row * <usize>n;
    for (let bi = 0; bi < nb; bi++) {
      const start = bi * block;
      const len = min(block, n - start);
      const xp = x + ((rowOff + <usize>start) << 2);
      const op = out + ((rowOff + <usize>start) << 2);
      const ep = enc ? elems + rowOff + <usize>start : 0;
      const sp = scales + <usize>row * <usize>nb + <usize>bi;

      const amaxBits = blockAbsMaxBits(xp, len);
      if (amaxBits >= 0x7f800000) {
        nanBlocks++;
        nanFill(op, ep, len, inputNanElem, 1);
        if (scales != 0) store<u8>(sp, <u8>nanCode);
        continue;
      }
      // OCP's floor rule inline (no call: V8 would spill every vector register around it)
      let X = scaleRule == 0 ? floorLog2Bits(amaxBits == 0 ? 0x00800000 : amaxBits) - emax : mxSharedExp(amaxBits, scaleRule, m, emax, maxNorm);
      if (X > sEmax) {
        // beyond the scale's range (scaleBits < 8, or ceil/even/rceil within ULPs of FLT_MAX): NaN
        nanBlocks++;
        nanFill(op, ep, len, 0, 1);
        if (scales != 0) store<u8>(sp, <u8>nanCode);
        continue;
      }
      if (X < -sEmax) X = -sEmax;
      if (scales != 0) store<u8>(sp, <u8>(X + sEmax));
      if (flush != 0 && amaxBits != 0 && amaxBits < 0x00800000) {
        flushed++;
        uf += <u32>flushFill(xp, op, ep, len);
        continue;
      }
      if (amaxBits == 0) {
        // every element ±0 (attention's P above its diagonal): what mxVec gives them — +0 values,
        // code 0 (−0 is not negative there), no counts — without the vector loop
        memory.fill(op, 0, <usize>len << 2);
        if (enc) memory.fill(ep, 0, <usize>len);
        continue;
      }
      const inv = f32x4.splat(pow2f(-X));
      const scale = f32x4.splat(pow2f(X));
      const full = len & ~3;
      for (let i = 0; i < full; i += 4) {
        acc = i32x4.add(acc, mxVec<K, R, E>(xp + (<usize>i << 2), op + (<usize>i << 2), ep + <usize>i, inv, scale, eminB, tBias, qBias, maxNormV));
      }
      if (full < len) {
        acc = i32x4.add(acc, mxTail<K, R, E>(xp + (<usize>full << 2), op + (<usize>full << 2), ep + <usize>full, len - full, inv, scale));
      }
      accVecs += (len + 3) >> 2;
      if (accVecs > 0x8000) {
        // drain the packed counters long before a 16-bit half can overflow
        sat += drainLow(acc);
        uf += drainHigh(acc);
        acc = i32x4.splat(0);
        accVecs = 0;
      }
    }
  }
  sat += drainLow(acc);
  uf += drainHigh(acc);
  store<u32>(counts, load<u32>(counts) + sat);
  store<u32>(counts, load<u32>(counts, 4) + uf, 4);
  store<u32>(counts, load<u32>(counts, 8) + nanBlocks, 8);
  store<u32>(counts, load<u32>(counts, 12) + flushed, 12);
}

/** Sum over lanes of the low 16 bits. */
function drainLow(acc: v128): u32 {
  let v = v128.and(acc, i32x4.splat(0xffff));
  v = i32x4.add(v, v128.shuffle<i32>(v, v, 2, 3, 0, 1));
  v = i32x4.add(v, v128.shuffle<i32>(v, v, 1, 0, 3, 2));
  return <u32>i32x4.extract_lane(v, 0);
}

/** Sum over lanes of the high 16 bits. */
function drainHigh(acc: v128): u32 {
  let v = i32x4.shr_u(acc, 16);
  v = i32x4.add(v, v128.shuffle<i32>(v, v, 2, 3, 0, 1));
  v = i32x4.add(v, v128.shuffle<i32>(v, v, 1, 0, 3, 2));
  return <u32>i32x4.extract_lane(v, 0);
}

// ----------------------------------------------------------------------------- MXInt and BFP

// Per-call parameters of int_quantize.
let gKind: i32 = 0;
let vMaxPos: v128 = i32x4.splat(0);
let vMaxNeg: v128 = i32x4.splat(0);
let vMask: v128 = i32x4.splat(0);
let vBfpSign: v128 = i32x4.splat(0);

/**
 * MASE's MXInt (kind 0: two's-complement m-bit mantissas) and BFP (kind 1: sign + (m−1)-bit
 * magnitude), as codec.ts intBlock: E = ceil(log2 amax) (scaleRule 1) or floor(log2 amax) + 1
 * (scaleRule 0), clamped to [−bias, 2^e − 2 − bias] (code 2^e − 1 is NaN; an all-zero block gets
 * −bias); elements k·2^(E − (m−1)). m 2..16, e 2..8. Element bits are written as u16, scale codes
 * as u8. counts as in mx_quantize (flushedBlocks is never touched).
 */
export function int_quantize(
  x: usize,
  out: usize,
  elems: usize,
  scales: usize,
  counts: usize,
  rows: i32,
  n: i32,
  block: i32,
  m: i32,
  e: i32,
  bias: i32,
  scaleRule: i32,
  round: i32,
  kind: i32,
): void {
  gKind = kind;
  vMaxPos = f32x4.splat(<f32>((1 << (m - 1)) - 1));
  // two's complement (MXInt) reaches −2^(m−1); sign-magnitude (BFP) is symmetric
  vMaxNeg = f32x4.splat(<f32>(kind == 0 ? 1 << (m - 1) : (1 << (m - 1)) - 1));
  vMask = i32x4.splat((1 << m) - 1);
  vBfpSign = i32x4.splat(1 << (m - 1));
  const key = round * 2 + (elems != 0 ? 1 : 0);
  switch (key) {
    case 0: intRun<u8, i8>(x, out, elems, scales, counts, rows, n, block, m, e, bias, scaleRule); break;
    case 1: intRun<u8, bool>(x, out, elems, scales, counts, rows, n, block, m, e, bias, scaleRule); break;
    case 2: intRun<u16, i8>(x, out, elems, scales, counts, rows, n, block, m, e, bias, scaleRule); break;
    case 3: intRun<u16, bool>(x, out, elems, scales, counts, rows, n, block, m, e, bias, scaleRule); break;
    case 4: intRun<u32, i8>(x, out, elems, scales, counts, rows, n, block, m, e, bias, scaleRule); break;
    default: intRun<u32, bool>(x, out, elems, scales, counts, rows, n, block, m, e, bias, scaleRule);
  }
}

/**
 * One vector of MXInt/BFP: t = |x|·f1·f2, k = round(t) saturated to the sign's limit, value
 * k·g1·g2 (see intRun for why two factors). Returns packed count increments as mxVec does.
 */
@inline function intVec<R, E>(src: usize, dst: usize, edst: usize, f1: v128, f2: v128, g1: v128, g2: v128): v128 {
  const xv = v128.load(src);
  const zero = f32x4.splat(0);
  const t = f32x4.mul(f32x4.mul(v128.and(xv, i32x4.splat(0x7fffffff)), f1), f2);
  const r = f32x4.floor(t);
  const frac = f32x4.sub(t, r); // NaN when t = +Inf: no round-up, k = Inf saturates below
  let k = f32x4.add(r, v128.and(roundUpInt<R>(r, frac), f32x4.splat(1)));
  const neg = f32x4.lt(xv, zero);
  const lim = select(vMaxNeg, vMaxPos, neg);
  const sat = f32x4.gt(k, lim);
  k = f32x4.pmin(k, lim);
  v128.store(dst, v128.or(f32x4.mul(f32x4.mul(k, g1), g2), v128.and(neg, i32x4.splat(0x80000000))));
  if (isBoolean<E>()) {
    const ki = toInt(k);
    const c = gKind == 0 ? select(v128.and(i32x4.neg(ki), vMask), ki, neg) : v128.or(ki, v128.and(neg, vBfpSign));
    v128.store64_lane(edst, i16x8.narrow_i32x4_u(c, c), 0);
  }
  const uf = v128.and(f32x4.ne(xv, zero), f32x4.eq(k, zero));
  return v128.or(v128.and(sat, i32x4.splat(1)), v128.and(uf, i32x4.splat(0x10000)));
}

function intTail<R, E>(src: usize, dst: usize, edst: usize, rem: i32, f1: v128, f2: v128, g1: v128, g2: v128): v128 {
  v128.store(scratch, i32x4.splat(0));
  memory.copy(scratch, src, <usize>rem << 2);
  const c = intVec<R, E>(scratch, scratch + 16, scratch + 32, f1, f2, g1, g2);
  memory.copy(dst, scratch + 16, <usize>rem << 2);
  if (isBoolean<E>()) memory.copy(edst, scratch + 32, <usize>rem << 1);
  return c;
}

function intRun<R, E>(x: usize, out: usize, elems: usize, scales: usize, counts: usize, rows: i32, n: i32, block: i32, m: i32, e: i32, bias: i32, scaleRule: i32): void {
  const enc = isBoolean<E>();
  const lo = -bias;
  const hi = (1 << e) - 2 - bias;
  const nanCode = (1 << e) - 1;
  let acc = i32x4.splat(0);
  let accVecs = 0;
  let sat: u32 = 0;
  let uf: u32 = 0;
  let nanBlocks: u32 = 0;
  const nb = (n + block - 1) / block;

  for (let row = 0; row < rows; row++) {
    const rowOff = <usize>row * <usize>n;
    for (let bi = 0; bi < nb; bi++) {
      const start = bi * block;
      const len = min(block, n - start);
      const xp = x + ((rowOff + <usize>start) << 2);
      const op = out + ((rowOff + <usize>start) << 2);
      const ep = enc ? elems + ((rowOff + <usize>start) << 1) : 0;
      const sp = scales + <usize>row * <usize>nb + <usize>bi;

      const amaxBits = blockAbsMaxBits(xp, len);
      if (amaxBits >= 0x7f800000) {
        nanBlocks++;
        nanFill(op, ep, len, 0, 2);
        if (scales != 0) store<u8>(sp, <u8>nanCode);
        continue;
      }
      let E: i32;
      if (amaxBits == 0) E = lo;
      else {
        E = floorLog2Bits(amaxBits) + (scaleRule == 0 || !isPow2Bits(amaxBits) ? 1 : 0);
        E = min(max(E, lo), hi);
      }
      if (scales != 0) store<u8>(sp, <u8>(E + bias));
      if (amaxBits == 0) {
        // every element ±0: what intVec gives them (+0 values, code 0, no counts) without the loop
        memory.fill(op, 0, <usize>len << 2);
        if (enc) memory.fill(ep, 0, <usize>len << 1);
        continue;
      }
      // t = |x|·2^d with d = −unitExp ∈ [−254, 269], applied as two float32 factors: scaling up
      // is exact until it overflows (→ saturation, as the exact value would); scaling down can
      // only lose bits below 2^−126, where every rounding mode gives 0 anyway.
      const unitExp = E - (m - 1);
      const d = -unitExp;
      const d1 = min(max(d, -126), 127);
      const d2 = min(max(d - d1, -149), 127);
      const f1 = f32x4.splat(pow2f(d1));
      const f2 = f32x4.splat(pow2f(d2));
      // value = k·2^unitExp: the first factor keeps k·2^u1 exact (k ≥ 1), the second rounds once,
      // exactly as storing the double k·2^unitExp into a Float32Array does (overflow → ±Inf).
      const u1 = min(max(unitExp, -126), 127);
      const u2 = min(max(unitExp - u1, -149), 127);
      const g1 = f32x4.splat(pow2f(u1));
      const g2 = f32x4.splat(pow2f(u2));
      const full = len & ~3;
      for (let i = 0; i < full; i += 4) {
        acc = i32x4.add(acc, intVec<R, E>(xp + (<usize>i << 2), op + (<usize>i << 2), ep + (<usize>i << 1), f1, f2, g1, g2));
      }
      if (full < len) {
        acc = i32x4.add(acc, intTail<R, E>(xp + (<usize>full << 2), op + (<usize>full << 2), ep + (<usize>full << 1), len - full, f1, f2, g1, g2));
      }
      accVecs += (len + 3) >> 2;
      if (accVecs > 0x8000) {
        sat += drainLow(acc);
        uf += drainHigh(acc);
        acc = i32x4.splat(0);
        accVecs = 0;
      }
    }
  }
  sat += drainLow(acc);
  uf += drainHigh(acc);
  store<u32>(counts, load<u32>(counts) + sat);
  store<u32>(counts, load<u32>(counts, 4) + uf, 4);
  store<u32>(counts, load<u32>(counts, 8) + nanBlocks, 8);
}

/**
 * roundUpR for int_quantize, where t may exceed 2^23 (saturating lanes) or be +Inf: the parity of a
 * huge r does not matter (k saturates either way), but the lane must not become NaN. Parity is
 * taken with trunc_sat, which is defined for every lane in both builds.
 */
@inline function roundUpInt<R>(r: v128, frac: v128): v128 {
  const half = f32x4.splat(0.5);
  if (sizeof<R>() == 1) return f32x4.ge(frac, half);
  if (sizeof<R>() == 2) {
    const odd = i32x4.shr_s(i32x4.shl(i32x4.trunc_sat_f32x4_s(r), 31), 31);
    return v128.or(f32x4.gt(frac, half), v128.and(f32x4.eq(frac, half), odd));
  }
  return i32x4.splat(0);
}

// ----------------------------------------------------------------------------- encode's datapath view and statistics
//
// What the wrapper derived per element in TypeScript before (src/core/kernels/quantize.ts
// datapathView, and the emulator's point statistics measure() in src/core/emulate/quant.ts), for
// the rows streamed through the kernel in index order.

/**
 * The datapath view of `rows`×`n` encoded elements (codes u8 or u16 at `elems`, one u8 scale code
 * per block of `block` along each row at `scales`): dst[j] (f64) = lut[code] (the signed mantissa
 * of every stored bit pattern; lutLen entries), NaN for every element of a block whose scale is `nanCode`.
 * When maxc ≠ 0, each block's GEMM statistics too (blockMaxOr; 0 and 0 for a NaN block) at
 * maxc (f64 [rows][nb]) and orc (u32); when exps ≠ 0, its unit exponent (scale code + unitOff, NaN
 * for a NaN block) at exps (f64 [rows][nb]).
 */
// |x| as a bit mask, and 2^52: for an integer 0 ≤ c < 2^52, the low 32 bits of c + 2^52 are c mod 2^32.
const ABS_MASK: u64 = 0x7fffffffffffffff;
const MAGIC: f64 = 4503599627370496.0;

/**
 * One block of a GEMM operand's statistics (the GEMM kernel's blockStats): over the len f64 codes
 * at p, the largest |code| to maxcAt (f64) and the OR of all |code| as u32 to orcAt.
 */
@inline export function blockMaxOr(p: usize, len: i32, maxcAt: usize, orcAt: usize): void {
  const absMask = i64x2.splat(ABS_MASK);
  const magic = f64x2.splat(MAGIC);
  let vmax = f64x2.splat(0);
  let vor = i64x2.splat(0);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const a = v128.and(v128.load(p + (<usize>k << 3)), absMask);
    vmax = f64x2.pmax(vmax, a);
    vor = v128.or(vor, f64x2.add(a, magic));
  }
  for (; k < len; k++) {
    const a = abs(load<f64>(p + (<usize>k << 3)));
    vmax = f64x2.pmax(vmax, f64x2.splat(a));
    vor = v128.or(vor, f64x2.splat(a + MAGIC));
  }
  store<f64>(maxcAt, max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1)));
  store<u32>(orcAt, <u32>(i64x2.extract_lane(vor, 0) | i64x2.extract_lane(vor, 1)));
}

export function datapath_view(elems: usize, elemBytes: i32, scales: usize, rows: i32, n: i32, block: i32, nanCode: i32, lut: usize, dst: usize, lutLen: i32, maxc: usize, orc: usize, exps: usize, unitOff: i32): void {
  const nb = (n + block - 1) / block;
  const z = f64x2.splat(load<f64>(lut)); // the mantissa of code 0
  // INT8 elements: every code's mantissa is the code as a signed byte; then 16 codes at a time are
  // widened and converted instead of looked up one by one
  let s8 = elemBytes == 1 && lutLen == 256;
  for (let c = 0; s8 && c < 256; c++) if (load<f64>(lut + (<usize>c << 3)) != <f64><i8>c) s8 = false;
  for (let r = 0; r < rows; r++) {
    for (let kb = 0; kb < nb; kb++) {
      const j0 = r * n + kb * block;
      const j1 = r * n + min(n, (kb + 1) * block);
      const nan = <i32>load<u8>(scales + <usize>(r * nb + kb)) == nanCode;
      if (nan) {
        for (let j = j0; j < j1; j++) store<f64>(dst + (<usize>j << 3), NaN);
      } else if (s8) {
        let j = j0;
        for (; j + 16 <= j1; j += 16) {
          const c = v128.load(elems + <usize>j);
          const lo = i16x8.extend_low_i8x16_s(c);
          const hi = i16x8.extend_high_i8x16_s(c);
          const d = dst + (<usize>j << 3);
          const q0 = i32x4.extend_low_i16x8_s(lo);
          const q1 = i32x4.extend_high_i16x8_s(lo);
          const q2 = i32x4.extend_low_i16x8_s(hi);
          const q3 = i32x4.extend_high_i16x8_s(hi);
          v128.store(d, f64x2.convert_low_i32x4_s(q0));
          v128.store(d, f64x2.convert_low_i32x4_s(i32x4.shuffle(q0, q0, 2, 3, 2, 3)), 16);
          v128.store(d, f64x2.convert_low_i32x4_s(q1), 32);
          v128.store(d, f64x2.convert_low_i32x4_s(i32x4.shuffle(q1, q1, 2, 3, 2, 3)), 48);
          v128.store(d, f64x2.convert_low_i32x4_s(q2), 64);
          v128.store(d, f64x2.convert_low_i32x4_s(i32x4.shuffle(q2, q2, 2, 3, 2, 3)), 80);
          v128.store(d, f64x2.convert_low_i32x4_s(q3), 96);
          v128.store(d, f64x2.convert_low_i32x4_s(i32x4.shuffle(q3, q3, 2, 3, 2, 3)), 112);
        }
        for (; j < j1; j++) store<f64>(dst + (<usize>j << 3), <f64>load<i8>(elems + <usize>j));
      } else if (elemBytes == 1) {
        let j = j0;
        // runs of 16 zero codes (P above its diagonal, small probabilities) as 8 vector stores of lut[0]
        for (; j + 16 <= j1; j += 16) {
          if (!v128.any_true(v128.load(elems + <usize>j))) {
            const d = dst + (<usize>j << 3);
            for (let u: usize = 0; u < 128; u += 16) v128.store(d + u, z);
          } else for (let i = j; i < j + 16; i++) store<f64>(dst + (<usize>i << 3), load<f64>(lut + (<usize>load<u8>(elems + <usize>i) << 3)));
        }
        for (; j < j1; j++) store<f64>(dst + (<usize>j << 3), load<f64>(lut + (<usize>load<u8>(elems + <usize>j) << 3)));
      } else {
        let j = j0;
        for (; j + 8 <= j1; j += 8) {
          if (!v128.any_true(v128.load(elems + (<usize>j << 1)))) {
            const d = dst + (<usize>j << 3);
            for (let u: usize = 0; u < 64; u += 16) v128.store(d + u, z);
          } else for (let i = j; i < j + 8; i++) store<f64>(dst + (<usize>i << 3), load<f64>(lut + (<usize>load<u16>(elems + (<usize>i << 1)) << 3)));
        }
        for (; j < j1; j++) store<f64>(dst + (<usize>j << 3), load<f64>(lut + (<usize>load<u16>(elems + (<usize>j << 1)) << 3)));
      }
      // the block's GEMM statistics from the view just written (still in cache), and its exponent
      const b = <usize>(r * nb + kb);
      if (maxc != 0) {
        if (nan) {
          store<f64>(maxc + (b << 3), 0);
          store<u32>(orc + (b << 2), 0);
        } else blockMaxOr(dst + (<usize>j0 << 3), j1 - j0, maxc + (b << 3), orc + (b << 2));
      }
      if (exps != 0) store<f64>(exps + (b << 3), nan ? NaN : <f64>(<i32>load<u8>(scales + b) + unitOff));
    }
  }
}

/**
 * Statistics of n inputs x against their dequantized q (both f32), over finite pairs, in index
 * order: acc[0] += Σ x², acc[1] += Σ (x − q)² (f64, each product and sum rounded as the
 * TypeScript loop rounds them: no fused multiply-add).
 */
export function measure_sums(x: usize, q: usize, n: i32, acc: usize): void {
  let sig = load<f64>(acc);
  let err = load<f64>(acc, 8);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const ba = load<u32>(x + o);
    const bb = load<u32>(q + o);
    // skip NaN or ±Inf (exponent all ones), and pairs of zeros (they add +0: no change; P's masked half)
    if ((ba & 0x7f800000) == 0x7f800000 || (bb & 0x7f800000) == 0x7f800000 || ((ba | bb) << 1) == 0) continue;
    const a = <f64>reinterpret<f32>(ba);
    const b = <f64>reinterpret<f32>(bb);
    const d = a - b;
    sig += a * a;
    err += d * d;
  }
  store<f64>(acc, sig);
  store<f64>(acc, err, 8);
}

/**
 * measure_sums for x = ACT values (v · 2^−f, what act_to_f32 made), with the same results bit for
 * bit, computed as exact integer sums when that is provably what the sequential loop gives.
 *
 * Why it is the same: when x = u · 2^−f and q = w · 2^−f with integers |u|, |w| < 2^24, the loop's
 * f64 d = x − q is exactly (u − w) · 2^−f, each square is exactly u² · 2^−2f or (u − w)² · 2^−2f,
 * and while the exact total stays below 2^53 · 2^−2f every partial sum of the loop is exactly
 * representable (non-negative terms: no partial sum exceeds the total), so the loop's result is
 * the exact total, whatever the order. Such a chunk is summed as integers (i64 lanes, 8192
 * elements at a time, each lane < 2^61) and added to the exact totals kept in acc; acc[0..1] then
 * hold those totals as f64 (exact), i.e. the loop's accumulators at this point. A chunk that
 * breaks a condition (a value off the 2^−f grid or ≥ 2^24 units, a NaN or Inf, a total reaching
 * 2^53 units) runs the sequential loop from acc[0..1] — still the loop's state, since every earlier
 * chunk was exact — and the rest of the tensor stays sequential (acc[4] = 1).
 * acc: f64 sig, f64 err, i64 sig units, i64 err units, i32 mode (0 exact so far, 1 sequential);
 * the caller zeroes it before the first chunk.
 */
export function measure_sums_act(x: usize, q: usize, n: i32, f: i32, acc: usize): void {
  if (load<i32>(acc, 32) == 0) {
    const scf = reinterpret<f32>(<u32>(127 + f) << 23); // 2^f (f ≤ 30)
    const sc = f32x4.splat(scf);
    const lim = f32x4.splat(16777216.0); // 2^24
    const top: i64 = 9007199254740992; // 2^53
    let ok = i32x4.splat(-1);
    let S = load<i64>(acc, 16);
    let E = load<i64>(acc, 24);
    let i = 0;
    while (i + 4 <= n && S < top && E < top) {
      const end = min(n & ~3, i + 8192);
      let s0 = i64x2.splat(0);
      let s1 = i64x2.splat(0);
      let e0 = i64x2.splat(0);
      let e1 = i64x2.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x + o);
        const qv = v128.load(q + o);
        if (!v128.any_true(v128.or(xv, qv))) continue; // four pairs of +0 (P above its diagonal) add 0
        const xk = f32x4.mul(xv, sc);
        const qk = f32x4.mul(qv, sc);
        const u = i32x4.trunc_sat_f32x4_s(xk);
        const w = i32x4.trunc_sat_f32x4_s(qk);
        // integral (NaN fails) and below 2^24 in magnitude (Inf fails)
        ok = v128.and(ok, v128.and(f32x4.eq(f32x4.convert_i32x4_s(u), xk), f32x4.eq(f32x4.convert_i32x4_s(w), qk)));
        ok = v128.and(ok, v128.and(f32x4.lt(f32x4.abs(xk), lim), f32x4.lt(f32x4.abs(qk), lim)));
        const d = i32x4.sub(u, w);
        s0 = i64x2.add(s0, i64x2.extmul_low_i32x4_s(u, u));
        s1 = i64x2.add(s1, i64x2.extmul_high_i32x4_s(u, u));
        e0 = i64x2.add(e0, i64x2.extmul_low_i32x4_s(d, d));
        e1 = i64x2.add(e1, i64x2.extmul_high_i32x4_s(d, d));
      }
      S += i64x2.extract_lane(s0, 0) + i64x2.extract_lane(s0, 1) + i64x2.extract_lane(s1, 0) + i64x2.extract_lane(s1, 1);
      E += i64x2.extract_lane(e0, 0) + i64x2.extract_lane(e0, 1) + i64x2.extract_lane(e1, 0) + i64x2.extract_lane(e1, 1);
    }
    let good = i32x4.all_true(ok);
    for (; i < n && good; i++) {
      const xk = load<f32>(x + (<usize>i << 2)) * scf;
      const qk = load<f32>(q + (<usize>i << 2)) * scf;
      if (!(abs(xk) < 16777216.0 && abs(qk) < 16777216.0)) good = false;
      else {
        const u = <i32>xk;
        const w = <i32>qk;
        if (<f32>u != xk || <f32>w != qk) good = false;
        else {
          S += <i64>u * <i64>u;
          E += <i64>(u - w) * <i64>(u - w);
        }
      }
    }
    if (good && S < top && E < top) {
      const un = reinterpret<f64>(<u64>(1023 - 2 * f) << 52); // 2^−2f
      store<i64>(acc, S, 16);
      store<i64>(acc, E, 24);
      store<f64>(acc, <f64>S * un);
      store<f64>(acc, <f64>E * un, 8);
      return;
    }
  }
  store<i32>(acc, 1, 32);
  measure_sums(x, q, n, acc);
}

/**
 * In place: n ACT integers (i32, value = v · 2^−f) → their float32 values (exact for |v| < 2^24),
 * so integer mode's activations are encoded straight from their integers.
 */
export function act_to_f32(p: usize, n: i32, f: i32): void {
  const un = reinterpret<f32>(<u32>(127 - f) << 23);
  const vu = f32x4.splat(un);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(p + o, f32x4.mul(f32x4.convert_i32x4_s(v128.load(p + o)), vu));
  }
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), <f32>load<i32>(p + (<usize>i << 2)) * un);
}
