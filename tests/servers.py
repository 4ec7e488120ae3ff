"""Real processes for the tests that need them: the app served in a process of its own (to be
killed outright, or run twice side by side), and a throwaway Redis server."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SERVE = """
import json, sys
from coregroup import create_app
from werkzeug.serving import run_simple
app = create_app("test", **json.loads(sys.argv[1]))
run_simple("127.0.0.1", int(sys.argv[2]), app, threaded=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """The app (test configuration plus `config`) served by one process on loopback."""

    def __init__(self, **config):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, json.dumps(config), str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/sign-in", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the app did not start serving within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


class ThrowawayRedis:
    """Debian's redis-server on a free loopback port, keeping nothing on disk."""

    def __init__(self):
        path = shutil.which("redis-server")
        if not path:
            # A test that cannot run is a failure, never a skip: CI must install Redis.
            pytest.fail(
                "Debian's redis-server is not installed: run `apt-get install redis-server`."
            )
        self.port = free_port()
        self.uri = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                path,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)
