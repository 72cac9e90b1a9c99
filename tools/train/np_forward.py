"""Independent checks: a safetensors reader and float64 NumPy forward passes for LLaMA, GPT-2 and OPT,
written from the Hugging Face semantics and reading only the exported folder (config.json plus
model.safetensors or model.safetensors.index.json shards). Shares no code with model.py or the
writer in export.py, so it catches naming, layout (Conv1D [in, out] vs Linear [out, in]), dtype and
RoPE/GQA/position-offset mistakes in either.
"""
import json, os, struct
import numpy as np

_DT = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"),
       "I32": np.dtype("<i4"), "I8": np.dtype("i1"), "U8": np.dtype("u1")}


def read_safetensors(path):
    """Returns ({name: float64/int array}, {name: dtype string}, metadata). Checks every header rule."""
    with open(path, "rb") as fh:
        buf = fh.read()
    (n,) = struct.unpack("<Q", buf[:8])
    assert n % 8 == 0, f"{path}: header length {n} is not padded to 8 bytes"
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    data = memoryview(buf)[8 + n:]
    arrays, dtypes, end = {}, {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        assert b == end, f"{name}: gap or overlap in data_offsets"
        end = e
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        if info["dtype"] == "BF16":
            assert e - b == 2 * count
            u16 = np.frombuffer(data[b:e], dtype="<u2").astype(np.uint32)
            a = (u16 << 16).view(np.float32)
        else:
            dt = _DT[info["dtype"]]
            assert e - b == dt.itemsize * count, f"{name}: byte size does not match dtype and shape"
            a = np.frombuffer(data[b:e], dtype=dt)
        arrays[name] = a.reshape(info["shape"]).astype(np.float64 if a.dtype.kind == "f" else np.int64)
        dtypes[name] = info["dtype"]
    assert end == len(data), f"{path}: {len(data) - end} trailing bytes"
    return arrays, dtypes, meta


def load_folder(folder):
    with open(os.path.join(folder, "config.json")) as fh:
        config = json.load(fh)
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as fh:
            idx = json.load(fh)
        weights, dtypes, total = {}, {}, 0
        for shard in sorted(set(idx["weight_map"].values())):
            a, d, _ = read_safetensors(os.path.join(folder, shard))
            for k in a:
                assert idx["weight_map"][k] == shard, f"{k} is in {shard} but the index says otherwise"
                total += a[k].size * {"F32": 4, "F16": 2, "BF16": 2}[d[k]]
            weights.update(a); dtypes.update(d)
        assert set(weights) == set(idx["weight_map"]), "index and shards list different tensors"
        assert total == idx["metadata"]["total_size"], "index total_size is wrong"
    else:
        weights, dtypes, _ = read_safetensors(os.path.join(folder, "model.safetensors"))
    return config, weights, dtypes


def _softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


def _attend(q, k, v):  # [H, T, hd] each, q pre-scaled
    T = q.shape[1]
    s = q @ k.transpose(0, 2, 1) + np.triu(np.full((T, T), -np.inf), 1)
    return (_softmax(s) @ v).transpose(1, 0, 2).reshape(T, -1)


def _layernorm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def llama(c, W, ids):
    nh = c["num_attention_heads"]; nkv = c.get("num_key_value_heads") or nh
    hd = c.get("head_dim") or c["hidden_size"] // nh; eps = c["rms_norm_eps"]
    T = len(ids)
    inv = 1.0 / (float(c.get("rope_theta", 10000.0)) ** (np.arange(0, hd, 2) / hd))
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([ang, ang], -1)), np.sin(np.concatenate([ang, ang], -1))
    rope = lambda t: t * cos + np.concatenate([-t[..., hd // 2:], t[..., :hd // 2]], -1) * sin  # rotate_half
    rms = lambda x, w: w * x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    heads = lambda y, n: y.reshape(T, n, hd).transpose(1, 0, 2)
    x = W["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(x, W[p + "input_layernorm.weight"])
        q = rope(heads(h @ W[p + "self_attn.q_proj.weight"].T, nh))
        k = rope(heads(h @ W[p + "self_attn.k_proj.weight"].T, nkv))
        v = heads(h @ W[p + "self_attn.v_proj.weight"].T, nkv)
        kv_of = np.arange(nh) // (nh // nkv)  # GQA: query head h reads kv head h // (nh / nkv)
        x = x + _attend(q / np.sqrt(hd), k[kv_of], v[kv_of]) @ W[p + "self_attn.o_proj.weight"].T
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = h @ W[p + "mlp.gate_proj.weight"].T
        x = x + (g / (1 + np.exp(-g)) * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    x = rms(x, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else W["lm_head.weight"]
    return x @ head.T


def gpt2(c, W, ids):
    W = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in W.items()}
    d, nh, eps = c["n_embd"], c["n_head"], c.get("layer_norm_epsilon", 1e-5)
    T, hd = len(ids), d // nh
    heads = lambda y: y.reshape(T, nh, hd).transpose(1, 0, 2)
    conv = lambda x, n: x @ W[n + ".weight"] + W[n + ".bias"]  # Conv1D: weight is [in, out]
    ln = lambda x, n: _layernorm(x, W[n + ".weight"], W[n + ".bias"], eps)
    x = W["wte.weight"][ids] + W["wpe.weight"][np.arange(T)]
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        q, k, v = np.split(conv(ln(x, p + "ln_1"), p + "attn.c_attn"), 3, axis=-1)
        x = x + conv(_attend(heads(q) / np.sqrt(hd), heads(k), heads(v)), p + "attn.c_proj")
        f = conv(ln(x, p + "ln_2"), p + "mlp.c_fc")
        f = 0.5 * f * (1 + np.tanh(np.sqrt(2 / np.pi) * (f + 0.044715 * f ** 3)))  # gelu_new
        x = x + conv(f, p + "mlp.c_proj")
    return ln(x, "ln_f") @ W["wte.weight"].T


def opt(c, W, ids):
    W = {k[len("model."):] if k.startswith("model.") else k: v for k, v in W.items()}
    d, nh = c["hidden_size"], c["num_attention_heads"]
    T, hd = len(ids), d // nh
    assert c.get("do_layer_norm_before", True)
    heads = lambda y: y.reshape(T, nh, hd).transpose(1, 0, 2)
    lin = lambda x, n: x @ W[n + ".weight"].T + W[n + ".bias"]
    ln = lambda x, n: _layernorm(x, W[n + ".weight"], W[n + ".bias"])
    x = W["decoder.embed_tokens.weight"][ids] + W["decoder.embed_positions.weight"][np.arange(T) + 2]
    for i in range(c["num_hidden_layers"]):
        p = f"decoder.layers.{i}."
        h = ln(x, p + "self_attn_layer_norm")
        q = lin(h, p + "self_attn.q_proj") * hd ** -0.5
        x = x + lin(_attend(heads(q), heads(lin(h, p + "self_attn.k_proj")), heads(lin(h, p + "self_attn.v_proj"))),
                    p + "self_attn.out_proj")
        x = x + lin(np.maximum(lin(ln(x, p + "final_layer_norm"), p + "fc1"), 0), p + "fc2")
    return ln(x, "decoder.final_layer_norm") @ W["decoder.embed_tokens.weight"].T


def forward(config, weights, ids):
    return {"llama": llama, "gpt2": gpt2, "opt": opt}[config["model_type"]](config, weights, np.asarray(ids))
