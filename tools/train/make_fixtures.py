#!/usr/bin/python3
"""Tiny seeded random models in real Hugging Face checkpoint layouts, for the studio's loader tests.

usage: /usr/bin/python3 make_fixtures.py [--out public/models/fixtures]

  tiny-gpt2       GPT2LMHeadModel, F32, transformer.* names, Conv1D weights [in, out], tied LM head
  tiny-opt        OPTForCausalLM, F16, model.decoder.* names, positions offset by 2, biases, ReLU,
                  tied LM head; vocab_size 528 > the tokenizer's 512 (OPT pads its vocab too)
  tiny-llama-gqa  LlamaForCausalLM, BF16, 2 shards + model.safetensors.index.json, GQA (4 query heads,
                  2 key/value heads), untied lm_head.weight, rope_theta 1e5, rms_norm_eps 1e-6

All three share a 512-token byte-level BPE tokenizer: the first 255 merges of the default model's
tokenizer plus <|endoftext|> (id 511). Weights are random with O(1) logits so layout mistakes show.
reference.json holds input ids and the full logits computed in fp32 by model.py from the stored
(rounded) weights, and the result of a float64 NumPy forward (np_forward.py) is checked against them.
"""
import argparse, json, os, shutil, sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import np_forward  # noqa: E402
from export import f32, load_into_model, tensor_bytes, write_json, write_safetensors  # noqa: E402
from model import build  # noqa: E402
from train_tokenizer import Tokenizer  # noqa: E402

DEFAULT_TOKENIZER = os.path.join(HERE, "..", "..", "public", "models", "sotu-llama-1m", "tokenizer.json")
DEFAULT_OUT = os.path.join(HERE, "..", "..", "public", "models", "fixtures")
TEXT = "The Congress of the United States shall"
N_TOKENS = 8
EOT_ID = 511

GPT2 = {
    "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 512, "n_positions": 64, "n_ctx": 64,
    "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": None, "activation_function": "gelu_new",
    "layer_norm_epsilon": 1e-05, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
    "initializer_range": 0.02, "scale_attn_weights": True, "use_cache": True, "tie_word_embeddings": True,
    "bos_token_id": EOT_ID, "eos_token_id": EOT_ID, "torch_dtype": "float32",
}
OPT = {
    "architectures": ["OPTForCausalLM"], "model_type": "opt", "vocab_size": 528, "hidden_size": 32,
    "num_hidden_layers": 2, "num_attention_heads": 4, "ffn_dim": 128, "max_position_embeddings": 64,
    "word_embed_proj_dim": 32, "do_layer_norm_before": True, "_remove_final_layer_norm": False,
    "activation_function": "relu", "enable_bias": True, "layer_norm_elementwise_affine": True,
    "dropout": 0.0, "attention_dropout": 0.0, "activation_dropout": 0.0, "layerdrop": 0.0, "init_std": 0.02,
    "use_cache": True, "tie_word_embeddings": True, "pad_token_id": EOT_ID, "bos_token_id": EOT_ID,
    "eos_token_id": EOT_ID, "torch_dtype": "float16",
}
LLAMA = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 512, "hidden_size": 32,
    "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 8, "hidden_act": "silu", "max_position_embeddings": 64, "initializer_range": 0.02,
    "rms_norm_eps": 1e-06, "rope_theta": 100000.0, "rope_scaling": None, "attention_bias": False,
    "attention_dropout": 0.0, "mlp_bias": False, "pretraining_tp": 1, "use_cache": True,
    "tie_word_embeddings": False, "bos_token_id": EOT_ID, "eos_token_id": EOT_ID, "torch_dtype": "bfloat16",
}
FIXTURES = [("tiny-gpt2", GPT2, "F32", 1, 1), ("tiny-opt", OPT, "F16", 1, 2), ("tiny-llama-gqa", LLAMA, "BF16", 2, 3)]
NOTES = {
    "tiny-gpt2": "GPT-2 layout as saved by GPT2LMHeadModel.save_pretrained: transformer.* names, Conv1D weights "
                 "[in, out] (c_attn holds q|k|v on the output axis), gelu_new, tied LM head (no lm_head.weight), F32.",
    "tiny-opt": "OPT layout as saved by OPTForCausalLM.save_pretrained: model.decoder.* names, learned positions "
                "looked up at position + 2 (embed_positions has max_position_embeddings + 2 rows), q scaled by "
                "head_dim^-0.5 after q_proj, ReLU, pre-LN, biases everywhere, tied LM head, F16. vocab_size 528 is "
                "larger than the tokenizer's 512 tokens (facebook/opt-125m: 50272 vs 50265), so logits have 528 columns.",
    "tiny-llama-gqa": "LLaMA layout with GQA (num_key_value_heads 2 < num_attention_heads 4; query head h reads "
                      "key/value head h // 2), rotate_half RoPE with rope_theta 100000, rms_norm_eps 1e-6, untied "
                      "lm_head.weight, BF16, sharded into two files with model.safetensors.index.json.",
}


