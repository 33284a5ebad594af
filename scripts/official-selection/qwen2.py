"""A Qwen2 decoder in plain torch, for running the paper's code (andyrdt/refusal_direction) where
transformers is not installed.

The module tree and call conventions are the ones the paper's hooks rely on in transformers'
Qwen2ForCausalLM: model.model.layers[i] is called with the residual stream as its only positional
argument (forward pre-hooks see it as input[0]), layers[i].self_attn returns a tuple whose first
element is its output, layers[i].mlp returns a tensor, and model(input_ids=, attention_mask=)
returns an object with .logits at every position. Arithmetic follows transformers' eager path in
float32: RMSNorm in float32, rotate-half RoPE on positions 0..T-1 (as transformers numbers them
when generate() is not used), softmax over scores masked with the dtype's minimum.
"""
import json
import math
import os
import struct
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn


def read_safetensors(path):
    """name -> float32 tensor, from an F32, BF16 or F16 safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = raw[a:b]
        dtype = info["dtype"]
        if dtype == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(buf, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}; expected F32, BF16 or F16")
        out[name] = torch.from_numpy(np.array(arr, dtype=np.float32).reshape(info["shape"]))
    return out


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads = c.num_attention_heads, c.num_key_value_heads
        self.head_dim = c.hidden_size // c.num_attention_heads
        self.q_proj = nn.Linear(c.hidden_size, self.heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.heads * self.head_dim, c.hidden_size, bias=False)

    def forward(self, x, mask, cos, sin):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = self.heads // self.kv_heads
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        scores = q @ k.transpose(2, 3) / math.sqrt(self.head_dim) + mask
        p = torch.softmax(scores, dim=-1, dtype=torch.float32)
        out = (p @ v).transpose(1, 2).reshape(B, T, -1)
        return self.o_proj(out), None


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = Mlp(c)

    def forward(self, hidden_states, attention_mask=None, cos=None, sin=None):
        x = hidden_states + self.self_attn(self.input_layernorm(hidden_states), attention_mask, cos, sin)[0]
        return (x + self.mlp(self.post_attention_layernorm(x)),)


class Qwen2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class Qwen2ForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = Qwen2Model(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)

    @property
    def device(self):
        return self.lm_head.weight.device

    def forward(self, input_ids, attention_mask=None):
        c = self.config
        B, T = input_ids.shape
        x = self.model.embed_tokens(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones(B, T, dtype=torch.long)
        neg = torch.finfo(torch.float32).min
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        visible = causal[None, None] & attention_mask.bool()[:, None, None, :]
        mask = torch.zeros(B, 1, T, T).masked_fill(~visible, neg)
        head_dim = c.hidden_size // c.num_attention_heads
        inv = 1.0 / (c.rope_theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
        freqs = torch.outer(torch.arange(T, dtype=torch.float32), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        for layer in self.model.layers:
            x = layer(x, attention_mask=mask, cos=cos, sin=sin)[0]
        return SimpleNamespace(logits=self.lm_head(self.model.norm(x)))


def _uninitialized(cls, *args):
    """cls(*args) without the random initialization of its Linear and Embedding weights (minutes on a
    busy CPU for 0.5B parameters), which the loaded weights replace anyway."""
    saved = nn.Linear.reset_parameters, nn.Embedding.reset_parameters
    nn.Linear.reset_parameters = nn.Embedding.reset_parameters = lambda self: None
    try:
        return cls(*args)
    finally:
        nn.Linear.reset_parameters, nn.Embedding.reset_parameters = saved


def load(model_dir):
    """The model of a Hugging Face Qwen2 folder (config.json, model.safetensors), in float32, eval mode, no grad."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("architectures", [None])[0] != "Qwen2ForCausalLM":
        raise ValueError(f"{model_dir}/config.json: architecture {cfg.get('architectures')}; this harness runs Qwen2ForCausalLM only")
    c = SimpleNamespace(**{k: cfg[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                                                "num_key_value_heads", "vocab_size", "rms_norm_eps", "rope_theta")})
    c.tie_word_embeddings = cfg.get("tie_word_embeddings", False)
    model = _uninitialized(Qwen2ForCausalLM, c)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    tied = c.tie_word_embeddings and "lm_head.weight" not in weights
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if tied:
        missing.remove("lm_head.weight")
        model.lm_head.weight = model.model.embed_tokens.weight  # one tensor, as transformers ties them
    if missing or unexpected:
        raise ValueError(f"{model_dir}/model.safetensors: missing {missing}, unexpected {unexpected}")
    model.eval()
    model.requires_grad_(False)
    return model
