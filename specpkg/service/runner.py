"""Run an ASGI application with uvicorn in a background thread, on a free port.

For the tests, the notebook, the benchmark and the User's own receiver: a real
HTTP server on 127.0.0.1 that starts and stops from Python. ``port=0`` takes an
ephemeral port; :attr:`ServerThread.url` says which.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from specpkg.errors import SpecError


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn. TCP_NODELAY is set on it, so that every connection
    accepted from it has it: without it, a keep-alive connection waits for the client's
    delayed ACK (about 40 ms on Linux) between a response's head and its body."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


class ServerThread:
    """A uvicorn server in a daemon thread; a context manager."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning") -> None:
        self.app, self.host, self.port = app, host, port
        self.config = uvicorn.Config(app, log_level=log_level, lifespan="on",
                                     access_log=False)
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        sock = listening_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True, name=f"uvicorn:{self.port}")
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise SpecError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout)
        self.server = self.thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
