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


def log(msg):
    print(msg, flush=True)


def die(msg, code=1):
    print(f"{PROGRAM}: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def adapter_dirs(cache):
    return [os.path.join(cache, f"adapter_{i}") for i in range(1, W7B["adapters"] + 1)]


def ensure_w7b(cache):
    marker = os.path.join(cache, ".complete")
    files = [os.path.join(d, n) for d in adapter_dirs(cache)
             for n in ("adapter_config.json", "adapter_model.safetensors")]
    try:
        with open(marker) as f:
            if json.load(f) == W7B and all(os.path.isfile(p) for p in files):
                log(f"W7B: using cached adapters in {cache}")
                return
    except (OSError, ValueError):
        pass
    log(f"W7B: generating into {cache} ...")
    cmd = [sys.executable, GENERATOR, cache,
           "--adapters", str(W7B["adapters"]), "--layers", str(W7B["layers"]),
           "--rank", str(W7B["rank"]), "--alpha", str(W7B["alpha"]),
           "--seed", str(W7B["seed"]), "--b-std", repr(W7B["b_std"])]
    t0 = time.perf_counter()
    r = subprocess.run(cmd)
    if r.returncode != 0:
        die(f"generator failed (exit {r.returncode})")
    log(f"W7B: generated in {time.perf_counter() - t0:.2f} s")
    with open(marker) as f:
        if json.load(f) != W7B:
            die("generator wrote an unexpected marker")


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
