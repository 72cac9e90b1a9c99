/**
 * Where the model comes from, shared by the Graph and Layers panes: the shipped default, a URL
 * (Hugging Face repo or raw folder), or local files (file picker, folder picker, drag and drop).
 * Loader errors (ModelError messages) are shown as they are; the previous model stays loaded.
 */
import { useEffect, useRef, useState, type DragEvent, type ReactNode } from 'react';
import { modelStore, type LoadStatus } from '../../state/model';
import { isModelUrl } from '../../state/modelHash';
import { Spinner } from '../../ui/controls';
import { fmtInt, fmtMs } from '../../ui/format';
import { useDelayed, useSlice } from '../../ui/hooks';
import { cancelWork, loadDefault, loadFiles, loadUrl } from './modelRunner';

/** Files the loader may ask for; anything else in a dropped folder (pytorch_model.bin, README…) is not read. */
const MODEL_FILE = /(^|\/)(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.json|merges\.txt|[^/]*\.safetensors|model\.safetensors\.index\.json)$/;

export function isModelFile(path: string): boolean {
  return MODEL_FILE.test(path);
}

interface FileEntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?(ok: (f: File) => void, err: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (es: FileEntryLike[]) => void, err: (e: unknown) => void): void };
}

async function walk(entry: FileEntryLike, out: { path: string; file: File }[], depth: number): Promise<void> {
  if (entry.isFile && entry.file) {
    const path = entry.fullPath.replace(/^\/+/, '');
    if (isModelFile(path)) out.push({ path, file: await new Promise<File>((ok, err) => entry.file!(ok, err)) });
  } else if (entry.isDirectory && entry.createReader && depth < 3) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise<FileEntryLike[]>((ok, err) => reader.readEntries(ok, err));
      if (!batch.length) break;
      for (const e of batch) await walk(e, out, depth + 1);
    }
  }
}

