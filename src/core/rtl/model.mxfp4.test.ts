// Co-simulation of the default model's generated RTL, all MXFP4: every layer, every block and the
// whole model bit-exact against the emulator's integer mode (tools/testing/rtlModel.ts says what runs
// under which simulator).
import { describe } from 'vitest';
import { uniformConfig } from '../graph';
import { coSimSuite } from '../../../tools/testing/rtlModel';

describe('model-level RTL, mxfp4', () => coSimSuite('mxfp4', () => uniformConfig('mxfp4'), [0]));
