/**
 * URL ↔ document sync for the explorer, the model (Graph / Layers) and the search settings. On load the hash (if any)
 * becomes the document; problems in it are shown once and replaced field by field with defaults.
 * Afterwards, document edits rewrite the hash with replaceState (no history entry per knob click),
 * and a hash edited by hand or a pasted link (hashchange) loads again.
 */
import { decodeExplorerHash, encodeExplorerHash } from '../state/explorerHash';
import { decodeModelHash, encodeModelHash } from '../state/modelHash';
import { decodeSearchHash, encodeSearchHash } from '../state/searchHash';
import { DEFAULT_SEARCH } from '../state/searchDoc';
import { documentStore, loadExplorer, loadModelDoc, loadSearchDoc, type DocumentState } from '../state/document';
import { ephemeralStore } from '../state/ephemeral';
import { decodeHardwareHash, encodeHardwareHash, hardwareStore } from '../state/hardware';

function encode(s: DocumentState): string {
  const m = encodeModelHash(s.model);
  const q = encodeSearchHash(s.search);
  // Hardware assumptions (Cost pane) live in their own store, not the document: not undoable, but in the link.
  const hw = encodeHardwareHash(hardwareStore.getState());
  return encodeExplorerHash(s.explorer) + (m ? '&' + m : '') + (hw ? '&' + hw : '') + (q ? '&' + q : '');
}

function readHash(): void {
  const r = decodeExplorerHash(location.hash, documentStore.getState().explorer);
  if (!r.present) return;
  const m = decodeModelHash(location.hash);
  const q = decodeSearchHash(location.hash);
  const hw = decodeHardwareHash(location.hash);
  loadExplorer(r.doc);
  // A link without model (search) fields means the default model document (search settings).
  loadModelDoc(m.doc);
  loadSearchDoc(q.present ? q.doc : DEFAULT_SEARCH);
  // A link without hw= means the default assumptions, like the model fields (the link is what is shared).
  hardwareStore.setState(hw.settings);
  ephemeralStore.setState({ linkProblems: [...r.problems, ...m.problems, ...hw.problems, ...q.problems] });
  // Rewrite a malformed or non-canonical link into the state actually shown.
  const canon = encode(documentStore.getState());
  if (canon !== location.hash) history.replaceState(history.state, '', canon);
}

export function startUrlSync(): () => void {
  readHash();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const rewrite = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const h = encode(documentStore.getState());
      if (h !== location.hash) history.replaceState(history.state, '', h);
    }, 150);
  };
  const unsub = documentStore.subscribe((s, prev) => {
    if (s.explorer === prev.explorer && s.model === prev.model && s.search === prev.search) return;
    rewrite();
  });
  const unsubHw = hardwareStore.subscribe(rewrite);
  const onHash = () => readHash();
  addEventListener('hashchange', onHash);
  return () => {
    unsub();
    unsubHw();
    if (timer) clearTimeout(timer);
    removeEventListener('hashchange', onHash);
  };
}
