"""A real orchestrator for the tests: ``serve`` on free ports over a temporary data directory.

The command is ``dotnet <repo>/src/Orchestrator.Host/bin/Debug/net10.0/orchestrator.dll`` (build the
solution first) unless ORCHESTRATOR_SERVE names another: a path to orchestrator.dll or to an
``orchestrator`` executable, or a command line; ``serve --port 0 --http-port 0 --data-dir DIR`` is
appended.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT_DIR))
DEFAULT_DLL = os.path.join(REPO, "src", "Orchestrator.Host", "bin", "Debug", "net10.0", "orchestrator.dll")
HTTP_LINE = re.compile(r"^orchestrator: HTTP at (https?://\S+)")
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0

if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)


def serve_command() -> List[str]:
    override = os.environ.get("ORCHESTRATOR_SERVE")
    if override:
        parts = shlex.split(override)
    else:
        if not os.path.exists(DEFAULT_DLL):
            raise RuntimeError("%s is missing: run `dotnet build Orchestrator.Actors.sln -c Debug` in %s first "
                               "(or set ORCHESTRATOR_SERVE)" % (DEFAULT_DLL, REPO))
        parts = [DEFAULT_DLL]
    if parts[0].endswith(".dll"):
        parts = ["dotnet"] + parts
    return parts


class ServerProcess:
    """``serve`` in a child process; ``url`` once it printed its HTTP line."""

    def __init__(self, env: Optional[Dict[str, str]] = None, config: Optional[str] = None) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="orchestrator-py-")
        command = serve_command() + ["serve", "--port", "0", "--http-port", "0", "--data-dir", self.data_dir]
        if config is not None:
            path = os.path.join(self.data_dir, "overlay.conf")
            with open(path, "w", encoding="utf-8") as f:
                f.write(config)
            command += ["--config", path]
        environment = dict(os.environ)
        environment.pop("ORCHESTRATOR_API_KEYS", None)
        environment.update(env or {})
        environment.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        environment.setdefault("DOTNET_NOLOGO", "1")
        self.output: List[str] = []
        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.process = subprocess.Popen(command, cwd=self.data_dir, env=environment, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8", errors="replace", bufsize=1)
        # Drains the output for the whole life of the process, so the pipe never fills up.
        self._reader = threading.Thread(target=self._read, name="serve-output", daemon=True)
        self._reader.start()
        self.url = self._await_url()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.output.append(line.rstrip("\n"))
                self._lines.put(line)
        self._lines.put(None)

    def _await_url(self) -> str:
        while True:
            try:
                line = self._lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                self.kill()
                raise RuntimeError("serve printed no HTTP line within %ss:\n%s" % (START_TIMEOUT, self.tail()))
            if line is None:
                code = self.process.wait()
                self.cleanup()
                raise RuntimeError("serve exited with %s before its HTTP line:\n%s" % (code, self.tail()))
            m = HTTP_LINE.match(line.strip())
            if m:
                return m.group(1)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output[-lines:])

    def stop(self) -> int:
        """SIGTERM, then its exit code (it finishes its writes first)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._reader.join(timeout=10)
        self.cleanup()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CuttingProxy:
    """A TCP proxy in front of a server whose open connections the test can cut (``cut()``)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._open: List[socket.socket] = []
        self._all: List[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: List[threading.Thread] = []
        self._closed = False
        self._accepting = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self.connections += 1
                self._open += [client, upstream]
                self._all += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    t = threading.Thread(target=self._pump, args=(a, b), daemon=True)
                    self._threads.append(t)
                    t.start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        """Drops every open connection (both sides see it end)."""
        with self._lock:
            sockets, self._open = self._open, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._open = []
            sockets = list(self._all)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)
        self._accepting.join(timeout=5)
        for s in sockets:
            s.close()
