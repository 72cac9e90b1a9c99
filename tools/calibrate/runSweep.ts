// Measure the sweep only (no fit): `node --import tsx --import ./tools/calibrate/svHook.mjs tools/calibrate/runSweep.ts [--fresh]`
import { sweepPoints } from './points';
import { runSweep } from './sweep';

await runSweep(sweepPoints(), { fresh: process.argv.includes('--fresh'), jobs: 2 });
