"""The part every loopback fake shares: an HTTP server on 127.0.0.1 (a free port) in a daemon
thread, stopped by ``close()`` or ``with``; ``_closing`` lets scripted delays end early."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    _closing: threading.Event
    _server: ThreadingHTTPServer

    def _serve(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        """Start answering with ``handler`` (call last in ``__init__``, once state is set)."""
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                         name=name).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
