"""Minimal LLaMA, GPT-2 and OPT causal LMs in PyTorch, written from Hugging Face semantics.

Each model takes the Hugging Face config.json dict and its modules are named so that
`state_dict()` keys are exactly the Hugging Face checkpoint tensor names:

  LLaMA  model.embed_tokens, model.layers.{i}.{input_layernorm, self_attn.{q,k,v,o}_proj,
         post_attention_layernorm, mlp.{gate,up,down}_proj}, model.norm, lm_head (untied only)
  GPT-2  transformer.{wte, wpe, h.{i}.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, ln_f}
         (Conv1D weights are [in, out]); LM head tied to wte
  OPT    model.decoder.{embed_tokens, embed_positions (+2 offset), layers.{i}.{self_attn.{q,k,v,out}_proj,
         self_attn_layer_norm, fc1, fc2, final_layer_norm}, final_layer_norm}; LM head tied to embed_tokens

Semantics follow transformers' modeling_llama.py / modeling_gpt2.py / modeling_opt.py for
unpadded input (position ids 0..T-1): LLaMA rotate_half RoPE and GQA repeat_kv, GPT-2 gelu_new
(tanh) and Conv1D, OPT learned positions offset by 2, q scaled by head_dim^-0.5, ReLU.
Everything runs in float32; torch 1.13 has no scaled_dot_product_attention, so attention is explicit.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


def causal_attention(q, k, v):
    """q, k, v: [B, H, T, hd] (q already scaled). Returns [B, T, H*hd]."""
    B, H, T, hd = q.shape
    att = q @ k.transpose(-1, -2)
    mask = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
    att = att.masked_fill(mask, float("-inf")).softmax(-1)
    return (att @ v).transpose(1, 2).reshape(B, T, H * hd)


# ----------------------------------------------------------------------------------------- LLaMA

class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(T, head_dim, theta, device=None):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float().to(device) / head_dim))
    freqs = torch.arange(T, dtype=torch.float32, device=device)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)  # [T, hd]
    return emb.cos(), emb.sin()


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.nh = c["hidden_size"], c["num_attention_heads"]
        self.nkv = c.get("num_key_value_heads") or self.nh
        self.hd = c.get("head_dim") or d // self.nh
        bias = c.get("attention_bias", False)
        self.q_proj = nn.Linear(d, self.nh * self.hd, bias=bias)
        self.k_proj = nn.Linear(d, self.nkv * self.hd, bias=bias)
        self.v_proj = nn.Linear(d, self.nkv * self.hd, bias=bias)
        self.o_proj = nn.Linear(self.nh * self.hd, d, bias=bias)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv  # GQA: query head h uses key/value head h // rep
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        return self.o_proj(causal_attention(q * self.hd ** -0.5, k, v))


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, ff, bias = c["hidden_size"], c["intermediate_size"], c.get("mlp_bias", False)
        assert c.get("hidden_act", "silu") == "silu"
        self.gate_proj = nn.Linear(d, ff, bias=bias)
        self.up_proj = nn.Linear(d, ff, bias=bias)
        self.down_proj = nn.Linear(ff, d, bias=bias)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = LlamaMLP(c)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(LlamaDecoderLayer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert not c.get("rope_scaling"), "rope_scaling is not implemented"
        self.config = c
        self.model = LlamaModel(c)
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]

    def forward(self, ids):
        T = ids.shape[1]
        cos, sin = rope_cos_sin(T, self.head_dim, float(self.config.get("rope_theta", 10000.0)), ids.device)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        x = self.model.norm(x)
        w = self.model.embed_tokens.weight if self.tied else self.lm_head.weight
        return x @ w.t()


# ----------------------------------------------------------------------------------------- GPT-2

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF GPT-2 Conv1D: a linear layer whose weight is stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.d, self.nh = c["n_embd"], c["n_head"]
        self.c_attn = Conv1D(self.d, 3 * self.d)  # q | k | v on the output axis
        self.c_proj = Conv1D(self.d, self.d)

    def forward(self, x):
        B, T, _ = x.shape
        hd = self.d // self.nh
        q, k, v = self.c_attn(x).split(self.d, dim=-1)
        q, k, v = (t.view(B, T, self.nh, hd).transpose(1, 2) for t in (q, k, v))
        return self.c_proj(causal_attention(q / math.sqrt(hd), k, v))


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c.get("n_inner") or 4 * c["n_embd"]
        assert c.get("activation_function", "gelu_new") == "gelu_new"
        self.c_fc = Conv1D(c["n_embd"], inner)
        self.c_proj = Conv1D(inner, c["n_embd"])

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get("layer_norm_epsilon", 1e-5)
        self.ln_1 = nn.LayerNorm(c["n_embd"], eps=eps)
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(c["n_embd"], eps=eps)
        self.mlp = GPT2MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList(GPT2Block(c) for _ in range(c["n_layer"]))
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c.get("layer_norm_epsilon", 1e-5))


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert c.get("tie_word_embeddings", True)
        self.config = c
        self.transformer = GPT2Model(c)

    def forward(self, ids):
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1], device=ids.device))
        for block in t.h:
            x = block(x)
        return t.ln_f(x) @ t.wte.weight.t()


# ------------------------------------------------------------------------------------------- OPT

class OPTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.nh, bias = c["hidden_size"], c["num_attention_heads"], c.get("enable_bias", True)
        self.q_proj = nn.Linear(d, d, bias=bias)
        self.k_proj = nn.Linear(d, d, bias=bias)
        self.v_proj = nn.Linear(d, d, bias=bias)
        self.out_proj = nn.Linear(d, d, bias=bias)

    def forward(self, x):
        B, T, d = x.shape
        hd = d // self.nh
        q = self.q_proj(x) * hd ** -0.5  # OPT scales q right after q_proj (bias included)
        q, k, v = (t.view(B, T, self.nh, hd).transpose(1, 2) for t in (q, self.k_proj(x), self.v_proj(x)))
        return self.out_proj(causal_attention(q, k, v))


class OPTDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, bias = c["hidden_size"], c.get("enable_bias", True)
        aff = c.get("layer_norm_elementwise_affine", True)
        assert c.get("activation_function", "relu") == "relu"
        self.pre_ln = c.get("do_layer_norm_before", True)
        self.self_attn = OPTAttention(c)
        self.self_attn_layer_norm = nn.LayerNorm(d, elementwise_affine=aff)
        self.fc1 = nn.Linear(d, c["ffn_dim"], bias=bias)
        self.fc2 = nn.Linear(c["ffn_dim"], d, bias=bias)
        self.final_layer_norm = nn.LayerNorm(d, elementwise_affine=aff)

    def forward(self, x):
        if self.pre_ln:
            x = x + self.self_attn(self.self_attn_layer_norm(x))
            return x + self.fc2(F.relu(self.fc1(self.final_layer_norm(x))))
        x = self.self_attn_layer_norm(x + self.self_attn(x))  # post-LN (opt-350m)
        return self.final_layer_norm(x + self.fc2(F.relu(self.fc1(x))))


class OPTDecoder(nn.Module):
    OFFSET = 2  # OPTLearnedPositionalEmbedding: position p is row p + 2

    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        assert c.get("word_embed_proj_dim", d) == d, "project_in/project_out are not implemented"
        self.embed_tokens = nn.Embedding(c["vocab_size"], d)
        self.embed_positions = nn.Embedding(c["max_position_embeddings"] + self.OFFSET, d)
        self.layers = nn.ModuleList(OPTDecoderLayer(c) for _ in range(c["num_hidden_layers"]))
        keep_final = c.get("do_layer_norm_before", True) and not c.get("_remove_final_layer_norm", False)
        self.final_layer_norm = nn.LayerNorm(d, elementwise_affine=c.get("layer_norm_elementwise_affine", True)) if keep_final else None


class OPTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.decoder = OPTDecoder(c)


class OPTForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert c.get("tie_word_embeddings", True)
        self.config = c
        self.model = OPTModel(c)

    def forward(self, ids):
        dec = self.model.decoder
        pos = torch.arange(ids.shape[1], device=ids.device) + OPTDecoder.OFFSET  # cumsum(mask) - 1 + 2
        x = dec.embed_tokens(ids) + dec.embed_positions(pos)
        for layer in dec.layers:
            x = layer(x)
        if dec.final_layer_norm is not None:
            x = dec.final_layer_norm(x)
        return x @ dec.embed_tokens.weight.t()


def build(config):
    return {"llama": LlamaForCausalLM, "gpt2": GPT2LMHeadModel, "opt": OPTForCausalLM}[config["model_type"]](config)
