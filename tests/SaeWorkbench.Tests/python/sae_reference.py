#!/usr/bin/env python3
"""Independent references for the SAE weight interchange tests (Debian's torch; no safetensors package needed).

  sae_reference.py released OUT_DIR
      Writes OUT_DIR/released_topk.safetensors with random weights under the tensor names of the TopK paper's released
      SAEs (openai/sparse_autoencoder: encoder.weight [n, d], decoder.weight [d, n], pre_bias [d], latent_bias [n],
      stats_last_nonzero [n]) and OUT_DIR/released_reference.safetensors with inputs x and the latents and
      reconstructions of that model's forward pass (per-token LN with eps 1e-5, TopK k = 5, ReLU, decode, undo LN).

  sae_reference.py saelens SAE_DIR X_FILE OUT_FILE
      Reads an SAE in SAELens's layout (cfg.json + sae_weights.safetensors) written by the C# side and inputs x, and
      writes feature_acts and sae_out computed with SAELens's formulas for its architecture (standard, topk, jumprelu,
      gated) and normalize_activations (none, layer_norm).

Prints "OK" on success.
"""
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}


def read(path):
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
        t = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]]) if raw else torch.zeros(0, dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def write(path, tensors, metadata=None):
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


def layer_norm(x, eps=1e-5):
    # openai/sparse_autoencoder's LN (and SAELens's "layer_norm"): unbiased std, eps added to std.
    mu = x.mean(dim=-1, keepdim=True)
    x = x - mu
    std = x.std(dim=-1, keepdim=True)
    return x / (std + eps), mu, std


def topk_relu(pre, k):
    top = torch.topk(pre, k=k, dim=-1)
    return torch.zeros_like(pre).scatter_(-1, top.indices, torch.relu(top.values))


def released(out_dir):
    g = torch.Generator().manual_seed(1234)
    d, n, k = 12, 40, 5
    encoder = torch.nn.Linear(d, n, bias=False)
    decoder = torch.nn.Linear(n, d, bias=False)
    with torch.no_grad():
        encoder.weight.copy_(torch.randn(n, d, generator=g) / d ** 0.5)
        decoder.weight.copy_(torch.randn(d, n, generator=g))
        decoder.weight.div_(decoder.weight.norm(dim=0, keepdim=True))
    pre_bias = torch.randn(d, generator=g) * 0.1
    latent_bias = torch.randn(n, generator=g) * 0.05
    x = torch.randn(7, d, generator=g) * 3.0 + 0.7
    with torch.no_grad():
        xn, mu, std = layer_norm(x)
        latents = topk_relu(encoder(xn - pre_bias) + latent_bias, k)
        recons = (decoder(latents) + pre_bias) * std + mu
    write(f"{out_dir}/released_topk.safetensors", {
        "encoder.weight": encoder.weight.detach(),
        "decoder.weight": decoder.weight.detach(),
        "pre_bias": pre_bias,
        "latent_bias": latent_bias,
        "stats_last_nonzero": torch.zeros(n, dtype=torch.int64),
    })
    write(f"{out_dir}/released_reference.safetensors", {"x": x, "latents": latents, "recons": recons})


def saelens(sae_dir, x_file, out_file):
    with open(f"{sae_dir}/cfg.json") as f:
        cfg = json.load(f)
    w = read(f"{sae_dir}/sae_weights.safetensors")
    x = read(x_file)["x"].to(torch.float32)
    assert w["W_enc"].shape == (cfg["d_in"], cfg["d_sae"]), w["W_enc"].shape
    assert w["W_dec"].shape == (cfg["d_sae"], cfg["d_in"]), w["W_dec"].shape
    norm = cfg["normalize_activations"]
    if norm == "layer_norm":
        x, mu, std = layer_norm(x)
    else:
        assert norm == "none", norm
    sae_in = x - w["b_dec"] * cfg["apply_b_dec_to_input"]
    arch = cfg["architecture"]
    if arch == "standard":
        acts = torch.relu(sae_in @ w["W_enc"] + w["b_enc"])
    elif arch == "topk":
        assert cfg["k"] == cfg["activation_fn_kwargs"]["k"]
        acts = topk_relu(sae_in @ w["W_enc"] + w["b_enc"], cfg["k"])
    elif arch == "jumprelu":
        pre = sae_in @ w["W_enc"] + w["b_enc"]
        acts = torch.relu(pre) * (pre > w["threshold"])
    elif arch == "gated":
        pre = sae_in @ w["W_enc"]
        gate = ((pre + w["b_gate"]) > 0).to(pre.dtype)
        acts = gate * torch.relu(pre * torch.exp(w["r_mag"]) + w["b_mag"])
    else:
        raise SystemExit(f"unknown architecture {arch}")
    out = acts @ w["W_dec"] + w["b_dec"]
    if norm == "layer_norm":
        out = out * std + mu
    write(out_file, {"feature_acts": acts.contiguous(), "sae_out": out.contiguous()})


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "released":
        released(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "saelens":
        saelens(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print("OK")


if __name__ == "__main__":
    main()
