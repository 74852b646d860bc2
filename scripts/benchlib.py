"""Shared pieces of the W7B benchmarks (scripts/bench-merge, scripts/bench-dense).

W7B = 3 PEFT LoRA adapters with LLaMA-2-7B shapes, generated once by make_w7b_adapters.py
(numpy only) into a cache directory.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROGRAM = os.path.basename(sys.argv[0])

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(REPO, "scripts", "make_w7b_adapters.py")

# Parameters of the W7B workload; passed to the generator and recorded in the
# cache marker, so changing any of them forces regeneration.
W7B = {"generator_version": 1, "adapters": 3, "layers": 32, "rank": 8,
       "alpha": 16, "seed": 1, "b_std": 0.01}
# W70B: LLaMA-2-70B shapes (80 layers, hidden 8192, MLP 28672, k/v 1024), r = 16, bf16.
W70B = {"generator_version": 1, "adapters": 3, "layers": 80, "rank": 16,
        "alpha": 32, "seed": 1, "b_std": 0.01, "shape": "70b", "dtype": "bf16"}
WORKLOADS = {"7b": W7B, "70b": W70B}


def workload_bytes(params):
    """Bytes of the safetensors files the generator writes for `params` (data only, close enough
    for a disk-space check: the JSON headers are a few tens of KB)."""
    import make_w7b_adapters as gen
    size = 2 if params.get("dtype", "f32") == "bf16" else 4
    per_layer = sum(params["rank"] * (o + i) for _s, _n, o, i in gen.modules_for(params.get("shape", "7b")))
    return params["adapters"] * params["layers"] * per_layer * size


def merged_bytes(params, dtype_size=4):
    """Bytes of the factored SeedLoRA export: rank sum(r_i) + 1, dtype_size bytes per value."""
    import make_w7b_adapters as gen
    rank = params["adapters"] * params["rank"] + 1
    per_layer = sum(rank * (o + i) for _s, _n, o, i in gen.modules_for(params.get("shape", "7b")))
    return params["layers"] * per_layer * dtype_size


def log(msg):
    print(msg, flush=True)


def die(msg, code=1):
    print(f"{PROGRAM}: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def adapter_dirs(cache, params=W7B):
    return [os.path.join(cache, f"adapter_{i}") for i in range(1, params["adapters"] + 1)]


def ensure_w7b(cache):
    ensure_workload(cache, W7B, "W7B")


def ensure_workload(cache, params, label):
    marker = os.path.join(cache, ".complete")
    files = [os.path.join(d, n) for d in adapter_dirs(cache, params)
             for n in ("adapter_config.json", "adapter_model.safetensors")]
    try:
        with open(marker) as f:
            if json.load(f) == params and all(os.path.isfile(p) for p in files):
                log(f"{label}: using cached adapters in {cache}")
                return False
    except (OSError, ValueError):
        pass
    log(f"{label}: generating into {cache} ...")
    cmd = [sys.executable, GENERATOR, cache,
           "--adapters", str(params["adapters"]), "--layers", str(params["layers"]),
           "--rank", str(params["rank"]), "--alpha", str(params["alpha"]),
           "--seed", str(params["seed"]), "--b-std", repr(params["b_std"]),
           "--shape", params.get("shape", "7b"), "--dtype", params.get("dtype", "f32")]
    t0 = time.perf_counter()
    r = subprocess.run(cmd)
    if r.returncode != 0:
        die(f"generator failed (exit {r.returncode})")
    log(f"{label}: generated in {time.perf_counter() - t0:.2f} s")
    with open(marker) as f:
        if json.load(f) != params:
            die("generator wrote an unexpected marker")
    return True


def build_binary():
    override = os.environ.get("SEEDLORA_BIN")
    if override:
        exe = os.path.abspath(override)
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            die(f"SEEDLORA_BIN={override} is not an executable file")
        log(f"binary: {exe} (from SEEDLORA_BIN; swift build skipped)")
        return exe
    log("build: swift build -c release --product seedlora ...")
    t0 = time.perf_counter()
    r = subprocess.run(["swift", "build", "-c", "release", "--product", "seedlora"], cwd=REPO)
    if r.returncode != 0:
        die(f"swift build failed (exit {r.returncode})")
    log(f"build: done in {time.perf_counter() - t0:.1f} s")
    exe = os.path.join(REPO, ".build", "release", "seedlora")
    if not os.access(exe, os.X_OK):
        die(f"{exe} not found after build")
    log(f"binary: {exe}")
    return exe


def run_timed(cmd, label, cleanup=None):
    """Run cmd once; return wall-clock seconds. stdout/stderr go to temp files
    (not pipes) so nothing is read while the clock runs."""
    if cleanup:
        cleanup()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            out.seek(0)
            err.seek(0)
            sys.stderr.write(out.read().decode(errors="replace"))
            sys.stderr.write(err.read().decode(errors="replace"))
            die(f"{label} failed (exit {r.returncode}): {' '.join(cmd)}")
    return dt


def bench(cmd, label, runs, cleanup=None, after_warmup=None):
    run_timed(cmd, label, cleanup)  # warm-up
    if after_warmup:
        after_warmup()
    times = [run_timed(cmd, label, cleanup) for _ in range(runs)]
    return statistics.median(times), times


def fmt_size(n):
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n} B"


def fmt_runs(times):
    return " ".join(f"{t:.3f}" for t in times)




def run_measured(cmd, label):
    """Run cmd once; return (wall seconds, peak RSS in MiB) of that child alone (wait4).
    The child's CPU time (user + sys) is kept in run_measured.last_cpu: unlike wall time it
    hardly changes when other work shares the machine."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            out.seek(0)
            err.seek(0)
            sys.stderr.write(out.read().decode(errors="replace"))
            sys.stderr.write(err.read().decode(errors="replace"))
            die(f"{label} failed (exit {proc.returncode}): {' '.join(cmd)}")
    run_measured.last_cpu = usage.ru_utime + usage.ru_stime
    return dt, usage.ru_maxrss / 1024.0
