"""The body limit counts streamed bytes: a chunked upload cannot grow the process (issue 18).

The API runs as its own process (uvicorn on loopback) so its peak resident memory (VmHWM)
can be read; the review saw 279 MB grow to 2.06 GB from one chunked 150 MB POST without a key.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from service.api.auth import create_key
from service.store.db import make_engine, make_sessionmaker, upgrade
from tests.support import free_port

SERVER = """
import sys, uvicorn
from service.config import load_settings
from service.api.app import create_app
settings = load_settings(sys.argv[1], database_url=sys.argv[2], seeds_dir=sys.argv[3])
uvicorn.run(create_app(settings, start_scheduler=False), host="127.0.0.1", port=int(sys.argv[4]),
            log_level="warning")
"""
MB = 1024 * 1024


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def chunked_post(port: int, path: str, total_mb: int, headers: dict[str, str]) -> bytes:
    """POST ``total_mb`` of JSON-ish bytes with Transfer-Encoding: chunked; the raw answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "Content-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())
    chunk = b'{"filters":{"airspaces":[' + b'"SVZM",' * (MB // 8)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    answer = b""
    try:
        for _ in range(total_mb):
            sock.sendall(frame)
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed without reading the rest: the point
    try:
        sock.settimeout(10)
        while data := sock.recv(65536):
            answer += data
    except OSError:
        pass
    sock.close()
    return answer


def test_chunked_upload_peak_rss_stays_under_100_mb(tmp_path, settings):
    url = settings.resolved_database_url
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as s:
        _row, key = create_key(s, "admin", ["admin"])
    engine.dispose()
    root = Path(__file__).resolve().parents[2]
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER,
            str(root / "config.yaml"),
            url,
            str(root / "seeds"),
            str(port),
        ],
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        httpx.post(f"http://127.0.0.1:{port}/api/v1/webhooks", json={"url": "x"})  # warm paths
        baseline = peak_rss_mb(proc.pid)
        anonymous = chunked_post(port, "/api/v1/webhooks", 150, {})
        admin = chunked_post(port, "/api/v1/webhooks", 20, {"X-API-Key": key})
        growth = peak_rss_mb(proc.pid) - baseline
        assert growth < 100, f"peak RSS grew {growth:.0f} MB"
        assert anonymous.startswith(b"HTTP/1.1 401"), anonymous[:200]
        assert admin.startswith(b"HTTP/1.1 413"), admin[:200]
        listed = httpx.get(f"http://127.0.0.1:{port}/api/v1/webhooks", headers={"X-API-Key": key})
        assert listed.json() == []  # nothing stored
        print(f"baseline {baseline:.0f} MB, growth {growth:.1f} MB")
    finally:
        proc.terminate()
        proc.wait(10)
