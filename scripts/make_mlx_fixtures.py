#!/usr/bin/env python3
"""Generate the mlx-lm adapter fixtures in Tests/Fixtures/mlx (a developer tool, not run by CI).

Every adapter here is made by mlx-lm's own code: the tiny LLaMA in examples/base is loaded with
`mlx_lm.utils.load_model`, its linear layers are wrapped by `mlx_lm.tuner.utils.linear_to_lora_layers`,
trained for a few steps by `mlx_lm.tuner.trainer.train` (which writes adapters.safetensors), and
adapter_config.json is written by `mlx_lm.utils.save_config` from mlx_lm.lora's CONFIG_DEFAULTS,
exactly as `mlx_lm.lora --train` does. No hub download: the data are synthetic token sequences.

Needs mlx and mlx-lm from PyPI. On Linux x86_64 the CPU backend is the `cpu` extra:
  python3 -m venv /tmp/mlx && /tmp/mlx/bin/pip install "mlx[cpu]" mlx-lm
  /tmp/mlx/bin/python scripts/make_mlx_fixtures.py
(`pip install mlx` alone installs a Linux wheel without a backend: `import mlx.core` then fails
with "libmlx.so: cannot open shared object file".)

Writes, from the repository root:
  Tests/Fixtures/mlx/taskA_seed{11,42,202}/   adapters.safetensors + adapter_config.json (LoRA)
  Tests/Fixtures/mlx/taskA_dora_seed42/       the same with fine_tune_type "dora" (merged only with --base)
  Tests/Fixtures/mlx/fused_deltas.safetensors `<seed dir>/<module>`: the delta mlx-lm's own
                                              LoRALinear.fuse() adds (fused onto a zero base
                                              weight, so the delta is exact, not W' - W); for
                                              the DoRA adapter DoRALinear.fuse().weight - W

With --check-export SEEDLORA (a built seedlora binary) it instead checks seedlora's exports of
a merge of the three seeds, printing the measured differences (nothing is written to the repo):
  - `seedlora merge --format mlx` loads with mlx_lm's load_adapters onto examples/base, and the
    weights mlx-lm fuses from it equal base + the merged delta (from `--format delta`);
  - the `--format peft` export and a reference file for scripts/check_peft_load.py are left in
    the printed directory, for the PEFT load check (a torch venv).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from mlx.utils import tree_flatten
from mlx_lm.lora import CONFIG_DEFAULTS
from mlx_lm.tuner.trainer import TrainingArgs, train
from mlx_lm.tuner.utils import linear_to_lora_layers, load_adapters
from mlx_lm.utils import load_model, save_config

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "examples" / "base"
OUT = ROOT / "Tests" / "Fixtures" / "mlx"
SEEDS = [11, 42, 202]
# All linear layers of the LLaMA block, as PEFT's examples/adapters adapt them (so mixed merges
# of these with examples/adapters/taskA_* line up module for module).
KEYS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


def task_data(vocab, n, seed=0):
    """Synthetic 'task A' sequences: a, b, (a + b) mod vocab, repeated; the same for every seed."""
    rng = np.random.default_rng(seed)
    data = []
    for _ in range(n):
        a, b = rng.integers(3, vocab, size=2)
        seq = [1]
        for _ in range(5):
            seq += [int(a), int(b), int((a + b) % vocab)]
            a, b = b, (a + b) % vocab
        data.append((seq, 0))
    return data


def train_adapter(seed, out_dir, fine_tune_type="lora"):
    """Wrap, train and save one adapter the way `mlx_lm.lora --train` does."""
    mx.random.seed(seed)
    np.random.seed(seed)
    model, _ = load_model(BASE)
    model.freeze()
    config = json.loads(json.dumps(CONFIG_DEFAULTS))
    config.update({
        "model": str(BASE.relative_to(ROOT)),
        "data": "synthetic task A token sequences (scripts/make_mlx_fixtures.py)",
        "train": True,
        "fine_tune_type": fine_tune_type,
        "seed": seed,
        "num_layers": len(model.layers),
        "batch_size": 4,
        "iters": 30,
        "learning_rate": 1e-3,
        "adapter_path": str(out_dir.relative_to(ROOT)),
        "lora_parameters": {"rank": 8, "dropout": 0.0, "scale": 20.0, "keys": KEYS},
        "max_seq_length": 64,
    })
    linear_to_lora_layers(model, config["num_layers"], config["lora_parameters"],
                          use_dora=(fine_tune_type == "dora"))
    out_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, out_dir / "adapter_config.json")
    args = TrainingArgs(batch_size=4, iters=config["iters"], val_batches=0, steps_per_report=1000,
                        steps_per_eval=100000, steps_per_save=100000, max_seq_length=64,
                        adapter_file=str(out_dir / "adapters.safetensors"))
    data = task_data(model.args.vocab_size, 64)
    train(model, optim.Adam(learning_rate=config["learning_rate"]), data, None, args=args)
    return model


def fused_deltas(model, tag):
    """`tag/<module>` -> the delta LoRALinear.fuse() adds, computed by fuse() itself on a zero
    base weight (so it is the delta exactly, not a difference of rounded sums)."""
    deltas = {}
    for name, module in model.named_modules():
        if not hasattr(module, "fuse") or not hasattr(module, "lora_a"):
            continue
        weight = module.linear.weight
        module.linear.weight = mx.zeros_like(weight)
        deltas[f"{tag}/{name}"] = module.fuse().weight
        module.linear.weight = weight
    return deltas


def dora_deltas(model, tag):
    """`tag/<module>` -> DoRALinear.fuse().weight - W on the real base weight: DoRA's delta
    depends on W, so it is a difference (float32 rounding of W' - W, ~1e-7 * |W|)."""
    deltas = {}
    for name, module in model.named_modules():
        if hasattr(module, "fuse") and hasattr(module, "m"):
            deltas[f"{tag}/{name}"] = module.fuse().weight - module.linear.weight
    return deltas


def make_fixtures():
    if OUT.exists():
        shutil.rmtree(OUT)
    references = {}
    for seed in SEEDS:
        tag = f"taskA_seed{seed}"
        model = train_adapter(seed, OUT / tag)
        references.update(fused_deltas(model, tag))
        print(f"{tag}: {len([k for k in references if k.startswith(tag + '/')])} modules")
    dora = train_adapter(42, OUT / "taskA_dora_seed42", fine_tune_type="dora")
    references.update(dora_deltas(dora, "taskA_dora_seed42"))
    mx.save_safetensors(str(OUT / "fused_deltas.safetensors"), references)
    print(f"wrote {OUT}")


def run(cmd):
    print("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True)


def check_export(seedlora, method, work):
    seeds = [str(OUT / f"taskA_seed{s}") for s in SEEDS]
    common = [seedlora, "merge", "--method", method, *seeds, "--quiet"]
    run(common + ["--format", "mlx", "--out", f"{work}/mlx"])
    run(common + ["--format", "delta", "--out", f"{work}/delta"])
    run(common + ["--format", "peft", "--out", f"{work}/peft"])

    merged = mx.load(f"{work}/delta/delta.safetensors")
    base, _ = load_model(BASE)
    base_weights = dict(tree_flatten(base.parameters()))

    # mlx_lm's own loading and fusing path (mlx_lm.fuse does the same update_modules).
    model, _ = load_model(BASE)
    model.freeze()
    load_adapters(model, f"{work}/mlx")
    fused = [(n, m.fuse()) for n, m in model.named_modules() if hasattr(m, "fuse")]
    from mlx.utils import tree_unflatten
    model.update_modules(tree_unflatten(fused))
    fused_weights = dict(tree_flatten(model.parameters()))

    worst_abs, worst_rel, changed = 0.0, 0.0, 0
    for name, weight in fused_weights.items():
        expected = base_weights[name]
        if name in merged:
            expected = expected + merged[name]
            changed += 1
        diff = mx.abs(weight - expected).max().item()
        scale = max(mx.abs(expected).max().item(), 1e-30)
        worst_abs, worst_rel = max(worst_abs, diff), max(worst_rel, diff / scale)
    if changed != len(merged):
        sys.exit(f"FAIL: {len(merged)} merged deltas but only {changed} fused weights matched them")
    print(f"mlx_lm load_adapters + fuse of the --format mlx export vs base + merged delta "
          f"({changed} modules, {len(fused_weights)} tensors): max |diff| {worst_abs:.3g}, "
          f"max |diff| / max |W| {worst_rel:.3g}")

    # The reference for scripts/check_peft_load.py: merged/<method>/<module>.
    reference = {f"merged/{method}/{k[:-len('.weight')]}": v for k, v in merged.items()}
    mx.save_safetensors(f"{work}/reference.safetensors", reference)
    print(f"PEFT check: python scripts/check_peft_load.py {work}/peft --base {BASE} "
          f"--reference {work}/reference.safetensors --method {method}")
    return worst_abs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check-export", metavar="SEEDLORA", help="a built seedlora binary")
    ap.add_argument("--method", default="seedlora")
    ap.add_argument("--tol", type=float, default=1e-5, help="max |fused - (base + delta)|")
    args = ap.parse_args()
    mx.set_default_device(mx.cpu)
    if not args.check_export:
        make_fixtures()
        return
    work = tempfile.mkdtemp(prefix="mlx-export-check-")
    worst = check_export(args.check_export, args.method, work)
    if not worst <= args.tol:
        sys.exit(f"FAIL: fused weights differ from base + merged delta by {worst:.3g} > {args.tol:g}")
    print("OK")


if __name__ == "__main__":
    main()