def randomize(model):
    """O(1)-scale random weights: embeddings and lm_head N(0, 1), other matrices N(0, 1/fan_in), norm gains 1 + N(0, 0.1^2),
    biases N(0, 0.1^2)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.normal_(0.0, 0.1)
            elif p.dim() == 1:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif any(s in name for s in ("wte", "wpe", "embed_tokens", "embed_positions", "lm_head")):
                p.normal_(0.0, 1.0)
            else:  # Conv1D stores [in, out], nn.Linear [out, in]
                fan_in = p.shape[0] if ".c_" in name else p.shape[1]
                p.normal_(0.0, fan_in ** -0.5)


def round_to(t, dtype):
    """The float32 values a reader gets back from a tensor stored in `dtype`."""
    return {"F32": t.float(), "F16": t.half().float(), "BF16": t.to(torch.bfloat16).float()}[dtype]


def make(out_root, name, config, dtype, shards, seed, tok, ids):
    out = os.path.join(out_root, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    torch.manual_seed(seed)
    model = build(config)
    randomize(model)
    sd = {k: round_to(v, dtype) for k, v in model.state_dict().items()}
    model.load_state_dict(sd)

    write_json(os.path.join(out, "config.json"), config, indent=2)
    names = list(sd)
    if shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), sd, dtype)
    else:
        files = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
        per = -(-len(names) // shards)
        weight_map, total = {}, 0
        for i, f in enumerate(files):
            part = {k: sd[k] for k in names[i * per:(i + 1) * per]}
            total += write_safetensors(os.path.join(out, f), part, dtype)
            weight_map.update({k: f for k in part})
        write_json(os.path.join(out, "model.safetensors.index.json"),
                   {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2)
    tok.save_hf(out, model_max_length=64)

    # ---- verification: independent reader -> same bits; strict load into model.py; torch vs NumPy float64
    cfg, W, dtypes = np_forward.load_folder(out)
    assert set(dtypes.values()) == {dtype} and set(W) == set(names)
    for k in names:
        assert np.array_equal(W[k].astype(np.float32), sd[k].numpy()), f"{name}/{k}: stored values differ"
        assert tensor_bytes(torch.tensor(W[k], dtype=torch.float32), dtype) == tensor_bytes(sd[k], dtype)
    reloaded = load_into_model(cfg, W)
    with torch.no_grad():
        logits = reloaded(torch.tensor([ids]))[0]
    ref64 = np_forward.forward(cfg, W, ids)
    diff = float(np.abs(ref64 - logits.double().numpy()).max())
    assert diff < 1e-4, f"{name}: torch vs NumPy max |d| {diff}"
    assert logits.shape == (len(ids), config["vocab_size"])

    tensors = {k: {"shape": list(v.shape), "dtype": dtypes[k]} for k, v in sd.items()}
    reference = {
        "description": NOTES[name],
        "logits_note": "fp32 forward (tools/train/model.py) of the stored weights widened to float32, input_ids "
                       "at positions 0..N-1 with no BOS; logits[t] predicts the token after input_ids[t]. "
                       "A float64 NumPy forward (tools/train/np_forward.py) agrees to numpy_float64_max_abs_diff.",
        "text": tok.decode(ids), "input_ids": ids,
        "tokenizer_ids_of_text": tok.encode(tok.decode(ids)),
        "logits_shape": list(logits.shape),
        "logits_std": f32(logits.std(unbiased=False)),
        "argmax": logits.argmax(-1).tolist(),
        "numpy_float64_max_abs_diff": float(f"{diff:.3g}"),
        "parameters": sum(v.numel() for v in sd.values()),
        "tensors": tensors,
        "logits": [[f32(v) for v in row] for row in logits.tolist()],
    }
    write_json(os.path.join(out, "reference.json"), reference)
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"{name}: {reference['parameters']} params, {dtype}, {len(sd)} tensors, logits std "
          f"{reference['logits_std']:.2f}, torch vs NumPy {diff:.1e}, {size} bytes")
    assert size < 300_000, f"{name} is {size} bytes"
    return size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    full = Tokenizer.from_hf(args.tokenizer)
    tok = Tokenizer(full.merges[:255])  # a prefix of a merge list is itself a valid BPE
    assert len(tok.vocab) == 512 and tok.eot == EOT_ID
    ids = tok.encode(TEXT)[:N_TOKENS]
    assert len(ids) == N_TOKENS and tok.encode(tok.decode(ids)) == ids
    total = sum(make(args.out, *f, tok, ids) for f in FIXTURES)
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
