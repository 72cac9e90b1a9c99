#!/usr/bin/python3
"""PyTorch reference numbers for the studio's MX emulator on the default model (sotu-llama-1m).

usage:
  /usr/bin/python3 tools/xcheck/model_ref.py                      # self-checks, then writes model_fixtures/sotu_mx_ref.json
  /usr/bin/python3 tools/xcheck/model_ref.py --rules '[["*","fp32"],["*.w","mxfp4"]]' [--rules ...] [--n-tokens 8192]
                                                                   # evaluate ad-hoc configs, print JSON, write nothing

An MX fake-quant forward of the LLaMA model in float32. Quantize→dequantize happens at the studio's
quant points, named `L{i}.{op}.{role}` (plus `head.x`, `head.w`); everything else (embedding,
RMSNorm, RoPE, softmax, SiLU, the gate·up product, residual adds) stays float32:

  linears   op ∈ {q, k, v, o, gate, up, down}, and `head` (the lm_head, tied to embed):
            role x    = the linear's input activation [T, in], blocked along its last axis (in_features)
            role w    = the weight [out, in], blocked along axis 1 (in_features)
            role bias = the bias [out], blocked along its only axis (this model has none)
            y = x_q @ w_qᵀ (+ bias_q): the dequantized operands' products summed in float64 and
            rounded once to float32 (`mm`), a nearly correctly rounded reference that depends on no
            BLAS's float32 summation order
  qk        scores = Q·Kᵀ per head, after RoPE; role a = Q [T, headDim] blocked along headDim;
            role b = Kᵀ [headDim, T] blocked along axis 0 (= K [T, headDim] blocked along headDim).
            The float32 product is then multiplied by float32(1/sqrt(headDim)).
  pv        out = P·V per head; role a = softmax probabilities P [T, T] blocked along the keys axis
            (causal mask applied before softmax with −inf, so masked entries of P are exactly 0);
            role b = V [T, headDim] blocked along axis 0 (the T/keys axis), blocks starting at
            position 0 of the window, the last one zero-padded.

Blocks of the per-head operands (qk.a, qk.b, pv.b) lie inside one head, never straddling heads.
NVFP4's per-tensor scale covers a point's whole tensor for one window (all heads for qk/pv). A
config is a list of [glob, spec] rules; `*` matches any run of characters, `?` one, later rules win, a point no
rule matches is fp32. Specs are mx_torch.parse_format strings (mxfp4, mxint8, mxfp8_e4m3,
mxint:m=4,block=32, fixed:w=8,f=5, nvfp4, ...) or `fp32`.

Number formats come from mx_torch.py (this folder), the model weights/structure from tools/train.
"""
import argparse, json, math, os, re, sys, time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
sys.path.insert(0, HERE)
import mx_torch  # noqa: E402
import np_forward  # noqa: E402
from export import dumps, f32, load_into_model  # noqa: E402
from model import rope_cos_sin, rotate_half  # noqa: E402
from train_tokenizer import Tokenizer  # noqa: E402

MODEL_DIR = os.path.join(ROOT, "public", "models", "sotu-llama-1m")
OUT = os.path.join(HERE, "model_fixtures", "sotu_mx_ref.json")
LINEAR_OPS = ("q", "k", "v", "o", "gate", "up", "down")

# The committed fixture's configurations (name, rules).
CONFIGS = [
    ("fp32", [["*", "fp32"]]),
    ("mxint8", [["*", "mxint8"]]),
    ("mxfp4", [["*", "mxfp4"]]),
    ("mxfp8_e4m3", [["*", "mxfp8_e4m3"]]),
    ("w_mxfp4", [["*", "fp32"], ["*.w", "mxfp4"]]),
    ("mixed", [["*", "mxint8"], ["*.q.w", "mxfp4"], ["*.k.w", "mxfp4"], ["*.v.w", "mxfp4"], ["*.gate.w", "mxfp4"],
               ["*.up.w", "mxfp4"], ["*.o.w", "mxint:m=4,block=32"], ["L0.down.*", "fp32"]]),
    ("linears_mxint4_b32", [["*", "fp32"], ["*.x", "mxint:m=4,block=32"], ["*.w", "mxint:m=4,block=32"]]),
]
NLL_SUMS_FOR = ("fp32", "mxint8")


# ----------------------------------------------------------------------------------------- configs

def glob_re(glob):
    """`*` matches any run of characters (dots included), `?` one character; everything else is
    literal (as src/core/graph/config.ts)."""
    return re.compile("".join({"*": ".*", "?": "."}.get(ch) or re.escape(ch) for ch in glob) + r"\Z")


