/**
 * Quantize worker: a thin comlink facade over src/core (formats, tensors, kernels). Runs in a
 * dedicated module worker so quantizing a 1M-element tensor never blocks the page. Everything it
 * does is reachable through core, where the tests live; the only choice made here is the engine:
 * the WASM kernel when it supports the format (mx, mxint, bfp), else core's TypeScript codec
 * (fixed, nvfp4, fp32). Both give the same bits (core/kernels' differential tests).
 */
import * as Comlink from 'comlink';
import { encode, errorStats, formatToString, parseFormat, quantizeWithCounts } from '../src/core/formats';
import { KernelError, detectFlavor, loadQuantKernels, type KernelFlavor, type QuantKernels } from '../src/core/kernels';
import { generateTensor, type GenSettings } from '../src/core/tensors';
import type { Engine, KernelInfo, QuantizeApi, QuantizeRequest, QuantizeResult } from './api/quantize.api';

// Static URLs so Vite sees both builds and emits them as assets (a template literal would not be
// resolved at build time).
const KERNEL_URLS: Record<string, URL> = {
  'quantize.relaxed.wasm': new URL('./kernels/build/quantize.relaxed.wasm', import.meta.url),
  'quantize.simd.wasm': new URL('./kernels/build/quantize.simd.wasm', import.meta.url),
};

async function fetchKernel(file: string): Promise<ArrayBuffer> {
  const url = KERNEL_URLS[file];
  if (!url) throw new KernelError(`unknown kernel file ${file}`);
  const res = await fetch(url);
  if (!res.ok) throw new KernelError(`${file}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

let kernels: QuantKernels | null = null;
let loading: Promise<KernelInfo> | null = null;

async function load(): Promise<KernelInfo> {
  const first: KernelFlavor = detectFlavor();
  const tried: string[] = [];
  // Prefer the detected flavor; if its build fails to load, the plain SIMD build may still work.
  for (const flavor of first === 'relaxed' ? (['relaxed', 'simd'] as const) : (['simd'] as const)) {
    try {
      kernels = await loadQuantKernels(fetchKernel, flavor);
      return { flavor };
    } catch (e) {
      tried.push(`${flavor}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { flavor: null, message: `WASM kernels unavailable, core TypeScript codec in use (${tried.join('; ')})` };
}

function init(): Promise<KernelInfo> {
  loading ??= load();
  return loading;
}

const api: QuantizeApi = {
  init,

  async generate(gen: GenSettings): Promise<Float32Array> {
    const x = generateTensor(gen);
    return Comlink.transfer(x, [x.buffer]);
  },

  async run(req: QuantizeRequest): Promise<QuantizeResult> {
    await init();
    const spec = parseFormat(req.spec);
    const axis = req.axis ?? -1;
    const k = kernels && kernels.supports(spec) ? kernels : null;
    const engine: Engine = k ? (k.flavor === 'relaxed' ? 'wasm-relaxed' : 'wasm-simd') : 'ts';
    // Time the quantize pass alone so engines compare like for like; encode is a second pass for
    // the stored scales and bit patterns the explorer shows.
    const t0 = performance.now();
    const { values } = k ? k.quantize(spec, req.data, req.shape, axis) : quantizeWithCounts(spec, req.data, req.shape, axis);
    const ms = performance.now() - t0;
    const enc = k ? k.encode(spec, req.data, req.shape, axis) : encode(spec, req.data, req.shape, axis);
    const out: QuantizeResult = {
      spec: formatToString(spec),
      engine,
      values,
      elements: enc.elements,
      elemBits: enc.elemBits,
      scales: enc.scales,
      scaleBits: enc.scaleBits,
      unitExp: enc.unitExp,
      layout: enc.layout,
      tensorScale: enc.tensorScale,
      counts: enc.counts,
      stats: errorStats(req.data, values),
      ms,
    };
    return Comlink.transfer(out, [values.buffer, enc.elements.buffer, enc.scales.buffer, enc.unitExp.buffer]);
  },
};

Comlink.expose(api);
