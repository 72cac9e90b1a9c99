/**
 * src/core/formats — the one home of number-format semantics (MX, MXInt, BFP, fixed, NVFP4, fp32).
 * Every other part of MX Studio (emulator, cost model, RTL generator, UI) asks this module.
 */
export { FormatError } from './errors';
export type { ElemName, ElemFormat } from './element';
export { ELEMENTS, ELEM_NAMES, isElemName, elemGridMagnitudes, encodeElemBits, decodeElemBits } from './element';
export type { Rounding } from './rounding';
export { ROUNDINGS, ROUNDING_ID, roundMagnitude } from './rounding';
export type { FormatSpec, FormatKind, MxSpec, MxIntSpec, BfpSpec, FixedSpec, NvFp4Spec, Fp32Spec, BlockSpec, ScaleRule } from './spec';
export {
  SCALE_RULES,
  SCALE_RULE_ID,
  FORMAT_NAMES,
  MAX_BLOCK,
  FP32,
  parseFormat,
  formatToString,
  validate,
  toSpec,
  describeFormat,
  isBlockSpec,
  mxSpec,
  mxIntSpec,
  bfpSpec,
  fixedSpec,
  nvfp4Spec,
} from './spec';
export type { BlockLayout } from './layout';
export { makeLayout, forEachBlock, blockOfElements, checkShape, normAxis, stridesOf } from './layout';
export type { Encoded, QuantCounts, QuantResult, BlockScale } from './codec';
export { quantize, quantizeWithCounts, encode, decode, blockScale, grid, bitsPerElement, elementBits, scaleBitsOf, mxSharedExp, intBlockExp, nvfp4TensorScale } from './codec';
export { floorLog2, ceilLog2, f32Bits, f32FromBits, FLT_MAX } from './float32';
export type { ErrorStats } from './stats';
export { errorStats } from './stats';
