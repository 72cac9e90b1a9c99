#!/usr/bin/python3
"""Export the trained default model as a Hugging Face folder and write reference outputs.

usage: /usr/bin/python3 export.py SOTU_DATA_DIR [--run ~/.cache/mx-studio/run] [--out public/models/sotu-llama-1m]

Writes config.json, generation_config.json, model.safetensors (fp32, HF LLaMA names, tied: no
lm_head.weight), test.txt (the held-out test split) and reference.json. The tokenizer files are
written by train_tokenizer.py; the model card README.md is maintained by hand.
Then re-reads model.safetensors with the independent reader in np_forward.py, loads it into the
PyTorch model (strict) and checks the PyTorch logits against a float64 NumPy forward.
"""
import argparse, json, math, os, struct, sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import np_forward  # noqa: E402
from model import build  # noqa: E402
from train_tokenizer import Tokenizer, load_splits  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "..", "..", "public", "models", "sotu-llama-1m")


def tensor_bytes(t, dtype):
    """Little-endian, C-order bytes of a torch tensor stored as F32, F16 or BF16 (round to nearest even)."""
    t = t.detach().contiguous().cpu()
    if dtype == "F32":
        return t.float().numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.half().numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.float().to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype="F32", metadata=None):
    """tensors: {name: torch tensor} in file order. Header: compact JSON padded with spaces to 8 bytes."""
    header, blobs, offset = {"__metadata__": metadata or {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        b = tensor_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for b in blobs:
            fh.write(b)
    return offset


def dumps(o, ind=0):
    """JSON with dicts and lists of containers indented, and lists of numbers kept on one line."""
    pad = "  " * (ind + 1)
    if isinstance(o, dict) and o:
        return "{\n" + ",\n".join(pad + json.dumps(k) + ": " + dumps(v, ind + 1) for k, v in o.items()) + "\n" + "  " * ind + "}"
    if isinstance(o, list) and any(isinstance(v, (list, dict)) for v in o):
        return "[\n" + ",\n".join(pad + dumps(v, ind + 1) for v in o) + "\n" + "  " * ind + "]"
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def write_json(path, obj, indent=None):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps(obj) if indent is None else json.dumps(obj, indent=indent))
        fh.write("\n")


def f32(x):
    """A float32 value as the shortest decimal that round-trips to the same float32."""
    x = float(np.float32(x))
    for digits in range(6, 10):
        s = f"{x:.{digits}g}"
        if np.float32(float(s)) == np.float32(x):
            return float(s)
    return x


def load_into_model(config, weights):
    model = build(config)
    sd = model.state_dict()
    assert set(sd) == set(weights), f"tensor names differ: {set(sd) ^ set(weights)}"
    for k, v in weights.items():
        assert tuple(sd[k].shape) == v.shape, f"{k}: {tuple(sd[k].shape)} vs {v.shape}"
    model.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in weights.items()}, strict=True)
    return model.eval()


