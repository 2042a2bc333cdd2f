"""The part every loopback fake shares: an HTTP server on 127.0.0.1 (a free port) in a daemon
thread, stopped by ``close()`` or ``with``; ``_closing`` lets scripted delays end early.

``JsonHandler`` is the quiet HTTP/1.1 handler the fakes answer with (JSON in one write);
``ScriptedServer`` adds per-route queues of scripted replies and a log of every request.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave together, not 40 ms apart

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, body: Any, headers: Optional[dict[str, str]] = None,
                  content_type: str = "application/json") -> None:
        """Answer ``body`` (bytes, text, or a value to JSON-encode); a client gone is ignored."""
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout or a cancel test)


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


class ScriptedServer(LoopbackServer):
    """A fake with routes: ``script(route, *replies)`` queues answers that requests to ``route``
    take before the real one; ``requests`` logs every request, ``requests_to`` those of a route
    (``route_of`` names a request's route: its path unless a fake says otherwise)."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self._queues: dict[str, deque[Any]] = defaultdict(deque)
        self._lock = threading.Lock()

    def script(self, route: str, *replies: Any) -> None:
        """Queue ``replies`` for ``route``; each request to it takes the next one."""
        with self._lock:
            self._queues[route].extend(replies)

    def route_of(self, request: Any) -> Optional[str]:
        return request.path

    def requests_to(self, route: str) -> list[Any]:
        with self._lock:
            return [r for r in self.requests if self.route_of(r) == route]

    def _log(self, request: Any) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_reply(self, route: str) -> Optional[Any]:
        with self._lock:
            queue = self._queues[route]
            return queue.popleft() if queue else None
