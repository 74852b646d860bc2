#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target> (standard library only). Seeds are small valid
inputs, near-valid ones, and the project's own fixtures, so the fuzzer starts at the format.
The store seeds are real seedlora stores, exported by the FuzzStore binary itself:
  SEEDLORA_FUZZ_EXPORT_SEEDS=Fuzz/corpus/store Fuzz/.build/release/FuzzStore -runs=1
"""
import glob
import json
import os
import re
import struct
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")


def out(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blob


def safetensors_seeds():
    f32 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    out("safetensors", "two_f32", safetensors({"a.lora_A.weight": ("F32", [2, 3], f32),
                                              "a.lora_B.weight": ("F32", [3, 2], f32)}, {"format": "pt"}))
    out("safetensors", "dtypes", safetensors({"h": ("F16", [2], b"\x00\x3c\x00\x40"), "b": ("BF16", [2], b"\x80\x3f\x00\x40"),
                                             "d": ("F64", [1], struct.pack("<d", 1.5)), "i": ("I64", [1], struct.pack("<q", -3)),
                                             "u": ("U8", [3], b"\x01\x02\x03"), "e": ("F8_E4M3", [1], b"\x38"),
                                             "z": ("F32", [0, 4], b""), "s": ("F32", [], struct.pack("<f", 2.5))}))
    out("safetensors", "empty_header", struct.pack("<Q", 8) + b"{}      ")
    out("safetensors", "bad_offsets", safetensors({"a": ("F32", [2, 3], f32)})[:-4])
    with open(os.path.join(ROOT, "examples/adapters/taskA_bf16_seed42/adapter_model.safetensors"), "rb") as f:
        out("safetensors", "peft_bf16_adapter", f.read())


def config_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "examples/adapters/*/adapter_config.json"))):
        with open(path, "rb") as f:
            out("adapter-config", os.path.basename(os.path.dirname(path)), f.read())
    out("adapter-config", "patterns", json.dumps({
        "peft_type": "LORA", "r": 8, "lora_alpha": 16, "use_rslora": True,
        "rank_pattern": {"q_proj": 4, r"layers\.1[0-9]\..*": 2}, "alpha_pattern": {"down_proj": 3.5},
        "target_modules": "(.*)proj$", "fan_in_fan_out": False, "modules_to_save": ["lm_head"]}))
    out("adapter-config", "escapes", '{"peft_type": "LORA", "base_model_name_or_path": "a\\u00e9\\ud83d\\ude00\\n", "r": 1e0}')
    out("adapter-config", "minimal", '{"peft_type":"lora"}')


def torch_archive(pickle_bytes, storages):
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        for key, data in storages:
            z.writestr("archive/data/" + key, data)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def torch_seeds():
    fixtures = os.path.join(ROOT, "Tests/Fixtures/torch")
    for path in [os.path.join(fixtures, "views.bin"), os.path.join(fixtures, "legacy.bin"),
                 os.path.join(fixtures, "taskA_bf16_seed42/adapter_model.bin")] + sorted(glob.glob(os.path.join(fixtures, "malicious/*.bin"))):
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.relpath(path, fixtures).replace("/", "_")
        out("torch", name, data)
        if data[:2] == b"PK":
            with zipfile.ZipFile(path) as z:
                pkl = [n for n in z.namelist() if n.endswith("data.pkl")]
                if pkl:
                    out("torch", name + ".pkl", z.read(pkl[0]))
    # A hand-written one-tensor archive (a transposed view), as the Swift tests build it.
    pickle = (b"\x80\x02}(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
              b"ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQK\x00(K\x03K\x02t(K\x01K\x03t"
              b"\x89ccollections\nOrderedDict\n)RtRu.")
    out("torch", "transposed_view", torch_archive(pickle, [("0", struct.pack("<6f", 1, 2, 3, 4, 5, 6))]))
    out("torch", "transposed_view.pkl", pickle)


def recipe_seeds():
    out("recipe", "readme", """models:
  - model: runs/seed1
    parameters: {weight: 1.0, density: 0.5}
  - model: runs/seed2
    parameters:
      weight: [0.5, 1.0]
      density: 0.5
  - model: runs/seed3
    parameters:
      weight:
        - filter: mlp
          value: 2.0
        - value: 1.0
      density: 0.5
