"""`firwatch demo` in a real pseudo-terminal, as a newcomer sees it.

The demo runs under a pty (so rich draws its live status line), in its own session, and
Ctrl-C is delivered as a terminal delivers it: SIGINT to the whole foreground process group,
the emulator child included.  The checks read the words on the screen: named alert lines
with their key figure, the end of the scenario, the summary.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import free_port

pytestmark = pytest.mark.slow

CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|([\r\n])")


def screen_text(raw: str) -> str:
    """What a terminal shows (and scrolls) after ``raw``: a small emulator of the sequences
    rich uses to redraw its live line (carriage return, erase line, cursor up), colours dropped.

    >>> screen_text("a\\r\\n\\x1b[1mstatus\\x1b[0m\\r\\x1b[2Kline\\r\\nnext")
    'a\\nline\\nnext'
    """
    lines, row, col, pos = [""], 0, 0, 0
    for match in [*CONTROL.finditer(raw), None]:
        text = raw[pos : match.start() if match else len(raw)]
        if text:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + text + line[col + len(text) :]
            col += len(text)
        if match is None:
            break
        pos = match.end()
        arg, code, char = match.group(1), match.group(2), match.group(3)
        if char == "\r":
            col = 0
        elif char == "\n":
            row += 1
            if row == len(lines):
                lines.append("")
        elif code == "K":
            lines[row] = lines[row][:col] if arg == "" or arg == "0" else ""
        elif code == "A":
            row = max(0, row - int(arg or 1))
    return "\n".join(line.rstrip() for line in lines)


ALERT_LINE = re.compile(r"^\d\d:\d\dZ  [▲▽] (opened|resolved|reopened)\s+\S", re.M)


class Terminal:
    """A command on a pty of 200 columns; everything it writes is kept, escapes stripped."""

    def __init__(self, args: list[str], cwd: Path):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50"}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *args],
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.raw = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the other side closed
                return
            if not chunk:
                return
            self.raw += chunk

    @property
    def text(self) -> str:
        return screen_text(self.raw.decode("utf-8", "replace"))

    def wait_for(self, check: Callable[[str], object], timeout_s: float, what: str) -> object:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = check(self.text)
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        found = check(self.text)
        assert found, f"{what} not on the screen:\n{self.text[-3000:]}"
        return found

    def interrupt(self) -> None:
        """Ctrl-C as a terminal sends it: SIGINT to the foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def finish(self, timeout_s: float) -> int:
        try:
            code = self.proc.wait(timeout=timeout_s)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.reader.join(timeout=5)
        os.close(self.master)
        return code


def demo_args(*extra: str) -> list[str]:
    return ["demo", "--port", str(free_port()), "--emulator-port", str(free_port()), *extra]


def assert_clean(screen: str) -> None:
    assert "Traceback" not in screen
    assert "maximum number of running instances" not in screen
    assert "{'" not in screen  # no Python dicts on the screen


