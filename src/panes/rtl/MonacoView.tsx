/**
 * A read-only Monaco editor showing one file. Monaco is imported on first mount (./monaco.ts, a
 * separate chunk), one editor lives as long as the view, and each file gets its own model under
 * `inmemory://rtl/<path>` (replaced when the content changes). Its theme follows the studio's
 * (ux-conventions §5.3: one switch for chrome, plots and editor).
 */
import { useEffect, useRef, useState } from 'react';
import type * as Monaco from 'monaco-editor/editor/editor.api';

type MonacoNs = typeof Monaco;

export function MonacoView({ path, text, language, theme }: { path: string; text: string; language: 'systemverilog' | 'plaintext'; theme: 'dark' | 'light' }) {
  const host = useRef<HTMLDivElement>(null);
  const [monaco, setMonaco] = useState<MonacoNs | null>(null);
  const [editor, setEditor] = useState<Monaco.editor.IStandaloneCodeEditor | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [lines, setLines] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    import('./monaco').then(
      (m) => live && setMonaco(m.monaco),
      (e: unknown) => live && setFailed(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (!monaco || !host.current) return;
    const ed = monaco.editor.create(host.current, {
      readOnly: true,
      domReadOnly: true,
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 12.5,
      lineNumbersMinChars: 4,
      scrollBeyondLastLine: false,
      renderLineHighlight: 'line',
      folding: true,
      wordWrap: 'off',
      tabSize: 2,
      theme: theme === 'dark' ? 'vs-dark' : 'vs',
    });
    setEditor(ed);
    return () => {
      ed.getModel()?.dispose();
      ed.dispose();
      setEditor(null);
    };
    // The theme is applied by its own effect; recreating the editor for it would lose the scroll position.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [monaco]);

  useEffect(() => {
    if (!monaco || !editor) return;
    const uri = monaco.Uri.parse(`inmemory://rtl/${path}`);
    const old = editor.getModel();
    monaco.editor.getModel(uri)?.dispose();
    const model = monaco.editor.createModel(text, language, uri);
    editor.setModel(model);
    if (old && old !== model && !old.isDisposed()) old.dispose();
    setLines(model.getLineCount());
  }, [monaco, editor, path, text, language]);

  useEffect(() => {
    monaco?.editor.setTheme(theme === 'dark' ? 'vs-dark' : 'vs');
  }, [monaco, theme]);

  if (failed) return <div className="rtl-editor-missing" role="alert">The editor could not be loaded ({failed}).</div>;
  return <div ref={host} className="rtl-editor" data-testid="rtl-editor" data-path={path} data-lines={lines ?? ''} data-ready={editor ? 'true' : 'false'} aria-label={`${path} (read-only)`} />;
}
