#!/usr/bin/env python3
"""Shell completion in a real bash: source `seedlora --generate-completion-script bash` in an
interactive bash on a pseudo-terminal, type a partial command line and Tab, and check what bash
completed it to. After the Tab, Ctrl-A and `echo COMPLETED:` turn the completed line into a
command whose output shows it exactly.

Usage: python3 scripts/completion-pty-test.py path/to/seedlora   (run from the repository root)
Prints "N passed, M failed"; exits 1 on a failure.
"""
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time


def complete(bindir, script, line, cwd):
    """The line as bash shows it after `line` + Tab."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.environ["PATH"] = bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin")
        os.environ["PS1"] = "$ "
        os.environ["HF_HUB_CACHE"] = os.path.join(cwd, "no-hub-cache")
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    out = b""

    def drain(until, timeout, count=1):
        nonlocal out
        end = time.time() + timeout
        while time.time() < end and out.count(until) < count:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    return

    os.write(fd, f"source '{script}'; echo SOURCED\n".encode())
    drain(b"SOURCED\r\n", 10)
    os.write(fd, (line + "\t").encode())
    time.sleep(0.5)
    # Bash completes synchronously (it runs seedlora for custom candidates) before it reads these.
    os.write(fd, b"\x01echo COMPLETED:\n")
    # Once as the typed command line (`echo COMPLETED:...`), once as its output.
    drain(b"COMPLETED:", 30, count=2)
    drain(b"\r\n$ ", 5)
    os.write(fd, b"exit\n")
    drain(b"\0", 2)
    os.close(fd)
    os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    if text.count("COMPLETED:") < 2:
        return None
    marker = text.rfind("COMPLETED:")
    return text[marker + len("COMPLETED:"):].split("\r")[0].rstrip()


def main():
    seedlora = os.path.abspath(sys.argv[1])
    root = os.getcwd()
    work = tempfile.mkdtemp(prefix="seedlora-completion-")
    bindir = os.path.join(work, "bin")
    os.mkdir(bindir)
    os.symlink(seedlora, os.path.join(bindir, "seedlora"))
    script = os.path.join(work, "seedlora.bash")
    with open(script, "w") as f:
        subprocess.run([seedlora, "--generate-completion-script", "bash"], stdout=f, check=True)
    # Adapter directories to complete: one PEFT, one mlx-lm, and a plain directory.
    os.makedirs(os.path.join(work, "runs"))
    shutil.copytree(os.path.join(root, "examples/adapters/taskA_seed42"), os.path.join(work, "runs/peft_seed42"))
    shutil.copytree(os.path.join(root, "Tests/Fixtures/mlx/taskA_seed42"), os.path.join(work, "runs/mlx_seed42"))
    os.makedirs(os.path.join(work, "runs/plain"))

    cases = [
        ("seedlora merge --method ti", "seedlora merge --method ties"),
        ("seedlora merge --method ties --param dens", "seedlora merge --method ties --param density="),
        ("seedlora merge --method seedlora --param sta", "seedlora merge --method seedlora --param stats="),
        ("seedlora inspect runs/pe", "seedlora inspect runs/peft_seed42"),
        ("seedlora merge runs/ml", "seedlora merge runs/mlx_seed42"),
        ("seedlora merge --format ml", "seedlora merge --format mlx"),
    ]
    passed = failed = 0
    for line, expected in cases:
        got = complete(bindir, script, line, work)
        # Bash may end a completed word with a space or, for a directory, a slash.
        ok = got is not None and got.rstrip(" /") == expected
        print(f"{'ok  ' if ok else 'FAIL'} {line!r} -> {got!r}" + ("" if ok else f" (expected {expected!r})"))
        passed, failed = passed + ok, failed + (not ok)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