def test_demo_tells_the_story_to_the_end(tmp_path):
    term = Terminal(
        demo_args("--until-done", "--speed", "1920", "--start", "2025-11-21T12:00:00Z"), tmp_path
    )
    # the two lines printed to subscribe a webhook work as pasted (on a free port here)
    pasted = term.wait_for(
        lambda s: re.search(r"^    (python3 -c .*) &\n    (curl -s -X POST .*)$", s, re.M),
        60,
        "paste",
    )
    port = str(free_port())
    receiver = subprocess.Popen(
        "exec " + pasted.group(1).replace("9999", port),
        shell=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        answer = subprocess.run(
            pasted.group(2).replace(":9999/", f":{port}/"),
            shell=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert '"secret":"whsec_' in answer.stdout, answer.stdout + answer.stderr
        code = term.finish(timeout_s=300)
    finally:
        receiver.kill()
    deliveries = receiver.communicate(timeout=10)[0].splitlines()
    screen = term.text
    assert code == 0, screen[-3000:]
    assert_clean(screen)
    # the URLs come once the API answers, with a key and a ready subscription line
    api = re.search(r"status page\s+(http://127\.0\.0\.1:\d+/)", screen)
    assert api, screen[:2000]
    key = re.search(r"admin key\s+(fw_\S+)", screen)
    assert key and f"-H 'X-API-Key: {key.group(1)}'" in pasted.group(2)
    assert pasted.group(2).startswith(f"curl -s -X POST {api.group(1)}api/v1/webhooks")
    assert len(deliveries) >= 20 and all(line.startswith("msg_") for line in deliveries)
    # one named line per alert, with its key figure, in the order they happened
    lines = [m.group(0) for m in re.finditer(r"^\d\d:\d\dZ  [▲▽].*$", screen, re.M)]
    assert len(lines) >= 20, screen[-3000:]
    assert all(ALERT_LINE.match(line) for line in lines)
    advisory = next(i for i, line in enumerate(lines) if "SVZM ADVISORY — NOTAM A0012/25" in line)
    restricted = next(
        i
        for i, line in enumerate(lines)
        if re.search(
            r"opened\s+SVZM RESTRICTED — traffic collapse: foreign aircraft \d+ vs [\d.]+ expected "
            r"\(NOTAM A0012/25 is only an advisory\)",
            line,
        )
    )
    assert advisory < restricted
    assert any(re.search(r"opened\s+AVA730 SKBO–TNCC diverted to TNCA$", line) for line in lines)
    assert any(re.search(r"turned back and landed at TTPP$", line) for line in lines)
    reroutes = [
        line for line in lines if re.search(r"flew around SVZM — \+\d+ km \(\+\d+ NM\)$", line)
    ]
    assert len(reroutes) >= 20
    times = [line[:5] for line in lines if "▲" in line]
    assert times == sorted(times, key=lambda t: (t < "12:00", t))  # scenario order across midnight
    # the live status line was drawn, then the end and the summary
    assert "⏵ scenario" in term.raw.decode("utf-8", "replace")
    assert re.search(r"^scenario over at 04:00Z$", screen, re.M)
    summary = screen[screen.index("summary") :]
    assert re.search(r"SVZM (RESTRICTED|CLOSED) since \d\d:\d\dZ — traffic collapse", summary)
    assert re.search(r"alerts \d+: \d+ reroutes, .*\b1 diversion\b", summary)
    found = re.search(r"reroutes (\d+) of (\d+) found", summary)
    assert found and int(found.group(2)) > 0 and int(found.group(1)) >= 0.9 * int(found.group(2))
    assert "demo result: OK" in summary
    delivered = re.search(r"webhook deliveries: .*?(\d+) delivered", summary)
    assert delivered and int(delivered.group(1)) >= len(deliveries) - 2
    database = re.search(r"database: sqlite:///(\S+)", summary)
    assert database and Path(database.group(1)).exists()
    assert not (tmp_path / "var").exists()  # nothing left in the directory it was run from


def test_ctrl_c_mid_way_prints_the_summary(tmp_path):
    term = Terminal(demo_args("--speed", "960", "--start", "2025-11-21T17:30:00Z"), tmp_path)
    try:
        term.wait_for(lambda s: "SVZM ADVISORY — NOTAM" in s, 120, "the warning's alert line")
    except AssertionError:
        term.finish(timeout_s=1)
        raise
    term.interrupt()
    code = term.finish(timeout_s=60)
    screen = term.text
    assert code == 0, screen[-3000:]
    assert_clean(screen)
    stopped = re.search(r"stopped \(Ctrl-C\) at scenario time (\d\d:\d\d)Z", screen)
    assert stopped, screen[-3000:]
    assert "18:00" <= stopped.group(1) < "23:59"
    assert "scenario over" not in screen
    summary = screen[screen.index("summary", stopped.end()) :]
    assert re.search(r"SVZM (ADVISORY|RESTRICTED|CLOSED) since \d\d:\d\dZ", summary)
    assert re.search(r"alerts \d+: .*\b(1|2) NOTAMs?\b", summary)
    assert f"flights landed by {stopped.group(1)}Z" in summary
    assert re.search(r"demo result: (OK|INCOMPLETE)", summary)
