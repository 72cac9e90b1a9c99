/**
 * src/core/model — Hugging Face model folders (config.json, safetensors, tokenizer) → LoadedModel:
 * one normalised config, canonical weight names and a tokenizer for LLaMA, GPT-2 and OPT.
 */
export type {
  Arch,
  ModelConfig,
  DType,
  WeightTensor,
  CanonicalName,
  ModelWeights,
  TextTokenizer,
  LoadedModel,
  ModelFileSource,
} from './types';
export { ModelError, type ModelErrorKind, type ModelErrorDetails } from './errors';
export { parseSafetensors, isReadableDType, READABLE_DTYPES, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsFile, SafetensorsEntry, RawTensor } from './safetensors';
export { parseConfig } from './config';
export { mapWeights, specsFor, CanonicalWeight, OPT_POSITION_OFFSET } from './weights';
export type { CheckpointTensors, MappedWeights } from './weights';
export { widenF16, widenBF16, f16BitsToF32Bits } from './half';
export { createTokenizer, synthesizeByteLevelBpe, HfTextTokenizer, type TokenizerOptions } from './tokenizer';
export { loadModel, modelSourceFromFiles, modelSourceFromUrl, parseHfUrl, INDEX_FILE, SINGLE_FILE } from './load';
export type { LoadOptions, LoadProgress, LoadedHfModel, FetchLike, HfRepoRef } from './load';
