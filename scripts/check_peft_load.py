#!/usr/bin/env python3
"""Check that an exported PEFT adapter loads in PEFT and behaves like the merged delta.

Loads the base model twice (float32, CPU): once with the adapter applied by
`peft.PeftModel.from_pretrained`, once with the reference delta `merged/<method>/<module>`
added straight to each `<module>.weight`. Runs both on a fixed batch of token ids and
fails (exit 1) if the max abs logit difference exceeds --tol. Also fails if PEFT adapts
a different set of modules than the reference has, or leaves adapter tensors unloaded.

Usage:
  python3 scripts/check_peft_load.py ADAPTER_DIR --base BASE_DIR \
      --reference REF.safetensors [--method seedlora] [--tol 1e-4]

Deps (a developer tool only, not run by CI; the product itself never needs torch):
  python3 -m venv /path/to/venv && /path/to/venv/bin/pip install torch peft transformers safetensors
"""
import argparse
import sys

import torch
from peft import PeftModel
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

PEFT_PREFIX = "base_model.model."


def load_base(path):
    # float32 on CPU so the comparison measures the export, not reduced precision.
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, device_map="cpu")
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("adapter_dir")
    ap.add_argument("--base", required=True, help="base model directory (save_pretrained)")
    ap.add_argument("--reference", required=True, help="safetensors with merged/<method>/<module>")
    ap.add_argument("--method", default="seedlora")
    ap.add_argument("--tol", type=float, default=1e-4, help="max allowed abs logit difference")
    args = ap.parse_args()

    prefix = f"merged/{args.method}/"
    deltas = {k[len(prefix):]: v for k, v in load_file(args.reference).items() if k.startswith(prefix)}
    if not deltas:
        sys.exit(f"error: no '{prefix}*' tensors in {args.reference}")

    # Pass the base model object explicitly: adapter_config.json's base_model_name_or_path
    # may be relative to the adapter, not to the current directory.
    peft_model = PeftModel.from_pretrained(load_base(args.base), args.adapter_dir).eval()

    # A mis-named key would leave lora_B at its zero init; say so rather than only
    # showing up as a logit diff. Missing keys are the base weights, so only count lora ones.
    adapted = sorted(n[len(PEFT_PREFIX):] for n, m in peft_model.named_modules()
                     if isinstance(m, LoraLayer))
    unloaded = [n for n, p in peft_model.named_parameters() if "lora_" in n and not p.any()]
    problems = []
    if adapted != sorted(deltas):
        problems.append(f"modules differ: PEFT-only {sorted(set(adapted) - set(deltas))}, "
                        f"reference-only {sorted(set(deltas) - set(adapted))}")
    if unloaded:
        problems.append(f"all-zero adapter tensors (not loaded?): {unloaded[:4]}")

    # The reference: base weights plus the merged delta, no PEFT involved.
    ref_model = load_base(args.base)
    params = dict(ref_model.named_parameters())
    with torch.no_grad():
        for module, delta in deltas.items():
            weight = params.get(f"{module}.weight")
            if weight is None or weight.shape != delta.shape:
                sys.exit(f"error: reference {module} {tuple(delta.shape)} does not fit the base "
                         f"weight {None if weight is None else tuple(weight.shape)}")
            weight.add_(delta.to(weight.dtype))

    # Fixed, seeded token ids over the whole vocabulary: same batch on every run.
    vocab = ref_model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (4, 16), generator=gen)
    with torch.no_grad():
        base_logits = load_base(args.base)(input_ids=ids).logits
        ref_logits = ref_model(input_ids=ids).logits
        peft_logits = peft_model(input_ids=ids).logits

    diff = (peft_logits - ref_logits).abs().max().item()
    # How much the delta moves the logits: a pass only means something if this is >> tol.
    effect = (ref_logits - base_logits).abs().max().item()
    print(f"modules adapted:         {len(adapted)} (reference has {len(deltas)})")
    print(f"max |logit| of base:     {base_logits.abs().max().item():.6g}")
    print(f"max |ref - base| logit:  {effect:.6g}")
    print(f"max |peft - ref| logit:  {diff:.6g}  (tol {args.tol:g})")
    for p in problems:
        print(f"FAIL: {p}")
    if diff > args.tol or not diff == diff:  # second test catches NaN
        problems.append("logit diff above tolerance")
        print(f"FAIL: PEFT output differs from base + merged/{args.method}")
    if problems:
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
