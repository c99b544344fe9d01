#!/usr/bin/python3
"""An independent GPT-2 in Debian's PyTorch, on Hugging Face's file layout (no transformers or safetensors package).

The forward pass is written out as in Hugging Face's GPT2LMHeadModel: Conv1D projections (y = x @ W + b with W stored
[in, out]), pre-LayerNorm blocks, causal softmax(q k^T / sqrt(d_head)) @ v, GELU with the tanh approximation, a final
LayerNorm and the tied unembedding. It records every activation under its TransformerLens hook name.

  gpt2_reference.py make DIR --layers L --heads H --embd D --positions P --vocab V --seed S [--prefix] [--inner M]
                    [--forward TOKENS_FILE OUT_FILE]
      Writes a random GPT-2 into DIR (config.json + model.safetensors) as transformers would: Conv1D weights [in, out],
      the attention-mask buffers h.{l}.attn.bias, and lm_head.weight (equal to wte.weight); with --prefix every name
      starts with "transformer." (GPT2LMHeadModel's state dict). Weights are drawn large enough (LayerNorm gains and
      biases included) that every parameter visibly matters. With --forward, then runs the forward command below on it
      (one interpreter start instead of two).

  gpt2_reference.py forward DIR TOKENS_FILE OUT_FILE
      Reads the model in DIR and int64 tokens [B, T] ("tokens" in TOKENS_FILE) and writes OUT_FILE with "logits"
      [B, T, V], "loss" (mean next-token cross-entropy), every hook activation by TransformerLens name, and
      "grad.<parameter>", the loss's gradient with respect to each parameter (Hugging Face names and layout).

Prints "OK" on success. The bench (bench/SaeWorkbench.Models.Bench) imports load_model and forward from this file, so
it times exactly the forward pass that the tests compare against.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "BOOL": torch.bool, "U8": torch.uint8}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = bytearray(data[8 + n + a:8 + n + b])
        dtype = DTYPES[e["dtype"]]
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_model(model_dir):
    """(config dict, parameters by name without the "transformer." prefix, float32, Conv1D weights [in, out])."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    params = {}
    for name, t in raw.items():
        if name.startswith("transformer."):
            name = name[len("transformer."):]
        if name == "lm_head.weight" or name.endswith(".attn.bias") or name.endswith(".attn.masked_bias"):
            continue
        params[name] = t.float()
    cfg.setdefault("n_positions", cfg.get("n_ctx"))
    return cfg, params


def conv1d(x, w, b):
    """Hugging Face's Conv1D: x @ W + b with W [in, out]."""
    out = torch.addmm(b, x.reshape(-1, x.shape[-1]), w)
    return out.view(*x.shape[:-1], w.shape[1])


def gelu_tanh(x):
    """GPT-2's GELU (transformers' gelu_new): 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))."""
    return F.gelu(x, approximate="tanh")


def forward(cfg, p, tokens, stop_after_layer=None, cache=None):
    """Logits [B, T, V] of int64 tokens [B, T]; with stop_after_layer = l, the residual stream after block l (no later
    blocks, no logits). With a dict as cache, every activation is stored in it under its TransformerLens name."""
    def rec(name, x):
        if cache is not None:
            cache[name] = x

    B, T = tokens.shape
    D, H = cfg["n_embd"], cfg["n_head"]
    Dh = D // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    tok = p["wte.weight"][tokens]
    rec("hook_embed", tok)
    pos = p["wpe.weight"][:T]
    rec("hook_pos_embed", pos.unsqueeze(0).expand(B, T, D))
    x = tok + pos
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    for l in range(cfg["n_layer"]):
        hp = f"h.{l}."
        bl = f"blocks.{l}."
        rec(bl + "hook_resid_pre", x)
        a = F.layer_norm(x, (D,), p[hp + "ln_1.weight"], p[hp + "ln_1.bias"], eps)
        q, k, v = conv1d(a, p[hp + "attn.c_attn.weight"], p[hp + "attn.c_attn.bias"]).split(D, dim=2)
        q, k, v = q.view(B, T, H, Dh), k.view(B, T, H, Dh), v.view(B, T, H, Dh)
        rec(bl + "attn.hook_q", q)
        rec(bl + "attn.hook_k", k)
        rec(bl + "attn.hook_v", v)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(Dh))
        att = att.masked_fill(future, float("-inf"))
        att = F.softmax(att, dim=-1)
        rec(bl + "attn.hook_pattern", att)
        z = (att @ v).transpose(1, 2)
        rec(bl + "attn.hook_z", z)
        attn_out = conv1d(z.reshape(B, T, D), p[hp + "attn.c_proj.weight"], p[hp + "attn.c_proj.bias"])
        rec(bl + "hook_attn_out", attn_out)
        x = x + attn_out
        rec(bl + "hook_resid_mid", x)
        m = F.layer_norm(x, (D,), p[hp + "ln_2.weight"], p[hp + "ln_2.bias"], eps)
        pre = conv1d(m, p[hp + "mlp.c_fc.weight"], p[hp + "mlp.c_fc.bias"])
        rec(bl + "mlp.hook_pre", pre)
        post = gelu_tanh(pre)
        rec(bl + "mlp.hook_post", post)
        mlp_out = conv1d(post, p[hp + "mlp.c_proj.weight"], p[hp + "mlp.c_proj.bias"])
        rec(bl + "hook_mlp_out", mlp_out)
        x = x + mlp_out
        rec(bl + "hook_resid_post", x)
        if stop_after_layer is not None and l == stop_after_layer:
            return x
    x = F.layer_norm(x, (D,), p["ln_f.weight"], p["ln_f.bias"], eps)
    return x @ p["wte.weight"].t()


