#!/usr/bin/env python3
"""How much storing an adapter in bf16 changes its deltas: compares two safetensors files with the
same LoRA modules (e.g. a merge exported with `--dtype f32` and without, or the f32 and bf16
versions of the same generated adapter).

For each module (every k-th of them with --sample) it prints nothing; at the end, the median and
maximum over modules of
  * ||B1 A1 - B2 A2||_F / ||B1 A1||_F   (the delta's relative change), and
  * |std(B2 A2) / std(B1 A1) - 1|        (what SeedLoRA matches),
computed from the factors in float64 (Gram matrices of [B1, -B2] and [A1; A2]), without forming
any out x in matrix. numpy only.

Usage: scripts/measure-rounding.py REFERENCE.safetensors OTHER.safetensors [--sample 40]
"""
import argparse
import json
import struct

import numpy as np


def open_file(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return np.memmap(path, dtype=np.uint8, mode="r"), header, 8 + n


def tensor(stored, name):
    data, header, base = stored
    entry = header[name]
    begin, end = entry["data_offsets"]
    raw = data[base + begin:base + end]
    if entry["dtype"] == "F32":
        values = raw.view(np.float32)
    elif entry["dtype"] == "BF16":
        values = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    else:
        raise SystemExit(f"{name}: dtype {entry['dtype']} not handled (F32, BF16)")
    return values.reshape(entry["shape"]).astype(np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--sample", type=int, default=40, help="about this many modules, evenly spaced (default 40)")
    args = ap.parse_args()
    ref, other = open_file(args.reference), open_file(args.other)
    suffix = ".lora_A.weight"
    names = sorted(k[:-len(suffix)] for k in ref[1] if k.endswith(suffix))
    if not names:
        raise SystemExit(f"{args.reference}: no LoRA modules")
    step = max(1, len(names) // max(1, args.sample))
    changes, stds = [], []
    for name in names[::step]:
        a1, b1 = tensor(ref, name + suffix), tensor(ref, name + ".lora_B.weight")
        a2, b2 = tensor(other, name + suffix), tensor(other, name + ".lora_B.weight")
        b, a = np.hstack([b1, -b2]), np.vstack([a1, a2])
        diff = np.sum((b.T @ b) * (a @ a.T))
        norm = np.sum((b1.T @ b1) * (a1 @ a1.T))
        changes.append(np.sqrt(max(diff, 0.0) / norm) if norm > 0 else float("nan"))
        count = b1.shape[0] * a1.shape[1]

        def std(bb, aa):
            mean = (bb.sum(0) @ aa.sum(1)) / count
            return np.sqrt(np.sum((bb.T @ bb) * (aa @ aa.T)) / count - mean * mean)

        stds.append(abs(std(b2, a2) / std(b1, a1) - 1))
    print(f"{len(changes)} modules: relative change of the delta median {np.median(changes):.3e}, "
          f"max {max(changes):.3e}; of its std median {np.median(stds):.1e}, max {max(stds):.1e}")


if __name__ == "__main__":
    main()