class QConfig:
    def __init__(self, rules):
        self.rules = [(glob_re(g), g, s) for g, s in rules]
        self.fmts = {}
        for _, _, s in self.rules:
            self.fmts[s] = None if s == "fp32" else mx_torch.parse_format(s)  # fails early on a bad spec
        self._resolved = {}

    def spec(self, point):
        if point not in self._resolved:
            s = "fp32"
            for rx, _, spec in self.rules:
                if rx.match(point):
                    s = spec
            self._resolved[point] = s
        return self._resolved[point]

    def fmt(self, point):
        return self.fmts[self.spec(point)]


class Quantizer:
    """Applies a QConfig at the quant points; caches quantized weights; optionally records SQNR sums."""

    def __init__(self, qc, record=False):
        self.qc, self.record = qc, record
        self.wcache = {}
        self.stats = {}  # point -> [Σx², Σ(x−q)²] in float64
        self.order = []  # points in forward order (first window)

    def __call__(self, point, t, axis, weight=False):
        if point not in self.order:
            self.order.append(point)
        fmt = self.qc.fmt(point)
        if weight and point in self.wcache:
            q = self.wcache[point]
        else:
            q = t if fmt is None else mx_torch.quantize(t, fmt, axis=axis)
            if weight:
                self.wcache[point] = q
        if self.record:
            x64, q64 = t.double(), q.double()
            s = self.stats.setdefault(point, [0.0, 0.0])
            if not (weight and s[0] != 0.0):  # a weight counts once
                s[0] += float((x64 * x64).sum())
                s[1] += float(((x64 - q64) ** 2).sum())
        return q

    def sqnr_db(self):
        out = {}
        for p in self.order:
            sx, se = self.stats[p]
            out[p] = None if se == 0.0 or sx == 0.0 else 10.0 * math.log10(sx / se)
        return out


# ----------------------------------------------------------------------------------------- forward

def mm(a, b):
    """Products and sums in float64, one rounding to float32 (independent of BLAS order)."""
    return (a.double() @ b.double()).float()


def linear(Q, name, x, weight, bias=None):
    xq = Q(name + ".x", x, -1)
    wq = Q(name + ".w", weight, 1, weight=True)
    y = mm(xq, wq.t())
    if bias is not None:
        y = y + Q(name + ".bias", bias, 0, weight=True)
    return y


