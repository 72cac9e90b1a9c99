// Co-simulation of the default model's generated RTL, mixed: MXINT8 activations, MXFP4 weights, block 1 MXFP6 E2M3: every layer, every block and the
// whole model bit-exact against the emulator's integer mode (tools/testing/rtlModel.ts says what runs
// under which simulator).
import { describe } from 'vitest';
import { parseConfig } from '../graph';
import { coSimSuite } from '../../../tools/testing/rtlModel';

describe('model-level RTL, mixed', () => coSimSuite('mixed', () => parseConfig({ version: 1, rules: [['*', 'mxint8'], ['*.w', 'mxfp4'], ['L1.*', 'mxfp6_e2m3']] }), [1]));