def self_check():
    """The library functions the forward pass uses against their textbook formulas."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(7, 13, generator=g, dtype=torch.float64) * 3
    explicit = 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    assert torch.allclose(gelu_tanh(x), explicit, rtol=1e-12, atol=1e-12), "F.gelu(approximate='tanh') is not GPT-2's GELU"
    w, b = torch.randn(13, generator=g, dtype=torch.float64), torch.randn(13, generator=g, dtype=torch.float64)
    mu, var = x.mean(-1, keepdim=True), x.var(-1, unbiased=False, keepdim=True)
    assert torch.allclose(F.layer_norm(x, (13,), w, b, 1e-5), (x - mu) / torch.sqrt(var + 1e-5) * w + b, rtol=1e-10, atol=1e-10)


def make(model_dir, layers, heads, embd, positions, vocab, seed, prefix, inner):
    g = torch.Generator().manual_seed(seed)
    D, M = embd, inner or 4 * embd

    def rnd(*shape, std=1.0, mean=0.0):
        return torch.randn(*shape, generator=g) * std + mean

    t = {"wte.weight": rnd(vocab, D), "wpe.weight": rnd(positions, D, std=0.5)}
    for l in range(layers):
        h = f"h.{l}."
        t[h + "ln_1.weight"] = rnd(D, std=0.2, mean=1.0)
        t[h + "ln_1.bias"] = rnd(D, std=0.2)
        t[h + "attn.bias"] = torch.ones(positions, positions).tril().view(1, 1, positions, positions)
        t[h + "attn.masked_bias"] = torch.tensor(-1e4)
        t[h + "attn.c_attn.weight"] = rnd(D, 3 * D, std=1.5 / math.sqrt(D))
        t[h + "attn.c_attn.bias"] = rnd(3 * D, std=0.2)
        t[h + "attn.c_proj.weight"] = rnd(D, D, std=1.0 / math.sqrt(D))
        t[h + "attn.c_proj.bias"] = rnd(D, std=0.2)
        t[h + "ln_2.weight"] = rnd(D, std=0.2, mean=1.0)
        t[h + "ln_2.bias"] = rnd(D, std=0.2)
        t[h + "mlp.c_fc.weight"] = rnd(D, M, std=1.0 / math.sqrt(D))
        t[h + "mlp.c_fc.bias"] = rnd(M, std=0.2)
        t[h + "mlp.c_proj.weight"] = rnd(M, D, std=1.0 / math.sqrt(M))
        t[h + "mlp.c_proj.bias"] = rnd(D, std=0.2)
    t["ln_f.weight"] = rnd(D, std=0.2, mean=1.0)
    t["ln_f.bias"] = rnd(D, std=0.2)
    names = {("transformer." + k if prefix else k): v for k, v in t.items()}
    names["lm_head.weight"] = t["wte.weight"].clone()
    os.makedirs(model_dir, exist_ok=True)
    write_safetensors(os.path.join(model_dir, "model.safetensors"), names, {"format": "pt"})
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": layers, "n_head": heads,
           "n_embd": embd, "n_positions": positions, "n_ctx": positions, "vocab_size": vocab,
           "n_inner": inner, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
           "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "initializer_range": 0.02,
           "bos_token_id": vocab - 1, "eos_token_id": vocab - 1}
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def run_forward(model_dir, tokens_file, out_file):
    """The forward command: logits, loss, hook activations and parameter gradients into out_file."""
    cfg, p = load_model(model_dir)
    tokens = read_safetensors(tokens_file)["tokens"]
    cache = {}
    with torch.no_grad():
        logits = forward(cfg, p, tokens, cache=cache)
        B, T, V = logits.shape
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))
    out = {name: x.contiguous() for name, x in cache.items()}
    out["logits"] = logits
    out["loss"] = loss.reshape(1)
    # Training: the gradient of the same loss with respect to every parameter (Conv1D weights [in, out]).
    for t in p.values():
        t.requires_grad_(True)
    logits = forward(cfg, p, tokens)
    F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1)).backward()
    for name, t in p.items():
        out["grad." + name] = t.grad
    write_safetensors(out_file, out)


def main():
    args = sys.argv[1:]
    torch.set_num_threads(1)
    self_check()
    if args[:1] == ["make"]:
        opts = {"--prefix": False, "--inner": None, "--forward": None}
        model_dir, rest = args[1], args[2:]
        i = 0
        while i < len(rest):
            if rest[i] == "--prefix":
                opts["--prefix"] = True
                i += 1
            elif rest[i] == "--forward":
                opts["--forward"] = rest[i + 1:i + 3]
                i += 3
            else:
                opts[rest[i]] = rest[i + 1]
                i += 2
        make(model_dir, int(opts["--layers"]), int(opts["--heads"]), int(opts["--embd"]), int(opts["--positions"]),
             int(opts["--vocab"]), int(opts["--seed"]), opts["--prefix"],
             None if opts["--inner"] is None else int(opts["--inner"]))
        if opts["--forward"]:
            run_forward(model_dir, *opts["--forward"])
    elif args[:1] == ["forward"]:
        run_forward(*args[1:4])
    else:
        sys.exit(__doc__)
    print("OK")


if __name__ == "__main__":
    main()
