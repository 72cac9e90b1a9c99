/**
 * The one contract of workers/quantize.worker.ts, shared by the worker (ring 2) and the UI's
 * src/services/quantizeClient.ts (ring 3). Types only: importing this file costs nothing at runtime.
 *
 * Big typed arrays cross the boundary by transfer (comlink.transfer), never by copy: the caller
 * gives up `data` when it calls run(), and the worker gives up the arrays of the result.
 */
import type { BlockLayout, ErrorStats, QuantCounts } from '../../src/core/formats';
import type { GenSettings } from '../../src/core/tensors';

/** Which kernel build the worker runs (mirrors src/core/kernels' KernelFlavor). */
export type KernelFlavorName = 'relaxed' | 'simd';

/** Which engine quantized a tensor: a WASM kernel flavor, or core's TypeScript codec. */
export type Engine = 'wasm-relaxed' | 'wasm-simd' | 'ts';

/** What the worker could load. Reported once after init(). */
export interface KernelInfo {
  /** The kernel flavor in use; null when the kernels could not be loaded (everything runs on 'ts'). */
  flavor: KernelFlavorName | null;
  /** Why the kernels are not in use, when flavor is null. */
  message?: string;
}

export interface QuantizeRequest {
  /** A format spec string (already validated by the caller with core's parseFormat). */
  spec: string;
  /** The tensor, in C order. Transferred: the caller's copy is detached after the call. */
  data: Float32Array;
  /** Tensor shape; the product must equal data.length. */
  shape: number[];
  /** Blocking axis (default −1, the last). */
  axis?: number;
}

export interface QuantizeResult {
  /** Canonical spec string of what ran. */
  spec: string;
  engine: Engine;
  /** Quantize→dequantize values, in tensor order. */
  values: Float32Array;
  /** Stored element bit patterns, `elemBits` wide. */
  elements: Uint32Array;
  elemBits: number;
  /** Stored scale code per block (E8M0 byte for MX at 8 bits; E4M3 byte for NVFP4). */
  scales: Uint32Array;
  scaleBits: number;
  /** log2 of each block's datapath unit; NaN for a NaN block. */
  unitExp: Float64Array;
  layout: BlockLayout;
  /** NVFP4's fp32 per-tensor encode scale. */
  tensorScale?: number;
  counts: QuantCounts;
  stats: ErrorStats;
  /** Wall time of the quantization itself in the worker (ms), excluding transfer. */
  ms: number;
}

export interface QuantizeApi {
  /** Load the WASM kernels once (idempotent). Never throws: a failure is reported in `message`. */
  init(): Promise<KernelInfo>;
  /** A seeded test tensor (src/core/tensors). The array is transferred to the caller. */
  generate(gen: GenSettings): Promise<Float32Array>;
  /** Quantize on the WASM kernels when they support the format, else on core's codec. */
  run(req: QuantizeRequest): Promise<QuantizeResult>;
}