@torch.no_grad()
def window_eval(model, ids, n_tokens, window=256):
    ids = torch.tensor(ids[:n_tokens])
    x = ids[: len(ids) // window * window].view(-1, window)
    nll, correct = 0.0, 0
    for b in range(0, len(x), 16):
        logits = model(x[b:b + 16])[:, :-1]
        y = x[b:b + 16, 1:]
        nll += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
    n = x.shape[0] * (window - 1)
    return {"tokens": int(x.numel()), "windows": int(x.shape[0]), "predictions": n, "mean_nll": round(nll / n, 5),
            "ppl": round(math.exp(nll / n), 4), "top1": round(correct / n, 5)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--run", default=os.path.expanduser("~/.cache/mx-studio/run"))
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = args.out

    with open(os.path.join(args.run, "config.json")) as fh:
        config = json.load(fh)
    sd = torch.load(os.path.join(args.run, "ckpt.pt"), map_location="cpu")
    assert "lm_head.weight" not in sd and config["tie_word_embeddings"]

    order = ["model.embed_tokens.weight"]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        order += [p + "input_layernorm.weight"] + [p + f"self_attn.{n}_proj.weight" for n in "qkvo"]
        order += [p + "post_attention_layernorm.weight"] + [p + f"mlp.{n}_proj.weight" for n in ("gate", "up", "down")]
    order.append("model.norm.weight")
    assert set(order) == set(sd), set(order) ^ set(sd)

    write_json(os.path.join(out, "config.json"), config, indent=2)
    write_json(os.path.join(out, "generation_config.json"),
               {"_from_model_config": True, "bos_token_id": config["bos_token_id"], "eos_token_id": config["eos_token_id"]})
    write_safetensors(os.path.join(out, "model.safetensors"), {k: sd[k] for k in order}, "F32")
    splits = load_splits(args.data_dir)
    with open(os.path.join(out, "test.txt"), "w", encoding="utf-8", newline="") as fh:
        fh.write(splits["test"])

    # ---- verification: re-read with the independent reader, bit-exact round trip, torch vs NumPy forward
    cfg, W, dtypes = np_forward.load_folder(out)
    assert set(dtypes.values()) == {"F32"}
    for k in order:
        assert np.array_equal(W[k].astype(np.float32), sd[k].numpy()), f"{k}: round trip changed the values"
    model = load_into_model(cfg, W)
    tok = Tokenizer.from_hf(os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "test.txt"), encoding="utf-8") as fh:
        test_text = fh.read()
    test_ids = tok.encode(test_text)
    assert tok.decode(test_ids) == test_text
    ids = test_ids[:256]
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0]
    ref64 = np_forward.forward(cfg, W, ids)
    max_diff = float(np.abs(ref64 - logits.double().numpy()).max())
    print(f"torch fp32 vs NumPy float64 forward: max |dlogit| = {max_diff:.2e}")
    assert max_diff < 1e-3
    nll = F.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="none")

    reference = {
        "description": "Reference outputs of the PyTorch fp32 forward (tools/train/model.py) of this folder's "
                       "model.safetensors, for checking other implementations (e.g. the studio's TypeScript forward).",
        "input": "the first 256 token ids of test.txt encoded with this folder's tokenizer (no BOS prepended), "
                 "fed as one sequence at positions 0..255",
        "text_prefix": tok.decode(ids),
        "test_txt_chars": len(test_text), "test_txt_bytes": len(test_text.encode("utf-8")),
        "test_txt_tokens": len(test_ids),
        "input_ids": ids,
        "logits_first8": {str(p): [f32(v) for v in logits[p, :8].tolist()] for p in (0, 1, 255)},
        "logits_stats": {str(p): {"mean": f32(logits[p].mean()), "std": f32(logits[p].std(unbiased=False)),
                                  "max": f32(logits[p].max()), "argmax": int(logits[p].argmax())} for p in (0, 1, 255)},
        "argmax": logits.argmax(-1).tolist(),
        "mean_nll": f32(nll.mean()),
        "mean_nll_note": "mean over the 255 next-token predictions: logits at positions 0..254 scored "
                         "against input_ids[1..255] (natural log)",
        "ppl": f32(nll.mean().exp()),
        "numpy_float64_max_abs_diff": float(f"{max_diff:.3g}"),
        "eval_protocol": "non-overlapping 256-token windows from the start of test.txt's tokens; every position "
                         "except the first of each window is scored (255 predictions per window)",
        "eval_test_32768": window_eval(model, test_ids, 32768),
        "eval_test_65536": window_eval(model, test_ids, 65536),
        "eval_test_full": window_eval(model, test_ids, len(test_ids)),
    }
    write_json(os.path.join(out, "reference.json"), reference)
    print(json.dumps({k: reference[k] for k in ("mean_nll", "ppl", "eval_test_32768", "eval_test_65536", "eval_test_full")}, indent=1))
    for f in sorted(os.listdir(out)):
        print(f"{os.path.getsize(os.path.join(out, f)):>10}  {f}")


if __name__ == "__main__":
    main()
