/**
 * URL ↔ document sync for the explorer. On load the hash (if any) becomes the document; problems
 * in it are shown once and replaced field by field with defaults. Afterwards, document edits rewrite
 * the hash with replaceState (no history entry per knob click), and a hash edited by hand or a
 * pasted link (hashchange) loads again.
 */
import { decodeExplorerHash, encodeExplorerHash } from '../state/explorerHash';
import { documentStore, loadExplorer } from '../state/document';
import { ephemeralStore } from '../state/ephemeral';

function readHash(): void {
  const r = decodeExplorerHash(location.hash, documentStore.getState().explorer);
  if (!r.present) return;
  loadExplorer(r.doc);
  ephemeralStore.setState({ linkProblems: r.problems });
  // Rewrite a malformed or non-canonical link into the state actually shown.
  const canon = encodeExplorerHash(r.doc);
  if (canon !== location.hash) history.replaceState(history.state, '', canon);
}

export function startUrlSync(): () => void {
  readHash();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsub = documentStore.subscribe((s, prev) => {
    if (s.explorer === prev.explorer) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const h = encodeExplorerHash(documentStore.getState().explorer);
      if (h !== location.hash) history.replaceState(history.state, '', h);
    }, 150);
  });
  const onHash = () => readHash();
  addEventListener('hashchange', onHash);
  return () => {
    unsub();
    if (timer) clearTimeout(timer);
    removeEventListener('hashchange', onHash);
  };
}
