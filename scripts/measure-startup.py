#!/usr/bin/env python3
"""Time from exec to the first REPL prompt, through a pseudo-terminal.

Usage: scripts/measure-startup.py [path/to/seedlora] [runs]   (default .build/release/seedlora, 20)
Prints the median and the slowest run in milliseconds.
"""
import os
import pty
import select
import signal
import statistics
import sys
import tempfile
import time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/seedlora"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
history = os.path.join(tempfile.mkdtemp(prefix="seedlora-startup-"), "history")
times = []
for _ in range(runs):
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.execve(binary, [binary], dict(os.environ, SEEDLORA_HISTORY=history, TERM="xterm"))
    out = b""
    while b">>> " not in out:
        if select.select([fd], [], [], 10)[0]:
            out += os.read(fd, 4096)
        else:
            raise SystemExit("no prompt within 10 s")
    times.append((time.monotonic() - start) * 1000)
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
    os.close(fd)
print(f"start-up to first prompt over {runs} runs: median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f} ms, max {max(times):.1f} ms ({binary})")