@torch.no_grad()
def forward(model, ids, Q):
    """ids [B, T] int64 → logits [B, T, vocab] float32, with quant points per the module docstring."""
    c = model.config
    B, T = ids.shape
    hd, nh = model.head_dim, c["num_attention_heads"]
    nkv = c.get("num_key_value_heads") or nh
    cos, sin = rope_cos_sin(T, hd, float(c.get("rope_theta", 10000.0)))
    scale = torch.tensor(hd ** -0.5, dtype=torch.float32)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    x = model.model.embed_tokens(ids)
    for i, layer in enumerate(model.model.layers):
        att, mlp = layer.self_attn, layer.mlp
        h = layer.input_layernorm(x)
        q = linear(Q, f"L{i}.q", h, att.q_proj.weight, att.q_proj.bias)
        k = linear(Q, f"L{i}.k", h, att.k_proj.weight, att.k_proj.bias)
        v = linear(Q, f"L{i}.v", h, att.v_proj.weight, att.v_proj.bias)
        q = q.view(B, T, nh, hd).transpose(1, 2)
        k = k.view(B, T, nkv, hd).transpose(1, 2)
        v = v.view(B, T, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        qq = Q(f"L{i}.qk.a", q, -1)
        kq = Q(f"L{i}.qk.b", k, -1)  # K [T, hd] along hd  ==  Kᵀ [hd, T] along axis 0
        rep = nh // nkv
        if rep > 1:
            kq, v = kq.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = mm(qq, kq.transpose(-1, -2)) * scale
        p = s.masked_fill(mask, float("-inf")).softmax(-1)
        pq = Q(f"L{i}.pv.a", p, -1)
        if rep > 1:
            vq = Q(f"L{i}.pv.b", v[:, ::rep], -2).repeat_interleave(rep, dim=1)
        else:
            vq = Q(f"L{i}.pv.b", v, -2)
        o = mm(pq, vq).transpose(1, 2).reshape(B, T, nh * hd)
        x = x + linear(Q, f"L{i}.o", o, att.o_proj.weight, att.o_proj.bias)
        h = layer.post_attention_layernorm(x)
        g = linear(Q, f"L{i}.gate", h, mlp.gate_proj.weight, mlp.gate_proj.bias)
        u = linear(Q, f"L{i}.up", h, mlp.up_proj.weight, mlp.up_proj.bias)
        x = x + linear(Q, f"L{i}.down", F.silu(g) * u, mlp.down_proj.weight, mlp.down_proj.bias)
    x = model.model.norm(x)
    w = model.model.embed_tokens.weight if model.tied else model.lm_head.weight
    return linear(Q, "head", x, w)


# ----------------------------------------------------------------------------------------- evaluation

def windows(ids, n_tokens, window):
    t = torch.tensor(ids[:n_tokens], dtype=torch.int64)
    assert len(t) == n_tokens, f"only {len(t)} tokens"
    return t[: n_tokens // window * window].view(-1, window)


@torch.no_grad()
def evaluate(model, X, rules, ref_logp=None, chunk=8):
    """X [W, window]. Returns metrics; NLL/KL in float64 from the float32 logits (natural log).
    ref_logp: the fp32 config's per-window float64 log-probs and argmaxes, for KL and top-1 agreement."""
    qc = QConfig(rules)
    if any(f is not None and f["kind"] == "nvfp4" for f in qc.fmts.values()):
        chunk = 1  # NVFP4's per-tensor scale must see one window only (windows are independent)
    Q = Quantizer(qc)
    W, T = X.shape
    nll_sums, correct, agree, kl, keep = [], 0, 0, 0.0, []
    t0 = time.process_time()
    for b in range(0, W, chunk):
        ids = X[b:b + chunk]
        logits = forward(model, ids, Q)[:, :-1]
        y = ids[:, 1:]
        lp = torch.log_softmax(logits.double(), -1)
        nll = -lp.gather(-1, y.unsqueeze(-1)).squeeze(-1)  # [B, T-1]
        nll_sums += [float(v) for v in nll.sum(-1)]
        am = logits.argmax(-1)
        correct += int((am == y).sum())
        if ref_logp is None:
            keep += list(zip(lp, am))
        else:
            rlp = torch.stack([r[0] for r in ref_logp[b:b + chunk]])
            ram = torch.stack([r[1] for r in ref_logp[b:b + chunk]])
            kl += float((rlp.exp() * (rlp - lp)).sum())
            agree += int((am == ram).sum())
    n = W * (T - 1)
    mean_nll = math.fsum(nll_sums) / n
    r = {"rules": rules, "n_tokens": W * T, "window": T, "windows": W, "predictions": n,
         "perplexity": math.exp(mean_nll), "accuracy": correct / n,
         "kl": 0.0 if ref_logp is None else kl / n,
         "top1_agreement": 1.0 if ref_logp is None else agree / n,
         "mean_nll": mean_nll, "window_nll_sums": nll_sums, "cpu_s": time.process_time() - t0}
    return r, keep


# ----------------------------------------------------------------------------------------- main

def load():
    cfg, Wt, _ = np_forward.load_folder(MODEL_DIR)
    model = load_into_model(cfg, Wt)
    tok = Tokenizer.from_hf(os.path.join(MODEL_DIR, "tokenizer.json"))
    with open(os.path.join(MODEL_DIR, "test.txt"), encoding="utf-8") as fh:
        ids = tok.encode(fh.read())
    with open(os.path.join(MODEL_DIR, "reference.json")) as fh:
        ref = json.load(fh)
    return model, ids, ref


def self_check(model, ids, ref):
    """fp32 forward vs reference.json (and vs tools/train/model.py's own forward)."""
    assert ids[:256] == ref["input_ids"], "tokenization differs from reference.json input_ids"
    assert len(ids) == ref["test_txt_tokens"], (len(ids), ref["test_txt_tokens"])
    x = torch.tensor([ids[:256]])
    fp32 = Quantizer(QConfig([["*", "fp32"]]))
    logits = forward(model, x, fp32)[0]
    with torch.no_grad():
        plain = model(x)[0]
    rel = 0.0
    for p, want in ref["logits_first8"].items():
        got = logits[int(p), :8].double()
        w = torch.tensor(want, dtype=torch.float64)
        rel = max(rel, float(((got - w).abs() / w.abs()).max()))
    nll = float(F.cross_entropy(logits[:-1], x[0, 1:]))
    nll64 = float(-torch.log_softmax(logits[:-1].double(), -1).gather(-1, x[0, 1:, None]).mean())
    argmax_same = logits.argmax(-1).tolist() == ref["argmax"]
    out = {"tokens_match_reference": True, "test_txt_tokens": len(ids),
           "logits_first8_max_rel_err": rel, "mean_nll_first256": nll64, "mean_nll_first256_f32": f32(nll),
           "reference_mean_nll": ref["mean_nll"], "argmax_matches_reference": argmax_same,
           "max_abs_diff_vs_train_model_forward": float((logits - plain).abs().max())}
    print(json.dumps(out, indent=1))
    assert rel <= 1e-4, f"logits_first8 relative error {rel}"
    assert abs(nll64 - ref["mean_nll"]) <= 2e-6 * ref["mean_nll"], (nll64, ref["mean_nll"])
    assert argmax_same
    return out


def short_window(model, ids, n=64):
    x = torch.tensor([ids[:n]])
    l32 = forward(model, x, Quantizer(QConfig([["*", "fp32"]])))[0, -1]
    Q = Quantizer(QConfig([["*", "mxfp4"]]), record=True)
    l4 = forward(model, x, Q)[0, -1]
    assert Q.order == short_points(model), Q.order
    return {"n_tokens": n, "position": n - 1, "input_ids": ids[:n],
            "fp32_logits_last": [f32(v) for v in l32.tolist()],
            "mxfp4_logits_last": [f32(v) for v in l4.tolist()],
            "mxfp4_sqnr_db": Q.sqnr_db()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--n-tokens", type=int, default=8192)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--rules", action="append", help="JSON list of [glob, spec]; evaluate and print only")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t_start = time.time()
    model, ids, ref = load()
    X = windows(ids, args.n_tokens, args.window)
    print(f"tokenized + loaded in {time.time() - t_start:.1f} s; {X.shape[0]} windows of {X.shape[1]}")

    if args.rules:
        base, keep = evaluate(model, X, [["*", "fp32"]])
        res = [base] + [evaluate(model, X, json.loads(r), keep)[0] for r in args.rules]
        for r in res:
            r.pop("window_nll_sums")
        print(json.dumps(res, indent=1))
        return

    checks = self_check(model, ids, ref)
    results, keep = [], None
    for name, rules in CONFIGS:
        r, k = evaluate(model, X, rules, keep)
        if keep is None:
            keep = k
        print(f"{name:>20}: ppl {r['perplexity']:.5f} acc {r['accuracy']:.5f} kl {r['kl']:.6f} "
              f"agree {r['top1_agreement']:.5f}  ({r['cpu_s']:.1f} CPU-s)", flush=True)
        r.pop("cpu_s")
        if name not in NLL_SUMS_FOR:
            r.pop("window_nll_sums")
        if name == "mixed":
            qc = QConfig(rules)
            r["resolved"] = {p: qc.spec(p) for p in short_points(model)}
        results.append(dict(name=name, **r))
    # fp32 over 32768 tokens against reference.json's eval_test_32768 (5-decimal rounding there)
    r32, _ = evaluate(model, windows(ids, 32768, 256), [["*", "fp32"]])
    e = ref["eval_test_32768"]
    checks["eval_test_32768"] = {"mean_nll": r32["mean_nll"], "perplexity": r32["perplexity"], "accuracy": r32["accuracy"],
                                 "reference": e}
    assert abs(r32["mean_nll"] - e["mean_nll"]) < 2e-5 and abs(r32["accuracy"] - e["top1"]) < 1e-5, checks["eval_test_32768"]
    sw = short_window(model, ids)

    doc = {
        "description": "PyTorch reference (tools/xcheck/model_ref.py) of the studio's MX fake-quant forward of "
                       "public/models/sotu-llama-1m; quant points and rule semantics in the script's docstring and "
                       "tools/xcheck/README.md (Model references).",
        "model": "public/models/sotu-llama-1m",
        "torch": torch.__version__,
        "eval_protocol": "test.txt tokenized with the folder's tokenizer (no BOS); first n_tokens tokens cut into "
                         "non-overlapping windows, each evaluated independently at positions 0..window-1; "
                         "positions 0..window-2 predict tokens 1..window-1; NLL = -log_softmax in float64 of the "
                         "float32 logits (natural log); perplexity = exp(mean NLL); accuracy = top-1 (argmax of the "
                         "float32 logits) vs the next token; kl = mean over predictions of KL(p_fp32 || p_quant); "
                         "top1_agreement = argmax equal to the fp32 config's",
        "points": short_points(model),
        "self_check": checks,
        "configs": results,
        "short_window": sw,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(dumps(doc) + "\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) in {time.time() - t_start:.1f} s wall")


def short_points(model):
    pts = []
    for i in range(len(model.model.layers)):
        for op in ("q", "k", "v"):
            pts += [f"L{i}.{op}.x", f"L{i}.{op}.w"]
        pts += [f"L{i}.qk.a", f"L{i}.qk.b", f"L{i}.pv.a", f"L{i}.pv.b"]
        for op in ("o", "gate", "up", "down"):
            pts += [f"L{i}.{op}.x", f"L{i}.{op}.w"]
    return pts + ["head.x", "head.w"]


if __name__ == "__main__":
    main()
