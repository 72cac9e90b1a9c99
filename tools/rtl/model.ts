/**
 * Node-only helpers for the RTL tests: the default model from public/models, and one integer-mode
 * emulator run with an HwTrace, which gives every op's ACT inputs and output (the stimulus and the
 * emulator's expected output of a layer testbench).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Emulator } from '../../src/core/emulate';
import type { HwTrace } from '../../src/core/emulate';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../../src/core/model';
import type { QuantConfig } from '../../src/core/graph';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The default model (public/models/sotu-llama-1m) and its test text's token ids. */
export async function loadDefaultModel(): Promise<{ model: LoadedModel; ids: number[] }> {
  const rel = 'public/models/sotu-llama-1m';
  const dir = ROOT + rel;
  const files = new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))]));
  const model = await loadModel(modelSourceFromFiles(files, rel));
  const ids = model.tokenizer.encode(readFileSync(`${dir}/test.txt`, 'utf8'));
  return { model, ids };
}

/** Every op's ACT inputs and output from one integer-mode run over `ids` (HwTrace `op`). */
export function hwTrace(model: LoadedModel, ids: readonly number[], config: QuantConfig): { ops: Map<string, { inputs: Int32Array[]; output: Int32Array }> } {
  const em = new Emulator(model);
  const ops = new Map<string, { inputs: Int32Array[]; output: Int32Array }>();
  const hw: HwTrace = { op: (op, inputs, output) => ops.set(op.id, { inputs: [...inputs], output }) };
  em.logits(ids, config, 'integer', { hw });
  return { ops };
}
