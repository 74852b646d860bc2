#!/usr/bin/env python3
"""Drives the `seedlora` REPL through a pseudo-terminal, as a person would.

Checks: tab completion of a builtin and of a module name inside a string, ambiguous
completions listed on the second Tab, continuation lines (an open block, a trailing operator),
Ctrl-C during a long computation (back at the prompt within 1 s, variables intact), Ctrl-C at
the prompt (clears the line), Ctrl-D exits, a multi-line entry as one history item (in the
session and after a restart), an old one-line-per-entry history file, and the memory budget
(`--max-memory`: the two 9-million-element lists fail with a message naming it, and the
session goes on).

Usage: scripts/repl-pty-test.py [path/to/seedlora]   (run from the repository root)
Prints one line per check and a final "N passed, N failed" line; exits 1 on failure.
"""
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/seedlora")
PROMPT = ">>> "
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Repl:
    children = []
    def __init__(self, history, args=()):
        env = dict(os.environ, SEEDLORA_HISTORY=history, TERM="xterm", INPUTRC="/dev/null")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # Start clean even if our parent (a test runner) blocks signals.
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.execve(BINARY, [BINARY, *args], env)
        Repl.children.append(self.pid)
        self.buffer = b""

    def read_until(self, pattern, timeout=10.0):
        """Reads until `pattern` (bytes regex) appears in the new output; returns (text, seconds)."""
        start = time.monotonic()
        while True:
            clean = ANSI.sub(b"", self.buffer)
            m = re.search(pattern, clean)
            if m:
                self.buffer = b""
                return clean.decode("utf-8", "replace"), time.monotonic() - start
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                raise TimeoutError(f"waited {timeout}s for {pattern!r}; got {clean[-400:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise EOFError(f"REPL exited; output so far {clean[-400:]!r}")
                self.buffer += chunk

    def send(self, text):
        os.write(self.fd, text.encode())

    def prompt(self, timeout=10.0):
        return self.read_until(re.escape(PROMPT.encode()) + rb"$", timeout)

    def wait_exit(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                Repl.children.remove(self.pid)
                return os.waitstatus_to_exitcode(status)
            try:
                if select.select([self.fd], [], [], 0.1)[0]:
                    os.read(self.fd, 4096)
            except OSError:
                pass
        raise TimeoutError("REPL did not exit")


results = []


def check(name, condition, detail=""):
    results.append(condition)
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))


