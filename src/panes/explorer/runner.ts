/**
 * The explorer's run loop: watches the document, debounces, gets the input tensor (generated in
 * the worker, or parsed from the paste), runs the worker and publishes the result to the ephemeral
 * store. At most one run is in flight; edits made meanwhile coalesce into one follow-up run, so
 * dragging a knob never queues a backlog.
 */
import { parseFormat, type FormatSpec } from '../../core/formats';
import { NumberParseError, parseNumbers } from '../../core/tensors';
import { CancelledError, WorkerCrashedError, quantizeClient } from '../../services/quantizeClient';
import { documentStore, type ExplorerDoc, type TensorDoc } from '../../state/document';
import { appendLog, ephemeralStore } from '../../state/ephemeral';
import { fmtDb, fmtInt, fmtMs } from '../../ui/format';

const DEBOUNCE_MS = 120;

/** The tensor's shape: [n / cols, cols] when cols divides n (blocks run along rows), else 1-D. */
export function shapeFor(n: number, cols: number): number[] {
  return cols > 0 && cols < n && n % cols === 0 ? [n / cols, cols] : [n];
}

function genKey(t: TensorDoc): string {
  return `${t.dist}|${t.n}|${t.seed}|${t.dist === 'student' ? t.df : ''}`;
}

let inputCache: { key: string; data: Float32Array } | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let inFlight = false;
let dirty = false;
let runSeq = 0;

async function getInput(t: TensorDoc): Promise<{ data: Float32Array; label: string }> {
  if (t.source === 'paste') {
    const key = `paste|${t.paste}`;
    if (inputCache?.key !== key) {
      const { values, overflowed } = parseNumbers(t.paste);
      if (overflowed) appendLog('warn', `${overflowed} pasted value${overflowed > 1 ? 's' : ''} overflow float32 and became ±Inf`);
      inputCache = { key, data: values };
    }
    return { data: inputCache.data, label: `pasted ${fmtInt(inputCache.data.length)} values` };
  }
  const key = genKey(t);
  if (inputCache?.key !== key) {
    const t0 = performance.now();
    const data = await quantizeClient().generate({ dist: t.dist, n: t.n, seed: t.seed, df: t.df });
    inputCache = { key, data };
    appendLog('info', `generated ${fmtInt(t.n)} ${t.dist} values (seed ${t.seed}) in ${fmtMs(performance.now() - t0)}`);
  }
  const what = t.dist === 'student' ? `Student-t(df=${t.df})` : t.dist === 'outliers' ? 'normal + 1% outliers' : 'normal';
  return { data: inputCache.data, label: `${what}, seed ${t.seed}` };
}

async function runOnce(doc: ExplorerDoc): Promise<void> {
  const id = ++runSeq;
  let spec: FormatSpec;
  try {
    spec = parseFormat(doc.spec);
  } catch (e) {
    ephemeralStore.setState({ status: { state: 'error', kind: 'run', message: e instanceof Error ? e.message : String(e) } });
    return;
  }
  ephemeralStore.setState({ status: { state: 'running', startedAt: performance.now(), label: doc.spec } });
  try {
    // Let the kernels finish loading before the worker gets busy generating or quantizing: the
    // header shows the flavor at once, and the first run can use the WASM path.
    await quantizeClient()
      .info()
      .catch(() => undefined);
    const { data, label } = await getInput(doc.tensor);
    const cols = doc.tensor.cols;
    const shape = shapeFor(data.length, cols);
    // The worker takes ownership of what it is sent: send a copy, keep the cached input.
    const t0 = performance.now();
    const result = await quantizeClient().run({ spec: doc.spec, data: data.slice(), shape });
    const wall = performance.now() - t0;
    if (id !== runSeq) return;
    ephemeralStore.setState({ run: { id, doc, spec, input: data, shape, result, inputLabel: label }, status: { state: 'idle' } });
    appendLog(
      'info',
      `${result.spec.padEnd(24)} ${shape.join('×').padStart(10)}  ${result.engine.padEnd(12)} ${fmtMs(result.ms).padStart(8)} (round trip ${fmtMs(wall)})  SQNR ${fmtDb(result.stats.sqnrDb)} dB  sat ${result.counts.saturated}  uf ${result.counts.underflow}`,
    );
  } catch (e) {
    if (e instanceof CancelledError) {
      ephemeralStore.setState({ status: { state: 'idle' } });
      appendLog('warn', `cancelled ${doc.spec}; the worker was terminated and will restart`);
      refreshKernel();
      return;
    }
    const kind = e instanceof NumberParseError ? 'input' : e instanceof WorkerCrashedError ? 'crash' : 'run';
    const message = e instanceof Error ? e.message : String(e);
    ephemeralStore.setState({ status: { state: 'error', kind, message } });
    appendLog('error', `${doc.spec}: ${message}`);
    if (kind === 'crash') refreshKernel();
  }
}

async function pump(): Promise<void> {
  if (inFlight) {
    dirty = true;
    return;
  }
  inFlight = true;
  try {
    do {
      dirty = false;
      await runOnce(documentStore.getState().explorer);
    } while (dirty);
  } finally {
    inFlight = false;
  }
}

/** Run now (Ctrl+Enter), skipping the debounce. */
export function runNow(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  void pump();
}

/** Cancel the run in flight (terminates the worker). */
export function cancelRun(): void {
  dirty = false;
  quantizeClient().cancel();
}

function refreshKernel(): void {
  ephemeralStore.setState({ kernel: null });
  quantizeClient()
    .info()
    .then((kernel) => {
      ephemeralStore.setState({ kernel });
      appendLog(kernel.flavor ? 'info' : 'warn', kernel.flavor ? `kernels loaded: WASM ${kernel.flavor === 'relaxed' ? 'relaxed-SIMD' : 'SIMD'}` : (kernel.message ?? 'kernels unavailable'));
    })
    .catch((e: unknown) => {
      if (!(e instanceof CancelledError)) appendLog('error', `worker failed to start: ${e instanceof Error ? e.message : String(e)}`);
    });
}

/** Start watching the document. Returns a stop function. */
export function startExplorerRunner(): () => void {
  refreshKernel();
  const unsub = documentStore.subscribe((s, prev) => {
    if (s.explorer === prev.explorer) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void pump();
    }, DEBOUNCE_MS);
  });
  runNow();
  return () => {
    unsub();
    if (timer) clearTimeout(timer);
  };
}
