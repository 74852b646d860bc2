#!/usr/bin/env python3
"""Generate the torch.save fixtures in Tests/Fixtures/torch (a developer tool, not run by CI).

Needs torch, safetensors, transformers and peft (e.g. a venv with the CPU torch wheel:
  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch==2.13.0+cpu peft safetensors
then /tmp/venv/bin/python scripts/make_torch_fixtures.py).

Writes, from the repository root:
  Tests/Fixtures/torch/taskA_seed42/        PEFT's save_pretrained(safe_serialization=False) of
  Tests/Fixtures/torch/taskA_bf16_seed42/   examples/adapters/<same name> (adapter_model.bin)
  Tests/Fixtures/torch/views.bin            views of shared storages (transposed, offset, sliced,
                                            0-d, empty, int64, bf16, f16) in an OrderedDict with
                                            _metadata, pickle protocol 4
  Tests/Fixtures/torch/views.safetensors    the same tensors made contiguous: the expected values
  Tests/Fixtures/torch/legacy.bin           the pre-1.6 non-zip format (refused by seedlora)
  Tests/Fixtures/torch/malicious/*.bin      archives whose pickle would run code if torch.load
                                            (weights_only=False) opened them; never loaded here

The malicious payloads only `touch /tmp/seedlora-pwned-<name>`, so a test can also check that
nothing ran.
"""
import builtins
import collections
import io
import os
import shutil
import subprocess
import sys
import zipfile

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "torch")


def peft_bin(name, dtype=torch.float32):
    """Load examples/adapters/NAME on the example base and save it as PEFT's .bin (in `dtype`:
    PEFT would otherwise upcast a bf16 adapter to float32)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(os.path.join(ROOT, "examples", "base"), dtype=dtype)
    model = PeftModel.from_pretrained(base, os.path.join(ROOT, "examples", "adapters", name),
                                      autocast_adapter_dtype=False)
    target = os.path.join(OUT, name)
    shutil.rmtree(target, ignore_errors=True)
    model.save_pretrained(target, safe_serialization=False)
    # PEFT also writes a README.md model card; the fixture needs only the config and weights.
    for extra in os.listdir(target):
        if extra not in ("adapter_config.json", "adapter_model.bin"):
            os.remove(os.path.join(target, extra))
    # The config points at the base relative to examples/adapters; keep it loadable from here.
    assert os.path.exists(os.path.join(target, "adapter_model.bin"))


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    half = (torch.arange(12, dtype=torch.float32).reshape(3, 4) / 3).to(torch.float16)
    state = collections.OrderedDict()
    state["transposed"] = base.t()                 # strides (1, 6), shares base's storage
    state["row"] = base[2]                         # storage offset 12
    state["columns"] = base[:, 1:4]                # offset 1, strides (6, 1)
    state["every_other"] = base[::2, ::3]          # strides (12, 3)
    state["half_t"] = half.t()
    state["bf16"] = (torch.linspace(-2, 2, 10)).to(torch.bfloat16)
    state["scalar"] = torch.tensor(3.5)
    state["empty"] = torch.zeros(0, 3)
    state["ints"] = torch.arange(-3, 4, dtype=torch.int64)
    state._metadata = collections.OrderedDict([("", {"version": 1})])
    torch.save(state, os.path.join(OUT, "views.bin"), pickle_protocol=4)
    save_file({k: v.contiguous().clone() for k, v in state.items()}, os.path.join(OUT, "views.safetensors"))
    torch.save({"w": base}, os.path.join(OUT, "legacy.bin"), _use_new_zipfile_serialization=False)


class Payload:
    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def marker(name):
    return f"/tmp/seedlora-pwned-{name}"


def raw_archive(name, pickle_bytes):
    """A torch-like archive around hand-written pickle bytes (stored entries, as torch writes)."""
    path = os.path.join(OUT, "malicious", name + ".bin")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


def malicious():
    target = os.path.join(OUT, "malicious")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    w = torch.zeros(2, 2)
    # torch.save pickles any object; these are what a hostile upload looks like.
    torch.save({"w": w, "x": Payload(os.system, f"touch {marker('os_system')}")},
               os.path.join(target, "os_system.bin"))
    torch.save({"w": Payload(builtins.eval, f"__import__('os').system('touch {marker('eval')}')")},
               os.path.join(target, "builtins_eval.bin"))
    torch.save({"w": Payload(subprocess.call, ["touch", marker("subprocess")])},
               os.path.join(target, "subprocess_protocol4.bin"), pickle_protocol=4)
    # Hand-written opcodes that build objects without GLOBAL + REDUCE.
    raw_archive("inst_opcode", b"\x80\x02(ios\nsystem\n.")                  # INST os.system
    raw_archive("newobj_storage", b"\x80\x02ctorch\nFloatStorage\n)\x81.")  # NEWOBJ on an allowed name
    raw_archive("reduce_storage", b"\x80\x02ctorch\nFloatStorage\n)R.")     # REDUCE of a non-callable
    raw_archive("ext1_opcode", b"\x80\x02\x82\x01.")                        # copyreg extension 1
    raw_archive("build_on_tensor", bytes(
        b"\x80\x02}(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
        b"ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQK\x00K\x01\x85K\x01\x85"
        b"\x89ccollections\nOrderedDict\n)RtR}b" b"u."))                      # BUILD on a tensor


def main():
    os.makedirs(OUT, exist_ok=True)
    peft_bin("taskA_seed42")
    peft_bin("taskA_bf16_seed42", torch.bfloat16)
    views()
    malicious()
    for dirpath, _, files in sorted(os.walk(OUT)):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            print(f"{os.path.relpath(p, ROOT)}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    sys.exit(main())
