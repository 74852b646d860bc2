#!/usr/bin/env python3
"""Generate the W7B (or W70B) benchmark workload: PEFT LoRA adapters with LLaMA-2 shapes.

Only numpy is required (no torch, no safetensors package): the safetensors
files are written by hand.

Format written (https://github.com/huggingface/safetensors):
  * 8 bytes: little-endian u64 N = length of the JSON header
  * N bytes: JSON header, padded with spaces to a multiple of 8
  * raw little-endian tensor data; each header entry is
      {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}
    with offsets relative to the start of the data section, contiguous,
    no gaps, in the same (sorted-by-name) order as the data.
  * "__metadata__": {"format": "pt"}

Each adapter directory contains adapter_config.json and
adapter_model.safetensors.  Tensors are streamed to disk one at a time, so
peak memory is one tensor (~350 KB), not the whole adapter.

Defaults (W7B): 3 adapters, 32 layers, r=8, lora_alpha=16, F32,
~80 MB per adapter.  W70B (`--shape 70b --layers 80 --rank 16 --dtype bf16`):
LLaMA-2-70B shapes (hidden 8192, intermediate 28672, grouped-query k/v 1024 x 8192),
~414 MB per adapter.  bf16 values are the float32 draws rounded to nearest even.  A ~ N(0, (1/sqrt(in))^2), B ~ N(0, 0.01^2).
Seed for adapter i (1-based) is --seed + i - 1.

Usage:
  make_w7b_adapters.py OUTDIR [--adapters 3] [--layers 32] [--rank 8]
                              [--alpha 16] [--seed 1] [--b-std 0.01]
                              [--shape 7b|70b] [--dtype f32|bf16]

Writes OUTDIR/adapter_1 ... OUTDIR/adapter_K and, last of all, the marker
OUTDIR/.complete (a JSON description of the parameters used).  Existing
adapter directories are overwritten.
"""

import argparse
import json
import os
import struct
import time

import numpy as np


def modules_for(shape):
    """(submodule path, module name, out_features, in_features) of one decoder layer."""
    if shape == "70b":
        hidden, intermediate, kv = 8192, 28672, 1024   # LLaMA-2-70B: 8 key/value heads of 128
    else:
        hidden, intermediate, kv = 4096, 11008, 4096   # LLaMA-2-7B
    return [
        ("self_attn", "q_proj", hidden, hidden),
        ("self_attn", "k_proj", kv, hidden),
        ("self_attn", "v_proj", kv, hidden),
        ("self_attn", "o_proj", hidden, hidden),
        ("mlp", "gate_proj", intermediate, hidden),
        ("mlp", "up_proj", intermediate, hidden),
        ("mlp", "down_proj", hidden, intermediate),
    ]


MODULES = modules_for("7b")

GENERATOR_VERSION = 1


def adapter_config(rank, alpha):
    return {
        "peft_type": "LORA",
        "r": rank,
        "lora_alpha": alpha,
        "lora_dropout": 0.0,
        "use_rslora": False,
        "fan_in_fan_out": False,
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj",
                           "gate_proj", "up_proj", "down_proj"],
        "rank_pattern": {},
        "alpha_pattern": {},
        "base_model_name_or_path": "meta-llama/Llama-2-7b-hf",
        "task_type": "CAUSAL_LM",
        "bias": "none",
        "modules_to_save": None,
        "use_dora": False,
        "inference_mode": True,
    }


def tensor_specs(layers, rank, modules=MODULES):
    """Return [(key, shape, kind, in_features)] sorted by key.

    kind is "A" or "B"; the data is written in exactly this order.
    """
    specs = []
    for layer in range(layers):
        for sub, name, out_f, in_f in modules:
            prefix = f"base_model.model.model.layers.{layer}.{sub}.{name}"
            specs.append((f"{prefix}.lora_A.weight", (rank, in_f), "A", in_f))
            specs.append((f"{prefix}.lora_B.weight", (out_f, rank), "B", in_f))
    specs.sort(key=lambda s: s[0])
    return specs


def build_header(specs, dtype="f32"):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    size = 4 if dtype == "f32" else 2
    for key, shape, _kind, _in_f in specs:
        nbytes = size * shape[0] * shape[1]
        header[key] = {"dtype": dtype.upper(), "shape": list(shape),
                       "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return raw, offset


def to_bf16(arr):
    """float32 -> bfloat16 bits (round to nearest even; the draws are finite)."""
    bits = arr.view(np.uint32)
    rounded = bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    return (rounded >> np.uint32(16)).astype("<u2")


def write_adapter(path, layers, rank, alpha, seed, b_std, shape="7b", dtype="f32"):
    os.makedirs(path, exist_ok=True)
    specs = tensor_specs(layers, rank, modules_for(shape))
    header, data_len = build_header(specs, dtype)
    rng = np.random.default_rng(seed)

    st_path = os.path.join(path, "adapter_model.safetensors")
    tmp_path = st_path + ".tmp"
    with open(tmp_path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        written = 0
        for _key, shape, kind, in_f in specs:
            arr = rng.standard_normal(shape, dtype=np.float32)
            arr *= np.float32(1.0 / np.sqrt(in_f)) if kind == "A" else np.float32(b_std)
            arr = np.ascontiguousarray(arr, dtype="<f4") if dtype == "f32" else to_bf16(arr)
            f.write(memoryview(arr).cast("B"))
            written += arr.nbytes
    if written != data_len:
        raise RuntimeError(f"wrote {written} data bytes, header says {data_len}")
    os.replace(tmp_path, st_path)

    with open(os.path.join(path, "adapter_config.json"), "w") as f:
        config = adapter_config(rank, alpha)
        if shape == "70b":
            config["base_model_name_or_path"] = "meta-llama/Llama-2-70b-hf"
        json.dump(config, f, indent=2)
        f.write("\n")
    return 8 + len(header) + data_len


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--adapters", type=int, default=3)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--b-std", type=float, default=0.01)
    ap.add_argument("--shape", choices=["7b", "70b"], default="7b")
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    os.makedirs(args.outdir, exist_ok=True)
    marker = os.path.join(args.outdir, ".complete")
    if os.path.exists(marker):
        os.remove(marker)

    t0 = time.perf_counter()
    total = 0
    for i in range(1, args.adapters + 1):
        path = os.path.join(args.outdir, f"adapter_{i}")
        t = time.perf_counter()
        size = write_adapter(path, args.layers, args.rank, args.alpha,
                             args.seed + i - 1, args.b_std, args.shape, args.dtype)
        total += size
        if not args.quiet:
            print(f"  {path}: {size / 1e6:.1f} MB in {time.perf_counter() - t:.2f} s",
                  flush=True)
    elapsed = time.perf_counter() - t0

    params = {"generator_version": GENERATOR_VERSION, "adapters": args.adapters,
              "layers": args.layers, "rank": args.rank, "alpha": args.alpha,
              "seed": args.seed, "b_std": args.b_std}
    # Only non-default choices are recorded, so W7B caches made before they existed stay valid.
    if args.shape != "7b":
        params["shape"] = args.shape
    if args.dtype != "f32":
        params["dtype"] = args.dtype
    with open(marker, "w") as f:
        json.dump(params, f, sort_keys=True)
        f.write("\n")
    if not args.quiet:
        print(f"generated {args.adapters} adapters, {total / 1e6:.1f} MB total, "
              f"in {elapsed:.2f} s", flush=True)


if __name__ == "__main__":
    main()
