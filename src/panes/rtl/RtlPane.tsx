/**
 * Verilog pane: the generated SystemVerilog of the design point on screen — the document's formats
 * on the loaded model, all layers or the selected one, the Layers pane's per-layer lanes over the
 * cost pane's default lanes — as a read-only file tree (rtl/, tb/, vectors/, mem/, Makefile,
 * manifest…) with sizes and line counts, each file in Monaco, and "Export RTL (.zip)" with the
 * bundle's Makefile (Verilator + Icarus co-simulation, lint, Yosys). Generation runs in the RTL
 * worker (it encodes weights and runs the emulator for the vectors); when a design point cannot be
 * built, the generator's reason is shown as it is. The component library can be browsed the same way.
 *
 * Registered by the shell (src/app/App.tsx) as the `verilog` pane.
 */
import { useEffect, useMemo } from 'react';
import { documentStore } from '../../state/document';
import { hardwareStore } from '../../state/hardware';
import { modelStore } from '../../state/model';
import { sessionStore } from '../../state/session';
import { Segmented, Select, Spinner } from '../../ui/controls';
import { fmtInt, fmtMs } from '../../ui/format';
import { useDelayed, useSlice } from '../../ui/hooks';
import { resolveTheme } from '../../ui/theme';
import { ModelBar } from '../layers/ModelSource';
import { ensureModel } from '../layers/modelRunner';
import { emulatorPool } from '../../services/emulatorPool';
import { defaultFile, fileTree, fmtBytes, topFiles, type FolderNode, type TreeNode } from './fileTree';
import { libraryFiles } from './library';
import { MonacoView } from './MonacoView';
import { TOKEN_CHOICES, cancelGeneration, designPoint, exportZip, generate, selectFile, setRtlView, toggleFolder, rtlViewStore, type RtlSource } from './rtlRunner';
import '../graph/graph.css';
import './rtl.css';

/** Files above this are listed and exported but not opened in the editor (Monaco slows down). */
const MAX_VIEW_BYTES = 4_000_000;

const FAILURE_TITLE = { rtl: 'This design point cannot be built', model: 'The model could not be loaded for RTL generation', worker: 'The RTL worker failed' } as const;

function Tree({ node, depth, selected, collapsed, onPick }: { node: FolderNode; depth: number; selected: string | null; collapsed: Record<string, boolean>; onPick: (p: string) => void }) {
  return (
    <>
      {node.children.map((c: TreeNode) =>
        c.kind === 'folder' ? (
          <div key={c.path} role="group">
            <button className="rtl-row folder" style={{ paddingLeft: 8 + depth * 14 }} aria-expanded={!collapsed[c.path]} data-testid={`rtl-folder-${c.path}`} onClick={() => toggleFolder(c.path)} title={`${c.files} files, ${fmtBytes(c.bytes)}`}>
              <span className="caret">{collapsed[c.path] ? '▸' : '▾'}</span>
              <span className="name">{c.name}/</span>
              <span className="meta">{c.files}</span>
            </button>
            {collapsed[c.path] ? null : <Tree node={c} depth={depth + 1} selected={selected} collapsed={collapsed} onPick={onPick} />}
          </div>
        ) : (
          <button
            key={c.path}
            className="rtl-row file"
            style={{ paddingLeft: 22 + depth * 14 }}
            aria-current={c.path === selected ? 'true' : undefined}
            data-testid={`rtl-file-${c.path}`}
            data-bytes={c.bytes}
            data-lines={c.lines ?? ''}
            onClick={() => onPick(c.path)}
            title={c.path}
          >
            <span className="name">{c.name}</span>
            <span className="meta">{c.lines === null ? fmtBytes(c.bytes) : `${fmtInt(c.lines)} ln · ${fmtBytes(c.bytes)}`}</span>
          </button>
        ),
      )}
    </>
  );
}

function ProgressLine() {
  const status = useSlice(rtlViewStore, (s) => s.status);
  const running = status.state === 'running';
  const late = useDelayed(running, 2000);
  const spin = useDelayed(running, 200);
  if (!running) return null;
  const p = status.progress;
  const what = !p ? 'starting the RTL worker' : p.phase === 'model' ? `loading the model${p.file ? ` (${p.file})` : ''}` : p.phase === 'layers' ? `layer ${p.done + 1} of ${p.total}: ${p.op}` : 'writing the bundle';
  return (
    <span className="rtl-progress" data-testid="rtl-progress">
      {spin ? <Spinner label="Generating RTL" /> : null}
      <span className="muted">Generating: {what}</span>
      {late ? (
        <button className="btn small" data-testid="rtl-cancel" onClick={cancelGeneration}>
          Cancel
        </button>
      ) : null}
    </span>
  );
}

