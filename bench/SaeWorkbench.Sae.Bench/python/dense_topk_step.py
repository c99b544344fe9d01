#!/usr/bin/env python3
"""The comparison side of the TopK training-step benchmark: a straightforward dense-autograd TopK SAE in Debian's
PyTorch (the same libtorch 1.13 the C# bridge calls), as one would write it from the paper:

    pre = (x - b_pre) @ W_enc.T + b_enc              [B, n]   dense
    vals, idx = pre.topk(k); z = zeros.scatter(idx, relu(vals))   [B, n] dense latents
    x_hat = z @ W_dec + b_pre                          dense decode
    loss = mse(x_hat, x) / mse(mean(x), x)             normalized MSE (constant denominator)
    loss.backward(); remove the decoder gradient parallel to each row; Adam; renormalise decoder rows

Usage: dense_topk_step.py D N K B STEPS THREADS
Prints one line per step "step SECONDS" after a warm-up step, then "gemm SECONDS" lines for the encoder GEMM alone,
then "peak_rss_bytes N" (VmHWM over the measured steps, reset before them) and "OK".
"""
import sys
import time

import torch


def peak_rss_reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def main():
    d, n, k, b, steps, threads = (int(a) for a in sys.argv[1:7])
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    w_dec = torch.randn(n, d, generator=g)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    W_enc = torch.nn.Parameter(w_dec.clone())
    W_dec = torch.nn.Parameter(w_dec)
    b_enc = torch.nn.Parameter(torch.zeros(n))
    b_pre = torch.nn.Parameter(torch.zeros(d))
    opt = torch.optim.Adam([W_enc, W_dec, b_enc, b_pre], lr=1e-4, eps=6.25e-10)
    x = torch.randn(b, d, generator=g)
    baseline = (x - x.mean(0)).pow(2).sum(-1).mean()

    def step():
        pre = (x - b_pre) @ W_enc.t() + b_enc
        vals, idx = pre.topk(k, dim=-1)
        z = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
        x_hat = z @ W_dec + b_pre
        loss = (x_hat - x).pow(2).sum(-1).mean() / baseline
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            W_dec.grad -= (W_dec.grad * W_dec).sum(1, keepdim=True) * W_dec
        opt.step()
        with torch.no_grad():
            W_dec.div_(W_dec.norm(dim=1, keepdim=True))
        return loss.item()

    step()  # warm-up
    peak_rss_reset()
    for _ in range(steps):
        t = time.perf_counter()
        step()
        print(f"step {time.perf_counter() - t:.6f}", flush=True)
    rss = peak_rss()
    with torch.no_grad():
        for _ in range(steps):
            t = time.perf_counter()
            torch.mm(x, W_enc.t())
            print(f"gemm {time.perf_counter() - t:.6f}", flush=True)
    print(f"peak_rss_bytes {rss}")
    print("OK")


if __name__ == "__main__":
    main()