/** Read dropped items (folders are walked) or picked files into path → bytes, and a display name. */
export async function readModelFiles(list: { path: string; file: File }[]): Promise<{ files: Map<string, Uint8Array>; name: string }> {
  const files = new Map<string, Uint8Array>();
  for (const { path, file } of list) files.set(path, new Uint8Array(await file.arrayBuffer()));
  const tops = new Set([...files.keys()].map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const [only] = tops;
  const name = tops.size === 1 && only ? only : 'local files';
  return { files, name };
}

async function droppedFiles(dt: DataTransfer): Promise<{ path: string; file: File }[]> {
  const out: { path: string; file: File }[] = [];
  const entries = [...dt.items].map((i) => (i.kind === 'file' ? (i.webkitGetAsEntry?.() as FileEntryLike | null) : null));
  if (entries.some((e) => e)) {
    for (const e of entries) if (e) await walk(e, out, 0);
    return out;
  }
  for (const f of [...dt.files]) if (isModelFile(f.name)) out.push({ path: f.name, file: f });
  return out;
}

function pickedFiles(list: FileList): { path: string; file: File }[] {
  return [...list].map((f) => ({ path: f.webkitRelativePath || f.name, file: f })).filter((x) => isModelFile(x.path));
}

async function openFiles(list: { path: string; file: File }[]): Promise<void> {
  if (!list.length) {
    modelStore.setState({
      load: { state: 'error', label: 'the local files', message: 'No model files found: drop a model folder (config.json, model.safetensors or its shards and index, tokenizer.json).' },
    });
    return;
  }
  const { files, name } = await readModelFiles(list);
  await loadFiles(files, name);
}

/** Drag and drop of a model folder anywhere on a model pane. */
export function ModelDropZone({ children, className, testId }: { children: ReactNode; className: string; testId: string }) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const hasFiles = (e: DragEvent) => [...e.dataTransfer.types].includes('Files');
  return (
    <div
      className={className + (over ? ' drop-over' : '')}
      data-testid={testId}
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current++;
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (!depth.current) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth.current = 0;
        setOver(false);
        void droppedFiles(e.dataTransfer).then(openFiles);
      }}
    >
      {children}
      {over ? (
        <div className="drop-overlay" aria-hidden="true">
          <div>
            <b>Drop a model folder</b>
            <span>config.json, model.safetensors (or shards + index), tokenizer.json</span>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function LoadBanner({ load }: { load: LoadStatus }) {
  const slow = useDelayed(load.state === 'loading', 2000);
  if (load.state === 'loading') {
    return slow ? (
      <div className="banner" role="status" data-testid="model-loading">
        <Spinner />
        <span className="grow">
          Loading {load.label}
          {load.file ? (
            <>
              {' '}
              — <span className="mono">{load.file}</span>, {fmtInt(Math.round((load.loaded ?? 0) / 1024))} KiB read
            </>
          ) : null}
          … ({fmtMs(performance.now() - load.startedAt)})
        </span>
        <button className="btn small" onClick={cancelWork}>
          Cancel
        </button>
      </div>
    ) : null;
  }
  if (load.state === 'error') {
    const hasModel = !!modelStore.getState().model;
    return (
      <div className="banner error" role="alert" data-testid="model-error">
        <span className="grow">
          <b>Could not load {load.label}.</b> <span data-testid="model-error-message">{load.message}</span>
          {hasModel ? <span className="muted"> The previous model is still loaded.</span> : null}
        </span>
        {!hasModel ? (
          <button className="btn small" onClick={() => void loadDefault()}>
            Load the default model
          </button>
        ) : null}
        <button className="btn small ghost" onClick={() => modelStore.setState({ load: { state: 'idle' } })}>
          Dismiss
        </button>
      </div>
    );
  }
  if (load.state === 'needs-files') {
    return (
      <div className="banner" role="alert" data-testid="model-needs-files">
        <span className="grow">
          This link uses the local model <b>{load.name}</b>. Local files do not travel in links: open or drop that folder, or use the default model.
        </span>
        <button className="btn small" onClick={() => void loadDefault()}>
          Load the default model
        </button>
      </div>
    );
  }
  return null;
}

/** The model header of the Graph and Layers panes: what is loaded, and where to load another from. */
export function ModelBar() {
  const model = useSlice(modelStore, (s) => s.model);
  const load = useSlice(modelStore, (s) => s.load);
  const [url, setUrl] = useState('');
  const [urlError, setUrlError] = useState<string | null>(null);
  const filesRef = useRef<HTMLInputElement>(null);
  const dirRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    dirRef.current?.setAttribute('webkitdirectory', '');
  }, []);
  const loading = load.state === 'loading';
  const showSpinner = useDelayed(loading, 200);
  const submit = () => {
    const u = url.trim();
    if (!isModelUrl(u)) {
      setUrlError('Enter an http(s) URL: a Hugging Face repo (https://huggingface.co/ORG/NAME) or a folder with config.json');
      return;
    }
    setUrlError(null);
    void loadUrl(u);
  };
  const c = model?.info.config;
  return (
    <>
      <div className="modelbar">
        <div className="model-id" data-testid="model-name" title={model ? model.info.weightFiles.join(', ') : undefined}>
          {showSpinner ? <Spinner label="Loading model" /> : <span className={model ? 'dot ok' : 'dot'} />}
          {model ? (
            <>
              <b>{model.info.name}</b>
              <span className="muted">
                {c!.arch} · {fmtInt(model.info.numParams)} params · {c!.numLayers} blocks · d{c!.hiddenSize} · {model.graph.points.length} quant points
              </span>
            </>
          ) : (
            <span className="muted">{loading ? `Loading ${load.label}…` : 'No model loaded'}</span>
          )}
        </div>
        <span className="spacer" />
        <button className="btn small" data-testid="load-default" disabled={loading} onClick={() => void loadDefault()} title="sotu-llama-1m: 1 M-parameter LLaMA trained on State of the Union addresses (shipped with the studio)">
          Default model
        </button>
        <form
          className="url-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <input
            className={'input mono' + (urlError ? ' invalid' : '')}
            data-testid="model-url"
            aria-label="Model URL"
            placeholder="https://huggingface.co/ORG/NAME or a folder URL"
            value={url}
            spellCheck={false}
            onChange={(e) => setUrl(e.target.value)}
          />
          <button className="btn small" type="submit" data-testid="load-url" disabled={loading || !url.trim()}>
            Load URL
          </button>
        </form>
        <button className="btn small" onClick={() => dirRef.current?.click()} disabled={loading} title="Open a model folder (config.json, *.safetensors, tokenizer.json); you can also drop it anywhere on this pane">
          Open folder…
        </button>
        <button className="btn small ghost" onClick={() => filesRef.current?.click()} disabled={loading} title="Pick the model's files one by one">
          Files…
        </button>
        <input
          ref={dirRef}
          type="file"
          multiple
          hidden
          data-testid="model-folder-input"
          onChange={(e) => {
            if (e.target.files) void openFiles(pickedFiles(e.target.files));
            e.target.value = '';
          }}
        />
        <input
          ref={filesRef}
          type="file"
          multiple
          hidden
          data-testid="model-files-input"
          accept=".json,.safetensors,.txt"
          onChange={(e) => {
            if (e.target.files) void openFiles(pickedFiles(e.target.files));
            e.target.value = '';
          }}
        />
      </div>
      {urlError ? (
        <div className="banner error" role="alert">
          <span className="grow">{urlError}</span>
        </div>
      ) : null}
      <LoadBanner load={load} />
    </>
  );
}

/** The status bar's summary while a model pane is open. */
export function ModelStatusLine() {
  const model = useSlice(modelStore, (s) => s.model);
  const current = useSlice(modelStore, (s) => s.current);
  if (!model) return <>no model loaded</>;
  return (
    <>
      <span className="mono">{model.info.name}</span>
      {current ? (
        <>
          {' '}
          · {current.config.rules.length ? `${current.config.rules.length} rule${current.config.rules.length === 1 ? '' : 's'}` : 'fp32'} ({current.mode}) · ppl {current.result.perplexity.toFixed(3)}{' '}
          {current.kind === 'estimate' ? '(estimate)' : `on ${fmtInt(current.tokens)} tokens`}
        </>
      ) : null}
    </>
  );
}