merge_method: ties
base_model: Llama-2-7b-hf
parameters: {normalize: true}
dtype: bfloat16
""")
    out("recipe", "linear", "merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1.0}\n  - model: b\n"
        "    parameters: {weight: 2.0}\nparameters:\n  normalize: true\n  int8_mask: true\ndtype: float32\n")
    out("recipe", "base_plus_adapter", "merge_method: slerp\nmodels:\n  - model: base+a\n    parameters: {t: 0.2}\n"
        "  - model: base+b\n    parameters: {t: 0.4}\n")
    out("recipe", "anchors", "merge_method: &m dare_ties\nmodels: [{model: x, parameters: {weight: *m}}, y]\n"
        "parameters: {density: [0.1, 0.9], lambda: !!float 1}\nout_dtype: bf16\n")
    out("recipe", "flow", "{merge_method: seedlora, models: [a, b, c], parameters: {stats: adapter, reference: 1}}")
    out("recipe", "unsupported", "merge_method: linear\nslices: []\n")


def seed_language_seeds():
    """The Seed scripts of the project (golden tests, examples, figure scripts, the docs' ```seed
    blocks) for the parser; for the interpreter the same, cut into pieces of at most 40 lines
    at blank lines (small programs reach more code per second)."""
    scripts = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests", "Scripts", "**", "*.seed"), recursive=True)
                       + glob.glob(os.path.join(ROOT, "examples", "*.seed"))
                       + glob.glob(os.path.join(ROOT, "scripts", "figures", "*.seed"))):
        name = os.path.relpath(path, ROOT).replace(os.sep, "_")
        with open(path, encoding="utf-8") as f:
            scripts[name] = f.read()
    with open(os.path.join(ROOT, "docs", "language.md"), encoding="utf-8") as f:
        block, n = None, 0
        for line in f:
            if line.startswith("```seed"):
                block = []
            elif line.startswith("```") and block is not None:
                n += 1
                scripts[f"docs_language_{n}"] = "".join(block)
                block = None
            elif block is not None:
                block.append(line)
    for name, text in scripts.items():
        out("seed-parser", name, text)
        lines, piece, k = text.splitlines(keepends=True), [], 0
        for line in lines + ["\n"]:
            piece.append(line)
            if (line.strip() == "" and len(piece) >= 10) or len(piece) >= 40:
                if "".join(piece).strip():
                    out("seed-interpreter", f"{name}_{k}", "".join(piece)[:4096])
                    k += 1
                piece = []


def seed_dictionary():
    """Fuzz/seed.dict: keywords, operators and builtin names, so mutations make tokens."""
    words = ["fn", "strategy", "return", "if", "else", "while", "for", "in", "not", "and", "or", "break",
             "continue", "import", "nil", "true", "false", "#%%", "**", "//", "@", "==", "!=", "<=", ">=", "+=",
             "f\"{", "}\"", "[::-1]", "{x:>8.3f}", "10**6", "1e308", "9223372036854775807"]
    names = set()
    for path in glob.glob(os.path.join(ROOT, "Sources", "Kernel", "Builtins*.swift")):
        with open(path, encoding="utf-8") as f:
            for m in re.finditer(r'Builtin\("([a-z_]+)\(', f.read()):
                names.add(m.group(1) + "(")
    with open(os.path.join(ROOT, "Fuzz", "seed.dict"), "w") as f:
        f.write("# Seed tokens for libFuzzer (-dict=), written by Fuzz/make_corpus.py\n")
        for w in words + sorted(names):
            f.write(json.dumps(w) + "\n")


if __name__ == "__main__":
    safetensors_seeds()
    config_seeds()
    torch_seeds()
    recipe_seeds()
    seed_language_seeds()
    seed_dictionary()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        print(f"{target}: {len(files)} seeds")
