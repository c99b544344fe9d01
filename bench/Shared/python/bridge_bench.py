#!/usr/bin/python3
"""Python side of the SaeWorkbench bridge benchmark: times the same workloads as the C#
benchmark (bench/SaeWorkbench.Bench) with Debian's PyTorch, which runs on the very same
libtorch. Run it with /usr/bin/python3 (the interpreter that has torch).

Two ways to use it:

  * one shot, e.g. `bridge_bench.py gemm --reps 5 --warmup 1 [--quick] [--threads N]`:
    sets the workload up, times it and prints one JSON object (times in seconds, median, min);
  * `bridge_bench.py --serve`: a long-lived worker driven by the C# benchmark, one JSON
    command per line on stdin and one JSON reply per line on stdout. This lets the C# side
    interleave single repetitions of the two sides so that both see the same machine load:
        {"cmd": "info"}                                   -> versions, threads, BLAS
        {"cmd": "setup", "workload": "gemm", "params": {"m": 4096, "k": 768, "n": 32768}}
        {"cmd": "run", "reps": 1}                         -> {"times_s": [...], "cpu_s": [...]}
        {"cmd": "teardown"} / {"cmd": "quit"}

Workloads (parameters as in the C# benchmark; each repetition is timed with perf_counter, and
with process_time for the process's CPU time, all threads):
  gemm     C = A @ B, A [m, k], B [k, n], float32; the result is freed inside the timed region
  mlp      one Adam training step of x [batch, d] -> Linear(d, hidden) -> relu -> Linear(hidden, d)
           -> mse_loss vs a target [batch, d]: forward, backward, optimizer.step(),
           zero_grad(set_to_none=True)
  small_op `c = a + b` on `numel`-element float32 tensors, `calls` times; one repetition is
           the whole loop
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

FULL = {
    "gemm": {"m": 4096, "k": 768, "n": 32768},
    "mlp": {"batch": 4096, "d": 768, "hidden": 32768, "lr": 1e-4},
    "small_op": {"numel": 1, "calls": 200000},
}
QUICK = {
    "gemm": {"m": 1024, "k": 768, "n": 4096},
    "mlp": {"batch": 1024, "d": 768, "hidden": 4096, "lr": 1e-4},
    "small_op": {"numel": 1, "calls": 20000},
}


def blas_info():
    """The BLAS library libtorch calls in this process (the mapped libblas.so.3, as the C# side's
    torch.blas_info() reports it) and OpenBLAS's config string and thread count."""
    mapped = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) >= 6 and fields[-1].startswith("/") and fields[-1] not in mapped:
                    mapped.append(fields[-1])
    except OSError:
        pass

    def rank(path):
        base = os.path.basename(path)
        if base.startswith("libblas."):
            return 0  # what libtorch links against (Debian's alternatives pick the implementation)
        if base.startswith(("libmkl_rt", "libopenblas", "libblis")):
            return 1
        return None

    candidates = sorted((p for p in mapped if rank(p) is not None), key=rank)
    path = os.path.realpath(candidates[0]) if candidates else ""
    kind, config, threads = "unknown", "", None
    if path:
        try:
            lib = ctypes.CDLL(path)
            if hasattr(lib, "openblas_get_config"):
                kind = "openblas"
                lib.openblas_get_config.restype = ctypes.c_char_p
                config = lib.openblas_get_config().decode().strip()
                if hasattr(lib, "openblas_get_num_threads"):
                    threads = lib.openblas_get_num_threads()
            elif hasattr(lib, "mkl_get_version"):
                kind = "mkl"
            elif hasattr(lib, "bli_info_get_version_str"):
                kind = "blis"
            elif "/blas/" in path or os.path.basename(path).startswith("libblas"):
                kind = "reference"
        except OSError:
            pass
    return {"name": kind, "path": path, "config": config, "threads": threads}


def info():
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "num_threads": torch.get_num_threads(),
        "num_interop_threads": torch.get_num_interop_threads(),
        "blas": blas_info(),
    }


class Gemm:
    def __init__(self, m, k, n):
        g = torch.Generator().manual_seed(0)
        self.a = torch.randn(m, k, generator=g)
        self.b = torch.randn(k, n, generator=g)

    def once(self):
        t0 = time.perf_counter()
        c = torch.matmul(self.a, self.b)
        del c
        return time.perf_counter() - t0


class Mlp:
    def __init__(self, batch, d, hidden, lr):
        torch.manual_seed(0)
        self.fc1 = torch.nn.Linear(d, hidden)
        self.fc2 = torch.nn.Linear(hidden, d)
        params = list(self.fc1.parameters()) + list(self.fc2.parameters())
        # Single-tensor Adam (PyTorch 1.13's CPU default, spelled out), as the C# optimiser.
        self.opt = torch.optim.Adam(params, lr=lr, foreach=False)
        self.x = torch.randn(batch, d)
        self.target = torch.randn(batch, d)

    def _step(self):
        y = self.fc2(F.relu(self.fc1(self.x)))
        loss = F.mse_loss(y, self.target)
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)

    def once(self):
        t0 = time.perf_counter()
        self._step()
        return time.perf_counter() - t0


class SmallOp:
    def __init__(self, numel, calls):
        self.a = torch.rand(numel)
        self.b = torch.rand(numel)
        self.calls = calls

    def once(self):
        a, b = self.a, self.b
        t0 = time.perf_counter()
        for _ in range(self.calls):
            c = a + b  # noqa: F841 (the previous result is freed when c is rebound)
        t1 = time.perf_counter()
        return t1 - t0


WORKLOADS = {"gemm": Gemm, "mlp": Mlp, "small_op": SmallOp}


def make(workload, params):
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload '{workload}' (one of: {', '.join(WORKLOADS)})")
    return WORKLOADS[workload](**params)


def summary(times):
    return {"times_s": times, "median_s": statistics.median(times), "min_s": min(times)}


def serve():
    current = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "info":
                reply = info()
            elif cmd == "set_threads":
                torch.set_num_threads(int(req["threads"]))
                reply = {"num_threads": torch.get_num_threads()}
            elif cmd == "setup":
                current = None
                current = make(req["workload"], req["params"])
                reply = {"ok": True}
            elif cmd == "run":
                if current is None:
                    raise RuntimeError("run before setup")
                times, cpu = [], []
                for _ in range(int(req.get("reps", 1))):
                    c0 = time.process_time()
                    times.append(current.once())
                    cpu.append(time.process_time() - c0)
                reply = {"times_s": times, "cpu_s": cpu}
            elif cmd == "teardown":
                current = None
                reply = {"ok": True}
            elif cmd == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                raise ValueError(f"unknown command '{cmd}'")
        except Exception as e:  # reported to the driver, which fails with the message
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", nargs="?", choices=sorted(WORKLOADS), help="workload to time (one shot)")
    p.add_argument("--serve", action="store_true", help="JSON-lines worker for the C# benchmark")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: nproc)")
    p.add_argument("--params", type=json.loads, default=None, help='JSON overriding the sizes, e.g. \'{"m": 512}\'')
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    if args.serve:
        serve()
        return
    if not args.workload:
        p.error("give a workload or --serve")
    params = dict((QUICK if args.quick else FULL)[args.workload])
    params.update(args.params or {})
    w = make(args.workload, params)
    for _ in range(args.warmup):
        w.once()
    times = [w.once() for _ in range(args.reps)]
    print(json.dumps({"workload": args.workload, "params": params, **info(), **summary(times)}, indent=2))


if __name__ == "__main__":
    main()
