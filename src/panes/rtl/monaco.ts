/**
 * The studio's Monaco: the ESM editor API with only what a read-only Verilog viewer needs — the
 * editor worker (Vite's `?worker` import, as Monaco's own Vite guide for ≥ 0.56 does), the
 * SystemVerilog/Verilog Monarch grammar from Monaco's basic languages, and the find widget,
 * folding, bracket matching, word highlight, clipboard and context menu. No language-service
 * workers (TypeScript, CSS, JSON, HTML): they would multiply the bundle and the viewer never needs
 * them. Loaded lazily by MonacoView (a dynamic import), so the ~2 MB editor is fetched only when
 * the Verilog pane opens.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/folding/browser/folding';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/contextmenu/browser/contextmenu';
import 'monaco-editor/editor/contrib/readOnlyMessage/browser/contribution';
import 'monaco-editor/languages/definitions/systemverilog/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';

// The only worker Monaco asks for with no language services registered is the editor worker
// (diffing, word ranges, links); every label gets it.
self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

export { monaco };