export function RtlPane() {
  const view = useSlice(rtlViewStore, (s) => s);
  const doc = useSlice(documentStore, (s) => s.model);
  const loaded = useSlice(modelStore, (s) => s.model);
  const selectedOp = useSlice(modelStore, (s) => s.selectedOp);
  const lanesK = useSlice(hardwareStore, (s) => s.lanesK);
  const lanesN = useSlice(hardwareStore, (s) => s.lanesN);
  const theme = resolveTheme(useSlice(sessionStore, (s) => s.theme));
  useEffect(() => ensureModel(), []);

  const cal = useSlice(modelStore, (s) => s.gptq);
  const point = useMemo(() => {
    const h = cal ? emulatorPool().hessians() : null;
    return designPoint(doc, loaded, { lanesK, lanesN }, { scope: view.scope, tokens: view.tokens }, selectedOp, cal && h ? { id: cal.id, hessians: h } : null);
  }, [doc, loaded, lanesK, lanesN, view.scope, view.tokens, selectedOp, cal]);

  // Regenerate when the design point changes (debounced: a slider drag is one request).
  const pointKey = point.ok ? point.key : null;
  useEffect(() => {
    if (view.source !== 'design' || !point.ok) return;
    const t = setTimeout(() => void generate(point), 300);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pointKey, view.source]);

  const library = useMemo(() => libraryFiles(), []);
  const files = view.source === 'library' ? library : (view.result?.files ?? null);
  const root = useMemo(() => (files ? fileTree(files) : null), [files]);
  const stale = view.source === 'design' && !!view.result && point.ok && view.result.key !== point.key;
  const selected = (() => {
    const s = view.selected[view.source];
    if (files && s && s in files) return s;
    return root && files ? defaultFile(root, topFiles(files)) : null;
  })();
  const file = root && selected ? findFile(root, selected) : null;
  const content = files && selected ? files[selected] : undefined;
  const failure = view.source === 'design' && view.status.state === 'error' && point.ok && view.status.key === point.key ? view.status.error : null;
  const running = view.status.state === 'running';

  return (
    <div className="rtl-pane" data-testid="pane-verilog">
      {view.source === 'design' ? <ModelBar /> : null}
      <div className="rtl-toolbar">
        <Segmented<RtlSource>
          label="What to show"
          testId="rtl-source"
          value={view.source}
          onChange={(source) => setRtlView({ source })}
          options={[
            { id: 'design', label: 'Design point', hint: 'The RTL generated for the formats on screen' },
            { id: 'library', label: 'Component library', hint: 'The MX and fixed-point modules the generator instantiates, with their testbenches' },
          ]}
        />
        {view.source === 'design' ? (
          <>
            <Select
              label="Layers to build"
              testId="rtl-scope"
              value={view.scope}
              onChange={(scope) => setRtlView({ scope })}
              options={[
                { id: 'all', label: 'All layers' },
                { id: 'selected', label: selectedOp ? `Selected: ${selectedOp}` : 'Selected layer (none)' },
              ]}
            />
            <Select label="Stimulus tokens" testId="rtl-tokens" value={view.tokens} onChange={(tokens) => setRtlView({ tokens })} options={TOKEN_CHOICES.map((t) => ({ id: t, label: `${t} tokens of vectors` }))} />
            <span className="muted rtl-lanes" data-testid="rtl-lanes" title="Multiplier lanes K×N: the cost pane's default for every GEMM, and the linears with their own lanes in the Layers pane (Parallelism)">
              lanes {lanesK}×{lanesN}
              {point.ok && Object.keys(point.request.lanes.perOp).length ? ` · ${Object.keys(point.request.lanes.perOp).length} per layer` : ''}
            </span>
            <button className="btn small" data-testid="rtl-regenerate" disabled={!point.ok || running} onClick={() => point.ok && void generate(point, true)} title="Generate again">
              Regenerate
            </button>
            <ProgressLine />
          </>
        ) : (
          <span className="muted">src/core/rtl/components · {root ? `${root.files} files` : ''}</span>
        )}
        <span className="spacer" />
        {view.source === 'design' ? (
          <button
            className="btn small primary"
            data-testid="rtl-export"
            disabled={!view.result || stale || running || view.exporting.state === 'running'}
            onClick={() => view.result && void exportZip(view.result.files, view.result.name)}
            title={view.result ? `Download ${view.result.name}.zip: the RTL, testbenches, vectors, Makefile (make = Verilator + Icarus), synth.ys, manifest.json, README.md` : 'Nothing generated yet'}
          >
            {view.exporting.state === 'running' ? 'Zipping…' : 'Export RTL (.zip)'}
          </button>
        ) : null}
      </div>

      {view.source === 'design' && !point.ok && loaded ? (
        <div className="banner" data-testid="rtl-unavailable">
          <span className="grow">{point.reason}</span>
        </div>
      ) : null}
      {failure ? (
        <div className="rtl-failure" role="alert" data-testid="rtl-error" data-kind={failure.kind}>
          <b>{FAILURE_TITLE[failure.kind]}</b>
          <pre>{failure.message}</pre>
          {view.result ? <span className="muted">The files below are the last design point that could be built.</span> : null}
        </div>
      ) : null}
      {view.exporting.state === 'error' ? (
        <div className="banner error" role="alert">
          <span className="grow">The zip could not be made: {view.exporting.message}</span>
          <button className="btn small" onClick={() => setRtlView({ exporting: { state: 'idle' } })}>
            Dismiss
          </button>
        </div>
      ) : null}

      <div className={'rtl-body' + (stale ? ' stale' : '')}>
        <nav className="rtl-tree" aria-label="Generated files" data-testid="rtl-tree">
          {root ? (
            <>
              <div className="rtl-tree-head muted" data-testid="rtl-summary">
                {view.source === 'design' && view.result
                  ? `${view.result.ops.length} layer${view.result.ops.length === 1 ? '' : 's'} · ${view.result.testbenches} testbench${view.result.testbenches === 1 ? '' : 'es'} · ${root.files} files · ${fmtBytes(root.bytes)} · ${fmtMs(view.result.ms)}`
                  : `${root.files} files · ${fmtBytes(root.bytes)}`}
                {stale ? ' · outdated' : ''}
              </div>
              <Tree node={root} depth={0} selected={selected} collapsed={view.collapsed} onPick={(p) => selectFile(view.source, p)} />
            </>
          ) : (
            <p className="muted rtl-empty">{running ? 'Generating…' : failure ? 'No files: the design point could not be built.' : loaded ? 'Nothing generated yet.' : 'Load a model to generate its RTL.'}</p>
          )}
        </nav>
        <section className="rtl-view" aria-label="File">
          {file && content !== undefined ? (
            <>
              <div className="rtl-view-head">
                <span className="mono path" data-testid="rtl-open-path">
                  {file.path}
                </span>
                <span className="muted" data-testid="rtl-open-meta">
                  {file.lines === null ? `${fmtBytes(file.bytes)}, binary` : `${fmtInt(file.lines)} lines · ${fmtBytes(file.bytes)}`} · {file.language === 'systemverilog' ? 'SystemVerilog' : 'text'} · read-only
                </span>
              </div>
              {typeof content !== 'string' ? (
                <p className="muted rtl-empty">Binary file ({fmtBytes(file.bytes)}): it is in the export.</p>
              ) : file.bytes > MAX_VIEW_BYTES ? (
                <p className="muted rtl-empty">
                  {fmtBytes(file.bytes)} is too large to show here; it is in the export.
                </p>
              ) : (
                <MonacoView path={file.path} text={content} language={file.language} theme={theme} />
              )}
            </>
          ) : (
            <p className="muted rtl-empty">{root ? 'Pick a file.' : ''}</p>
          )}
        </section>
      </div>
    </div>
  );
}

function findFile(root: FolderNode, path: string) {
  for (const c of root.children) {
    if (c.kind === 'file' && c.path === path) return c;
    if (c.kind === 'folder' && path.startsWith(c.path + '/')) return findFile(c, path);
  }
  return null;
}
