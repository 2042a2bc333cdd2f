"""Loopback fakes of the routes a key check calls: OpenAI ``GET /v1/models`` and Replicate
``GET /v1/account``, with the real answers (see ``../shared/reference/provider-apis.md``).

Only ``keys`` are accepted; any other bearer token gets the provider's real 401 (OpenAI's echoes
part of the key, as the real one does, so tests can check that it never reaches a message).
``script(Reply(...))`` queues answers (status, body, delay, headers) used before the default::

    with FakeKeyServer.openai() as fake:
        fake.script(Reply(429, headers={"Retry-After": "5"}))
        check_openai_key(fake.key, fake.base_url)
"""

from __future__ import annotations

import socket
from collections import deque
from typing import Any, Callable

from fakes.loopback import JsonHandler, LoopbackServer

from fakes.openai_server import Reply, error_body

OPENAI_KEY = "sk-test-keycheck-0123456789abcdef"
REPLICATE_TOKEN = "r8_TESTkeycheck0123456789abcdef"

OPENAI_MODELS = {"object": "list", "data": [
    {"id": name, "object": "model", "created": 1721172741, "owned_by": "system"}
    for name in ("gpt-4o-mini", "gpt-4.1-mini", "whisper-1")]}
REPLICATE_ACCOUNT = {"type": "user", "username": "mv-studio-test", "name": "MV Studio Test",
                     "github_url": None}


def openai_error(status: int, key: str) -> dict:
    if status == 401:
        return error_body(401, f"Incorrect API key provided: {key[:3]}*****{key[-4:]}. You can "
                               "find your API key at https://platform.openai.com/account/api-keys.",
                          "invalid_api_key")
    if status == 429:
        return error_body(429, "Rate limit reached for requests", "rate_limit_exceeded")
    return error_body(status)


def replicate_error(status: int, key: str) -> dict:
    """Replicate's RFC 7807 problem bodies."""
    if status == 401:
        return {"title": "Unauthenticated", "detail": "You did not pass a valid authentication "
                "token", "status": 401}
    if status == 429:
        return {"detail": "Request was throttled. Expected available in 5 seconds.",
                "status": 429, "retry_after": 5}
    return {"title": "Error", "detail": f"HTTP {status}", "status": status}


class FakeKeyServer(LoopbackServer):
    """One provider's key-check route on 127.0.0.1 (see module doc)."""

    def __init__(self, route: str, ok_body: dict, error: Callable[[int, str], dict], key: str,
                 prefix: str = ""):
        self.route, self.ok_body, self.error, self.key = route, ok_body, error, key
        self.keys = {key}
        self.prefix = prefix  # the part of the route the client's base_url carries
        self.requests: list[dict[str, str]] = []  # headers of each request, lower-case names
        self._replies: deque[Reply] = deque()
        self._serve(self._handler(), "fake-key-server")

    @classmethod
    def openai(cls) -> "FakeKeyServer":
        return cls("/v1/models", OPENAI_MODELS, openai_error, OPENAI_KEY, "/v1")

    @classmethod
    def replicate(cls) -> "FakeKeyServer":
        return cls("/v1/account", REPLICATE_ACCOUNT, replicate_error, REPLICATE_TOKEN)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def script(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    def _answer(self, path: str, auth: str) -> tuple[Reply, Any]:
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if path != self.route:
            return Reply(404), self.error(404, token)
        if token not in self.keys:
            return Reply(401), self.error(401, token)
        reply = self._replies.popleft() if self._replies else Reply()
        if reply.body is not None:
            return reply, reply.body
        return reply, self.ok_body if reply.status < 400 else self.error(reply.status, token)

    def _handler(self):
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                fake.requests.append({k.lower(): v for k, v in self.headers.items()})
                reply, body = fake._answer(self.path.split("?")[0],
                                           self.headers.get("Authorization", ""))
                if reply.delay and fake._closing.wait(reply.delay):
                    return
                self.send_json(reply.status, body, reply.headers)

        return Handler


def closed_port_url(prefix: str = "") -> str:
    """A loopback URL where nothing listens (connection refused: "network unreachable")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{prefix}"
