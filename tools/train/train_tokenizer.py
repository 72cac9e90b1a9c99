#!/usr/bin/python3
"""Byte-level BPE tokenizer (GPT-2 style) for the default model, trained on the SOTU train split.

Vocab 2048 = 256 byte symbols + 1791 merges + <|endoftext|> (id 2047, BOS and EOS).
Written in pure Python because the `tokenizers` package is not available; the output is the
standard Hugging Face tokenizer.json / tokenizer_config.json, so any HF-compatible loader
(@huggingface/tokenizers in the browser) reproduces the ids.

usage: /usr/bin/python3 train_tokenizer.py SOTU_DATA_DIR OUT_DIR
"""
import glob, heapq, json, os, re, sys, time
from collections import Counter, defaultdict

EOT = "<|endoftext|>"

def bytes_to_unicode():  # GPT-2's reversible byte -> printable unicode char map
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}

B2U = bytes_to_unicode()
U2B = {u: b for b, u in B2U.items()}
# GPT-2 pre-tokenizer regex with Python `re` classes: \p{L} -> [^\W\d_], \p{N} -> \d
_L, _N = r"[^\W\d_]", r"\d"
PAT = re.compile(rf"""'s|'t|'re|'ve|'m|'ll|'d| ?{_L}+| ?{_N}+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")

def load_splits(data_dir):
    """Document-level split by sorted file index: val i%20==0, test i%20==10, train otherwise.
    Each document is stripped; documents are joined with "\\n\\n"; the text ends with "\\n"."""
    files = sorted(glob.glob(os.path.join(data_dir, "*.txt")))
    assert len(files) == 233, f"expected 233 SOTU .txt files in {data_dir}, found {len(files)}"
    docs = {"train": [], "val": [], "test": []}
    for i, f in enumerate(files):
        with open(f, encoding="utf-8") as fh:
            docs["val" if i % 20 == 0 else "test" if i % 20 == 10 else "train"].append(fh.read().strip())
    return {k: "\n\n".join(v) + "\n" for k, v in docs.items()}

def train_bpe(text, n_merges):
    counts = Counter(PAT.findall(text))
    words = [[B2U[b] for b in w.encode("utf-8")] for w in counts]
    freqs = list(counts.values())
    pc, where = Counter(), defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pc[p] += freqs[i]; where[p].add(i)
    heap = [(-c, p) for p, c in pc.items()]; heapq.heapify(heap)
    merges, vocab = [], set(B2U.values())
    while len(vocab) < 256 + n_merges:
        c, p = heapq.heappop(heap)
        if c != -pc[p] or c == 0: continue  # stale heap entry
        merges.append(p); new = p[0] + p[1]; vocab.add(new); touched = set()
        for i in sorted(where.pop(p, ())):
            w, f, out, j = words[i], freqs[i], [], 0
            for q in zip(w, w[1:]): pc[q] -= f; touched.add(q)
            while j < len(w):
                if j + 1 < len(w) and w[j] == p[0] and w[j + 1] == p[1]: out.append(new); j += 2
                else: out.append(w[j]); j += 1
            for q in zip(out, out[1:]): pc[q] += f; where[q].add(i); touched.add(q)
            words[i] = out
        for q in touched:
            if pc[q] > 0: heapq.heappush(heap, (-pc[q], q))
    return merges, len(counts)

class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        toks = [B2U[b] for b in range(256)]
        for a, b in self.merges:
            if a + b not in toks: toks.append(a + b)
        self.vocab = {t: i for i, t in enumerate(toks)}
        self.vocab[EOT] = self.eot = len(toks)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.cache = {}

    @classmethod
    def from_hf(cls, path):
        with open(path, encoding="utf-8") as fh:
            tj = json.load(fh)
        merges = [m.split(" ") if isinstance(m, str) else m for m in tj["model"]["merges"]]
        tok = cls(merges)
        assert tok.vocab == tj["model"]["vocab"], "tokenizer.json vocab does not match its merges"
        return tok

    def _bpe(self, piece):
        w = [B2U[b] for b in piece.encode("utf-8")]
        while len(w) > 1:
            p = min(zip(w, w[1:]), key=lambda q: self.ranks.get(q, 1 << 30))
            if p not in self.ranks: break
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == p[0] and w[j + 1] == p[1]: out.append(w[j] + w[j + 1]); j += 2
                else: out.append(w[j]); j += 1
            w = out
        return [self.vocab[s] for s in w]

    def encode(self, text):
        ids = []
        for piece in PAT.findall(text):
            if piece not in self.cache: self.cache[piece] = self._bpe(piece)
            ids.extend(self.cache[piece])
        return ids

    def decode(self, ids):
        return bytes(b for i in ids if i != self.eot for b in (U2B[c] for c in self.inv[i])).decode("utf-8", errors="replace")

    def save_hf(self, out_dir, model_max_length=256):
        bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        tj = {"version": "1.0", "truncation": None, "padding": None,
              "added_tokens": [{"id": self.eot, "content": EOT, "single_word": False, "lstrip": False,
                                "rstrip": False, "normalized": True, "special": True}],
              "normalizer": None, "pre_tokenizer": bl, "post_processor": dict(bl, trim_offsets=False),
              "decoder": bl,
              "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                        "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                        "ignore_merges": False, "vocab": self.vocab,
                        "merges": [f"{a} {b}" for a, b in self.merges]}}
        tc = {"tokenizer_class": "GPT2Tokenizer", "bos_token": EOT, "eos_token": EOT, "unk_token": EOT,
              "add_bos_token": False, "add_prefix_space": False, "clean_up_tokenization_spaces": False,
              "model_max_length": model_max_length, "errors": "replace",
              "added_tokens_decoder": {str(self.eot): {"content": EOT, "lstrip": False, "normalized": True,
                                                        "rstrip": False, "single_word": False, "special": True}}}
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as fh:
            json.dump(tj, fh, ensure_ascii=False, indent=2); fh.write("\n")
        with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as fh:
            json.dump(tc, fh, indent=2); fh.write("\n")

def main():
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    splits = load_splits(data_dir)
    t0 = time.process_time()
    merges, n_unique = train_bpe(splits["train"], 1791)
    tok = Tokenizer(merges)
    print(f"trained {len(merges)} merges on {n_unique} unique pre-tokens in {time.process_time() - t0:.1f} CPU-s; vocab {len(tok.vocab)}")
    assert len(tok.vocab) == 2048 and tok.eot == 2047
    tok.save_hf(out_dir)
    for name, text in splits.items():
        t0 = time.process_time(); ids = tok.encode(text); dt = time.process_time() - t0
        assert tok.decode(ids) == text, f"{name}: decode does not round-trip"
        print(f"{name}: {len(text)} chars, {len(text.encode())} bytes, {len(ids)} tokens, "
              f"{len(text.encode()) / len(ids):.3f} bytes/token, encoded in {dt:.1f} CPU-s")

if __name__ == "__main__":
    main()
