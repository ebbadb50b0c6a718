"""A fake vendor's HTTP server on a free 127.0.0.1 port, served from a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer:
    """Subclasses give `handler()`, their request handler class, and `handler_attr`, the attribute
    through which a request handler reaches the fake (`self.vendor`, `self.api`)."""

    handler_attr: str
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "call start() first"
        return self._server.server_address[1]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        handler = type("Handler", (self.handler(),), {self.handler_attr: self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: a free port
        self._server.daemon_threads = True  # a handler sleeping out a delay must not block stop()
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
