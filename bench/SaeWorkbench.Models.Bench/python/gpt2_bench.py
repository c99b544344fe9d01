#!/usr/bin/python3
"""Python side of the GPT-2 forward benchmark (bench/SaeWorkbench.Models.Bench): bridge_bench.py's JSON-lines worker
with one more workload, "gpt2_forward", which times gpt2_reference.forward (the GPT-2 the C# tests compare against)
under torch.no_grad() on a model folder and a token file the C# side wrote. Run with /usr/bin/python3:

  gpt2_bench.py --serve --threads N          (driven by the C# benchmark, as bridge_bench.py --serve)

gpt2_forward parameters: model_dir (config.json + model.safetensors), tokens_file (safetensors, "tokens" int64
[B, T]), stop_after_layer (-1: the full forward to logits; l: return the residual stream after block l).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import bridge_bench  # noqa: E402
import gpt2_reference  # noqa: E402


class Gpt2Forward:
    def __init__(self, model_dir, tokens_file, stop_after_layer):
        self.cfg, self.params = gpt2_reference.load_model(model_dir)
        self.tokens = gpt2_reference.read_safetensors(tokens_file)["tokens"]
        self.stop = None if stop_after_layer < 0 else stop_after_layer

    def once(self):
        t0 = time.perf_counter()
        with torch.no_grad():
            out = gpt2_reference.forward(self.cfg, self.params, self.tokens, self.stop)
        del out
        return time.perf_counter() - t0


bridge_bench.WORKLOADS["gpt2_forward"] = Gpt2Forward

if __name__ == "__main__":
    bridge_bench.main()
