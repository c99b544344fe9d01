#!/usr/bin/env python3
"""Independent reference for the probe loss (Debian's torch): every single-latent logistic regression fitted densely
with torch.optim.LBFGS (strong Wolfe line search), in float64.

  probe_reference.py IN_FILE OUT_FILE LAMBDA

IN_FILE (safetensors): latents [T, N] F64, labels [T, J] F64 (0/1), held_out [T] F64 (1 = held out).
For each latent i and task j, on the training tokens: a = latent / rms(latent on training tokens) (rms 0 -> 1),
minimise mean_t CE(sigmoid(w a_t + b), y_t) + LAMBDA / 2 w^2 from w = 0, b = logit(training positive rate).
OUT_FILE: w_raw [N, J] (= w / rms), b [N, J], train_ce [N, J] (without the penalty), test_ce [N, J], label_entropy [J]
(held-out cross-entropy of the training positive rate). Prints "OK".
"""
import sys

import torch

from sae_reference import read, write


def main():
    inp, out, lam = sys.argv[1], sys.argv[2], float(sys.argv[3])
    d = read(inp)
    x, y, held = d["latents"], d["labels"], d["held_out"] > 0.5
    tr, te = ~held, held
    n, j = x.shape[1], y.shape[1]
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    res = {k: torch.zeros(n, j, dtype=torch.float64) for k in ("w_raw", "b", "train_ce", "test_ce")}
    p = y[tr].mean(0)
    res["label_entropy"] = -(y[te] * torch.log(p) + (1 - y[te]) * torch.log(1 - p)).mean(0)
    for i in range(n):
        rms = x[tr, i].pow(2).mean().sqrt().item()
        rms = rms if rms > 0 else 1.0
        a_tr, a_te = x[tr, i] / rms, x[te, i] / rms
        for k in range(j):
            w = torch.zeros((), dtype=torch.float64, requires_grad=True)
            b = torch.log(p[k] / (1 - p[k])).clone().requires_grad_(True)
            opt = torch.optim.LBFGS([w, b], lr=1, max_iter=1000, tolerance_grad=1e-13, tolerance_change=1e-16,
                                    history_size=20, line_search_fn="strong_wolfe")

            def closure():
                opt.zero_grad()
                loss = bce(w * a_tr + b, y[tr, k]) + 0.5 * lam * w * w
                loss.backward()
                return loss

            for _ in range(5):
                opt.step(closure)
            with torch.no_grad():
                res["w_raw"][i, k] = w / rms
                res["b"][i, k] = b
                res["train_ce"][i, k] = bce(w * a_tr + b, y[tr, k])
                res["test_ce"][i, k] = bce(w * a_te + b, y[te, k])
    write(out, res)
    print("OK")


if __name__ == "__main__":
    main()
