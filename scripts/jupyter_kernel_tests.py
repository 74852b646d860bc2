"""Jupyter conformance tests for the seedlora kernel (run by scripts/jupyter-test).

jupyter_kernel_test.KernelTests drives a real kernel through jupyter_client; the extra tests
cover interrupts (message and SIGINT), rich output and inspect on values. Every test listed in
REQUIRED must run and pass: a skip is a failure (a missing sample must not hide a regression).
"""
import os
import struct
import sys
import tempfile
import time
import unittest
import zlib

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel  # noqa: F401  (imported to fail early if missing)


def tiny_png(path, width=3, height=2):
    """A valid RGB PNG of the given size."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


IMAGES = tempfile.mkdtemp(prefix="seedlora-kernel-test-")
PNG = os.path.join(IMAGES, "figure.png")
tiny_png(PNG)
with open(os.path.join(IMAGES, "figure.svg"), "w") as f:
    f.write('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')


class SeedKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "seedlora"
    language_name = "seed"
    file_extension = ".seed"

    code_hello_world = 'print("hello, world")'
    code_generate_error = 'error("boom")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "1.5 + 1", "result": "2.5"},
        {"code": "tensor([[1, 2], [3, 4]])", "mime": "text/html"},
    ]
    code_display_data = [
        {"code": f'display_image("{PNG}")', "mime": "image/png"},
        {"code": f'display_image("{IMAGES}/figure.svg")', "mime": "image/svg+xml"},
        {"code": "display(tensor([1, 2, 3]))", "mime": "text/html"},
    ]
    completion_samples = [
        {"text": "pri", "matches": {"print"}},
        {"text": "x = ran", "matches": {"range", "randn"}},
        {"text": "whi", "matches": {"while"}},
    ]
    complete_code_samples = ["1 + 1", "x = [1, 2]", "fn f(a) { return a }", "for i in range(3) { print(i) }"]
    incomplete_code_samples = ["fn f(a) {", "x = [1,", 'print("abc', "1 +"]
    invalid_code_samples = ["x = )", "1 +* 2", "x = ]", "for in x {}"]
    code_inspect_sample = "cosine"
    code_history_pattern = "1.5*"
    supported_history_operations = ("tail", "range", "search")

    def run_cell(self, code, timeout=10):
        reply, outputs = self.execute_helper(code, timeout=timeout)
        return reply, outputs

    def test_seed_interrupt_message_keeps_session(self):
        self.flush_channels()
        self.run_cell("kept = 41")
        msg_id = self.kc.execute("i = 0\nwhile true { i = i + 1 }")
        time.sleep(0.5)
        start = time.monotonic()
        msg = self.kc.session.msg("interrupt_request", {})
        self.kc.control_channel.send(msg)
        reply = self.get_non_kernel_info_reply(timeout=5)
        self.assertLess(time.monotonic() - start, 1.0, "the interrupted cell did not return within 1 s")
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        control = self.kc.get_control_msg(timeout=5)
        self.assertEqual(control["msg_type"], "interrupt_reply")
        self.flush_channels()
        reply, outputs = self.run_cell("kept + 1")
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "42")
        reply, outputs = self.run_cell("i > 0")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["true"])

    def test_seed_interrupt_signal_keeps_session(self):
        self.flush_channels()
        self.run_cell("before = 7")
        msg_id = self.kc.execute("j = 0\nwhile true { j = j + 1 }")
        time.sleep(0.5)
        start = time.monotonic()
        self.km.interrupt_kernel()   # interrupt_mode "signal": SIGINT to the kernel's process group
        reply = self.get_non_kernel_info_reply(timeout=5)
        self.assertLess(time.monotonic() - start, 1.0, "the interrupted cell did not return within 1 s")
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.flush_channels()
        reply, outputs = self.run_cell("before * 6")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["42"])

    def test_seed_png_metadata_and_base64(self):
        self.flush_channels()
        _, outputs = self.run_cell(f'display_image("{PNG}")')
        display = [m for m in outputs if m["msg_type"] == "display_data"][0]["content"]
        self.assertEqual(display["metadata"]["image/png"], {"width": 3, "height": 2})
        import base64
        with open(PNG, "rb") as f:
            self.assertEqual(base64.b64decode(display["data"]["image/png"]), f.read())

    def test_seed_non_finite_numbers(self):
        self.flush_channels()
        reply, outputs = self.run_cell("tensor([0.0, 1.0]) / tensor([0.0, 0.0])")
        self.assertEqual(reply["content"]["status"], "ok")
        data = [m for m in outputs if m["msg_type"] == "execute_result"][0]["content"]["data"]
        self.assertIn("nan", data["text/plain"])
        self.assertIn("inf", data["text/html"])

    def test_seed_inspect_value_and_table_html(self):
        self.flush_channels()
        self.run_cell("w = tensor([[1, 2], [3, 4]])")
        self.kc.inspect("w")
        reply = self.get_non_kernel_info_reply(timeout=5)
        text = reply["content"]["data"]["text/plain"]
        for expected in ("shape: (2, 2)", "dtype: float32", "mean: 2.5"):
            self.assertIn(expected, text)
        self.kc.inspect("print(")
        reply = self.get_non_kernel_info_reply(timeout=5)
        self.assertIn("print(*values", reply["content"]["data"]["text/plain"])
        self.kc.inspect("no_such_name")
        reply = self.get_non_kernel_info_reply(timeout=5)
        self.assertFalse(reply["content"]["found"])

    def test_seed_error_traceback(self):
        self.flush_channels()
        reply, outputs = self.run_cell("x = 1\ny = x + nosuch")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("nosuch", reply["content"]["evalue"])
        self.assertTrue(any("^" in line for line in reply["content"]["traceback"]))

    def test_seed_merge_warning_on_stderr(self):
        """A merge that is probably a mistake warns on the stderr stream; the cell still succeeds."""
        self.flush_channels()
        adapter = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "adapters", "taskA_seed11")
        reply, outputs = self.run_cell(f'm = merge([load("{adapter}")])', timeout=30)
        self.assertEqual(reply["content"]["status"], "ok")
        streams = [o["content"] for o in outputs if o["msg_type"] == "stream"]
        self.assertTrue(any(s["name"] == "stderr" and "warning: only one input adapter" in s["text"] for s in streams), streams)

    def test_seed_comm_info(self):
        self.flush_channels()
        self.kc.comm_info()
        reply = self.get_non_kernel_info_reply(timeout=5)
        self.assertEqual(reply["content"], {"status": "ok", "comms": {}})

    def test_seed_output_streams_while_cell_runs(self):
        """print output is batched but still arrives while a long cell runs (then interrupt it)."""
        self.flush_channels()
        msg_id = self.kc.execute('print("started")\nk = 0\nwhile true { k = k + 1 }')
        deadline = time.monotonic() + 2
        text = ""
        while time.monotonic() < deadline and "started" not in text:
            msg = self.kc.get_iopub_msg(timeout=2)
            if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == msg_id:
                text += msg["content"]["text"]
        self.assertIn("started", text)
        self.km.interrupt_kernel()
        reply = self.get_non_kernel_info_reply(timeout=5)
        self.assertEqual(reply["content"]["status"], "error")

    def test_seed_user_expressions(self):
        self.flush_channels()
        self.kc.execute("y = 5", user_expressions={"double": "y * 2", "bad": "nosuch + 1"})
        reply = self.get_non_kernel_info_reply(timeout=5)
        expressions = reply["content"]["user_expressions"]
        self.assertEqual(expressions["double"]["data"]["text/plain"], "10")
        self.assertEqual(expressions["bad"]["status"], "error")

    def test_seed_stop_on_error_aborts_queued_cells(self):
        self.flush_channels()
        first = self.kc.execute("n = 0\nwhile n < 20000 { n = n + 1 }\nerror(\"stop here\")")
        second = self.kc.execute("after_error = 1")
        replies = {}
        for _ in range(2):
            reply = self.get_non_kernel_info_reply(timeout=10)
            replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
        self.assertEqual(replies, {first: "error", second: "aborted"})
        self.flush_channels()
        reply, _ = self.run_cell("after_error")
        self.assertEqual(reply["content"]["status"], "error")   # the aborted cell never ran
        reply, _ = self.run_cell("n")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_seed_malformed_messages_are_dropped(self):
        """Garbage frames, bad JSON and a bad signature are logged and dropped; the kernel lives on."""
        self.flush_channels()
        socket = self.kc.shell_channel.socket
        socket.send_multipart([b"garbage"])
        socket.send_multipart([b"x"] * 10_001)   # more frames than the kernel keeps
        socket.send_multipart([b"<IDS|MSG>", b"", b"{", b"{}", b"{}", b"{}"])
        socket.send_multipart([b"<IDS|MSG>", b"0" * 64, b'{"msg_type": "kernel_info_request"}', b"{}", b"{}", b"{}"])
        good = self.kc.session.msg("execute_request", {"code": "21 * 2", "silent": False})
        frames = self.kc.session.serialize(good)
        frames[frames.index(b"<IDS|MSG>") + 1] = b"f" * 64   # a wrong signature on a valid message
        socket.send_multipart(frames)
        time.sleep(0.3)
        reply, outputs = self.run_cell("21 * 2")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["42"])
        self.assertTrue(self.km.is_alive())


class ShutdownTests(unittest.TestCase):
    def test_seed_shutdown_exits_cleanly(self):
        from jupyter_client.manager import start_new_kernel
        km, kc = start_new_kernel(kernel_name="seedlora")
        try:
            kc.execute_interactive("x = 1", timeout=10)
            process = km.provisioner.process
            start = time.monotonic()
            kc.shutdown()
            reply = kc.get_control_msg(timeout=5) if hasattr(kc, "get_control_msg") else None
            if reply is not None:
                self.assertEqual(reply["msg_type"], "shutdown_reply")
            process.wait(timeout=3)
            self.assertLess(time.monotonic() - start, 3.0)
            self.assertEqual(process.returncode, 0)
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)


REQUIRED = {
    "test_kernel_info", "test_execute_stdout", "test_error", "test_execute_result", "test_display_data",
    "test_completion", "test_is_complete", "test_inspect", "test_history",
    "test_seed_interrupt_message_keeps_session", "test_seed_interrupt_signal_keeps_session",
    "test_seed_png_metadata_and_base64", "test_seed_non_finite_numbers", "test_seed_inspect_value_and_table_html",
    "test_seed_error_traceback", "test_seed_comm_info", "test_seed_malformed_messages_are_dropped",
    "test_seed_output_streams_while_cell_runs", "test_seed_user_expressions",
    "test_seed_stop_on_error_aborts_queued_cells", "test_seed_merge_warning_on_stderr",
    "test_seed_shutdown_exits_cleanly",
}


class Result(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ran = set()
        self.subtest_skips = []

    def startTest(self, test):
        super().startTest(test)
        self.ran.add(test._testMethodName)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)


def main():
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(SeedKernelTests), loader.loadTestsFromTestCase(ShutdownTests)])
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result)
    result = runner.run(suite)
    problems = []
    skipped = {test._testMethodName if hasattr(test, "_testMethodName") else str(test): reason
               for test, reason in result.skipped}
    for name in sorted(REQUIRED):
        if name not in result.ran:
            problems.append(f"{name} did not run")
    for test, reason in result.skipped:
        name = getattr(test, "_testMethodName", str(test))
        # A skip inside a required test (a subtest) counts too.
        if any(r in str(test) for r in REQUIRED) or name in REQUIRED:
            problems.append(f"{test} skipped: {reason}")
    print("ran:", ", ".join(sorted(result.ran - set(skipped))))
    print("skipped (not required):", ", ".join(f"{k} ({v})" for k, v in sorted(skipped.items())
                                                if not any(r in k for r in REQUIRED)) or "none")
    if problems or not result.wasSuccessful():
        for p in problems:
            print("FAIL:", p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
