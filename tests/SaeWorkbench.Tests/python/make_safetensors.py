#!/usr/bin/env python3
"""Interop fixture for SafeTensorsFormatTests.

Writes a safetensors file by hand (struct + json, tensor bytes from torch) in the layout the reference
implementation uses: 8-byte little-endian header length, compact UTF-8 JSON header with "__metadata__" first,
padded with spaces to a multiple of 8, then the raw little-endian tensor bytes with contiguous offsets.

Usage:
  make_safetensors.py --out OUT.safetensors [--verify CSHARP_WRITTEN.safetensors]

With --verify, it also parses a file written by the C# SafeTensorsWriter (independently of the C# reader) and
checks that it holds exactly the tensors and metadata below. Prints "OK" and exits 0 on success.
The C# test builds the same tensors, so the two files must also be byte-identical.
"""
import argparse
import json
import struct
import sys

import torch


def expected_tensors():
    # Insertion order is the file order. Keep in sync with SafeTensorsFormatTests.PythonExpected().
    return {
        "f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1.0,
        "f64": torch.tensor([1.5, -2.25, 1e300], dtype=torch.float64),
        "f16": torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16),
        "bf16": torch.arange(4, dtype=torch.bfloat16).reshape(2, 2) - 1,
        "i64": torch.tensor([-(2 ** 62), 7], dtype=torch.int64),
        "i32": torch.tensor([[1, -2], [3, -4]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 42], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
        "scalar": torch.tensor(3.25, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
        # Non-contiguous source: must be written in row-major (contiguous) order.
        "model.layers.0.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
    }


METADATA = {"format": "pt", "source": "python"}

DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
NAME_DTYPES = {v: k for k, v in DTYPE_NAMES.items()}


def tensor_bytes(t):
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def write(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = NAME_DTYPES[info["dtype"]]
        raw = bytearray(body[begin:end])
        if len(raw) == 0:
            t = torch.empty(info["shape"], dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype).reshape(info["shape"])
        tensors[name] = t
    return tensors, metadata


def verify(path):
    expected = expected_tensors()
    tensors, metadata = read(path)
    errors = []
    if metadata != METADATA:
        errors.append(f"metadata {metadata!r} != {METADATA!r}")
    if list(tensors) != list(expected):
        errors.append(f"names {list(tensors)} != {list(expected)}")
    for name, e in expected.items():
        t = tensors.get(name)
        if t is None:
            continue
        if t.dtype != e.dtype or tuple(t.shape) != tuple(e.shape) or not torch.equal(t, e):
            errors.append(f"tensor {name}: got {t.dtype} {tuple(t.shape)} {t.tolist()} expected {e.dtype} {tuple(e.shape)} {e.tolist()}")
    return errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--verify")
    a = p.parse_args()
    write(a.out, expected_tensors(), METADATA)
    if a.verify:
        errors = verify(a.verify)
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