def main():
    # Work in a scratch directory that sees the repository's examples, so the example
    # script's export (out/merged) cannot collide with other tests running at the same time.
    scratch = tempfile.mkdtemp(prefix="seedlora-pty-")
    os.symlink(os.path.abspath("examples"), os.path.join(scratch, "examples"))
    os.chdir(scratch)
    history = os.path.join(scratch, "history")
    repl = Repl(history)
    repl.prompt()

    repl.send("x = 41\r")
    repl.prompt()

    # Tab completes a builtin name.
    repl.send("cosi\t")
    text, _ = repl.read_until(rb"cosine")
    repl.send("(eye(2), eye(2))\r")
    text, _ = repl.prompt()
    check("tab completes a builtin (cosi -> cosine)", "1.0" in text, text)

    # Tab completes a module name inside a string.
    repl.send('a = load("examples/adapters/taskA_seed42")\r')
    repl.prompt()
    repl.send('delta(a, "model.layers.0.mlp.do\t')
    text, _ = repl.read_until(rb"down_proj")
    repl.send('").shape\r')
    text, _ = repl.prompt()
    check("tab completes a module name in a string", "[64, 128]" in text, text)

    # Tab completes a file path in a string.
    repl.send('b = load("examples/adapt\t')
    text, _ = repl.read_until(rb"examples/adapters/")
    repl.send('taskB_seed42")\r')
    repl.prompt()
    repl.send("len(b)\r")
    text, _ = repl.prompt()
    check("tab completes a file path in a string", "14" in text, text)

    # Ambiguous completions: the second Tab lists the choices, also right after a Tab that
    # inserted their common prefix (paths by their last component, as readline lists files).
    repl.send("co\t")
    time.sleep(0.3)
    repl.send("\t")
    text, _ = repl.read_until(rb"cosine.*\n>>> co$")
    check("the second Tab lists ambiguous names", "concat" in text and "continue" in text, text)
    repl.send("\x15")   # Ctrl-U clears the line
    repl.send('y = load("examples/adapters/taskA_s\t')
    repl.read_until(rb"eed$")   # the common prefix, after a bell
    repl.send("\t")
    text, _ = repl.read_until(rb"taskA_seed42/.*\n>>> y = load\(\"examples/adapters/taskA_seed$")
    check("the second Tab lists ambiguous paths after inserting their common prefix",
          "taskA_seed11/" in text and "taskA_seed202/" in text and "examples/adapters/taskA_seed11" not in text, text)
    repl.send("\x15")

    # A continuation line.
    repl.send("for i in range(2) {\r")
    text, _ = repl.read_until(rb"\.\.\. $")
    repl.send("print(i * 10)\r")
    repl.read_until(rb"\.\.\. $")
    repl.send("}\r")
    text, _ = repl.prompt()
    check("continuation lines run as one entry", re.search(r"\n0\n10\n", text) is not None, text)

    # The whole entry is one history item: Up recalls its three lines, Enter runs them again.
    repl.send("\x1b[A")
    text, _ = repl.read_until(rb"\}$")
    repl.send("\r")
    text2, _ = repl.prompt()
    check("a multi-line entry is one history item (Up recalls all of it)",
          "for i in range(2) {" in text and "print(i * 10)" in text and re.search(r"\n0\n10\n", text2) is not None,
          text + text2)

    # A line ending in an operator continues on a "..." line.
    repl.send("z = 20 +\r")
    repl.read_until(rb"\.\.\. $")
    repl.send("22\r")
    repl.prompt()
    repl.send("z\r")
    text, _ = repl.prompt()
    check("a trailing operator continues on the next line", "\n42\n" in text, text)

    # Ctrl-C during a long computation.
    repl.send("n = 0\r")
    repl.prompt()
    repl.send("while true { n += 1 }\r")
    time.sleep(0.7)
    repl.send("\x03")
    text, seconds = repl.prompt(timeout=5)
    check(f"Ctrl-C interrupts a computation and returns to the prompt ({seconds:.3f} s)",
          seconds < 1.0 and "interrupted" in text, text)
    repl.send("print(x + 1, n > 0)\r")
    text, _ = repl.prompt()
    check("variables survive the interrupt", "42 true" in text, text)

    # Ctrl-C at the prompt clears the line.
    repl.send("garbage that is never run")
    time.sleep(0.2)
    repl.send("\x03")
    repl.prompt()
    repl.send("print(x)\r")
    text, _ = repl.prompt()
    check("Ctrl-C at the prompt clears the line", "41" in text and "unknown name" not in text, text)

    # Errors keep the session.
    repl.send("print(undefined_name)\r")
    text, _ = repl.prompt()
    check("an error prints a diagnostic and keeps the session", "unknown name 'undefined_name'" in text, text)

    # Meta command.
    repl.send(":who\r")
    text, _ = repl.prompt()
    check(":who lists variables", re.search(r"\bx\s+int\s+41", text) is not None, text)

    # The example script pasted into the REPL prints what `seedlora run` prints.
    script = open("examples/analysis.seed").read()
    has_ties = subprocess.run([BINARY, "-e", 'print("ties" in strategies()["name"])'],
                              capture_output=True, text=True).stdout.strip() == "true"
    if not has_ties:
        script = script.replace('strategy="ties", density=0.2', 'strategy="linear"')
    with tempfile.NamedTemporaryFile("w", suffix=".seed", delete=False) as f:
        f.write(script)
    expected = subprocess.run([BINARY, "run", f.name], capture_output=True, text=True)
    repl.send(":reset\r")
    repl.prompt()
    # A terminal paste: readline's bracketed-paste mode takes the text as one input.
    repl.send("\x1b[200~" + script.rstrip("\n").replace("\n", "\r") + "\x1b[201~\r")
    text, _ = repl.read_until(rb"\n6\n>>> $", timeout=60)
    # After readline's echo of the pasted text comes exactly what the script prints.
    shown = text.replace("\x00", "")
    check("the example script pasted into the REPL prints what `seedlora run` prints",
          expected.returncode == 0 and shown.endswith("\n" + expected.stdout + PROMPT),
          f"\nrun:  {expected.stdout!r}\nrepl: {shown[-len(expected.stdout) - 200:]!r}\n{expected.stderr}")
    os.unlink(f.name)

    # Ctrl-D exits.
    repl.send("\x04")
    code = repl.wait_exit()
    check("Ctrl-D exits with status 0", code == 0, str(code))

    # History survives a restart: the previous entry (the pasted script, one entry) is one
    # Up-arrow away, whole.
    repl = Repl(history)
    repl.prompt()
    repl.send("\x1b[A")
    text, _ = repl.read_until(rb"print\(scaled\(3\)\)")
    check("history survives a restart (Up recalls the last entry of the previous session, whole)",
          script.splitlines()[0] in text, text)
    repl.send("\x15")   # clear the line (Ctrl-U)
    repl.send("\x04")
    repl.wait_exit()
    with open(history) as f:
        lines = f.read().splitlines()
    check("the history file keeps each entry after a time line",
          "x = 41" in lines and "}" in lines and lines.count("for i in range(2) {") == 2
          and lines[lines.index("x = 41") - 1].startswith("#"), str(lines[:12]))

    # A history file from before (one entry per line, no time lines) is read line by line.
    old_history = os.path.join(scratch, "old-history")
    with open(old_history, "w") as f:
        f.write("first = 1\nprint(first + 1)\n")
    repl = Repl(old_history)
    repl.prompt()
    repl.send("\x1b[A")
    text, _ = repl.read_until(rb"print\(first \+ 1\)$")
    repl.send("\x1b[A")
    text2, _ = repl.read_until(rb"first = 1$")
    check("an old history file keeps one entry per line", "print(first + 1)" not in text2, text2)
    repl.send("\x15")
    repl.send("\x04")
    repl.wait_exit()

    # The memory budget: the second 9-million-element list (275 MiB each) does not fit in
    # 400 MiB; the error names the budget, and the first list and the session survive.
    repl = Repl(history, ["--max-memory", "400M"])
    repl.prompt()
    repl.send("a = list(range(9000000)); b = list(range(9000000))\r")
    text, _ = repl.prompt(timeout=60)
    check("going past --max-memory is an error naming the budget",
          "memory budget of 400 MiB (set with --max-memory)" in text, text)
    repl.send("print(len(a))\r")
    text, _ = repl.prompt()
    repl.send("b\r")
    text2, _ = repl.prompt()
    check("the session goes on after the memory budget error (a is kept, b was not made)",
          "\n9000000\n" in text and "unknown name 'b'" in text2, text + text2)
    if os.environ.get("SEEDLORA_SANITIZER"):
        # The budget reads the process's resident memory; AddressSanitizer keeps freed blocks in
        # its quarantine (resident), so freeing makes no room there by design.
        print("skip freeing a value makes room again (under a sanitizer, freed memory stays resident)")
    else:
        repl.send("a = nil\r")
        repl.prompt()
        repl.send("b = list(range(9000000)); print(len(b))\r")
        text, _ = repl.prompt(timeout=60)
        check("freeing a value makes room again", "\n9000000\n" in text, text)
    repl.send("\x04")
    repl.wait_exit()

    shutil.rmtree(scratch, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


def kill_children():
    for pid in Repl.children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


if __name__ == "__main__":
    try:
        code = main()
    except (TimeoutError, EOFError) as error:
        print(f"FAIL {error}")
        print(f"{sum(results)} passed, {len(results) - sum(results) + 1} failed")
        code = 1
    finally:
        kill_children()
    sys.exit(code)
