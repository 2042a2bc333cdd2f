"""A fake OpenAI API on 127.0.0.1 for tests with the real ``openai`` client.

Routes (what the client sends, see ``../shared/reference/provider-apis.md``):

* ``POST /v1/audio/transcriptions`` (multipart: ``file``, ``model``, ``response_format``,
  ``timestamp_granularities[]``): answers ``transcript`` (verbose_json) by default;
* ``POST /v1/chat/completions`` (JSON; ``response_format`` json_schema): answers a
  ``chat.completion`` whose message content is ``chat_content`` or else a minimal instance of the
  requested schema.

Each route has a queue of scripted ``Reply``s (status, body, delay, headers) used before the
default; every request is logged (``requests``) with its headers, JSON body or multipart form and
files.  Only keys in ``api_keys`` are accepted: any other (or a ``revoke``d one) gets the real
401 ``invalid_api_key`` error.  Usage::

    with FakeOpenAI() as fake:
        fake.script(fake.TRANSCRIPTIONS, Reply(429), Reply(500), Reply(delay=2.0))
        client = openai.OpenAI(api_key=fake.key, base_url=fake.base_url, max_retries=0)
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import json
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from fakes.loopback import JsonHandler, ScriptedServer

DEFAULT_KEY = "sk-test-fake-0123456789abcdef"

DEFAULT_TRANSCRIPT = {
    "task": "transcribe", "language": "english", "duration": 6.0,
    "text": "Hello city lights. Shine on me.",
    "words": [{"word": "Hello", "start": 0.5, "end": 0.9}, {"word": "city", "start": 0.9, "end": 1.3},
              {"word": "lights", "start": 1.3, "end": 1.9}, {"word": "Shine", "start": 3.0, "end": 3.4},
              {"word": "on", "start": 3.4, "end": 3.6}, {"word": "me", "start": 3.6, "end": 4.2}],
    "segments": [
        {"id": 0, "seek": 0, "start": 0.4, "end": 2.0, "text": " Hello city lights.", "tokens": [],
         "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01},
        {"id": 1, "seek": 0, "start": 2.9, "end": 4.3, "text": " Shine on me.", "tokens": [],
         "temperature": 0.0, "avg_logprob": -0.25, "compression_ratio": 1.0, "no_speech_prob": 0.02}],
}


@dataclass
class Reply:
    """One scripted answer: ``body`` None means the route's default answer with this status."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name, type, bytes
    at: float = 0.0


def error_body(status: int, message: str = "", code: Optional[str] = None) -> dict:
    """The real API's error shape ``{"error": {message, type, param, code}}``."""
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 403: "insufficient_quota",
             404: "invalid_request_error", 429: "requests", 500: "server_error",
             503: "server_error"}
    text = message or {429: "Rate limit reached for requests", 500: "The server had an error "
                       "while processing your request.", 503: "The engine is overloaded."}.get(
                           status, f"HTTP {status}")
    return {"error": {"message": text, "type": kinds.get(status, "api_error"), "param": None,
                      "code": code}}


def example_for_schema(schema: dict, defs: Optional[dict] = None) -> Any:
    """A minimal JSON value valid for a (strict) JSON schema: first enum/const, empty strings..."""
    defs = defs if defs is not None else schema.get("$defs", schema.get("definitions", {}))
    if "$ref" in schema:
        return example_for_schema(defs[schema["$ref"].split("/")[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return example_for_schema(schema[key][0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {k: example_for_schema(v, defs) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        n = schema.get("minItems", 0)
        return [example_for_schema(schema.get("items", {}), defs) for _ in range(n)]
    return {"string": "", "integer": schema.get("minimum", 0), "number": schema.get("minimum", 0.0),
            "boolean": False, "null": None}.get(kind, None)


def chat_completion(content: Any, model: str = "gpt-4o-mini", finish_reason: str = "stop",
                    refusal: Optional[str] = None, usage: tuple[int, int] = (10, 10)) -> dict:
    """A ``chat.completion`` body whose message is ``content`` (JSON-encoded unless text)."""
    if content is not None and not isinstance(content, str):
        content = json.dumps(content)
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": finish_reason, "logprobs": None,
                         "message": {"role": "assistant", "content": content,
                                     "refusal": refusal}}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                      "total_tokens": sum(usage)}}


class FakeOpenAI(ScriptedServer):
    """The fake server (see module doc).  Starts on construction; ``close()`` or ``with``."""

    TRANSCRIPTIONS = "/v1/audio/transcriptions"
    CHAT = "/v1/chat/completions"

    def __init__(self, api_keys: tuple[str, ...] = (DEFAULT_KEY,)):
        super().__init__()
        self.key = api_keys[0]
        self.api_keys = set(api_keys)
        self.transcript: dict = copy.deepcopy(DEFAULT_TRANSCRIPT)
        self.chat_content: Any = None
        self._serve(self._handler_class(), "fake-openai")

    # ------------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def revoke(self, key: str) -> None:
        self.api_keys.discard(key)

    # ------------------------------------------------------------------ answers

    def _default_body(self, route: str, request: Request) -> Any:
        if route == self.TRANSCRIPTIONS:
            return self.transcript
        if route == self.CHAT:
            return self._chat_completion(request)
        return error_body(404, f"Invalid URL (POST {route})")

    def _chat_completion(self, request: Request) -> dict:
        body = request.json or {}
        content = self.chat_content
        if content is None:
            fmt = body.get("response_format") or {}
            schema = (fmt.get("json_schema") or {}).get("schema")
            content = example_for_schema(schema) if schema else "OK"
        return chat_completion(content, body.get("model", "gpt-4o-mini"))

    def _answer(self, request: Request) -> tuple[int, Any, float, dict[str, str]]:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.api_keys:
            shown = auth[7:12] + "..." + auth[-3:] if len(auth) > 15 else "(none)"
            return 401, error_body(401, f"Incorrect API key provided: {shown}.",
                                   "invalid_api_key"), 0.0, {}
        route = request.path
        if route not in (self.TRANSCRIPTIONS, self.CHAT):
            return 404, error_body(404, f"Invalid URL (POST {route})"), 0.0, {}
        reply = self._next_reply(route) or Reply()
        body = reply.body
        if body is None:
            body = self._default_body(route, request) if reply.status < 400 else \
                error_body(reply.status)
        return reply.status, body, reply.delay, reply.headers

    # ------------------------------------------------------------------ HTTP

    def _handler_class(self):
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                request = _parse_request("POST", self.path, dict(self.headers.items()),
                                         self.read_body())
                fake._log(request)
                status, body, delay, headers = fake._answer(request)
                if delay and fake._closing.wait(delay):
                    return
                self.send_json(status, body, headers)

        return Handler


def _parse_request(method: str, path: str, headers: dict[str, str], raw: bytes) -> Request:
    lower = {k.lower(): v for k, v in headers.items()}
    request = Request(method, path.split("?")[0], lower, raw, at=time.monotonic())
    ctype = lower.get("content-type", "")
    if ctype.startswith("application/json") and raw:
        request.json = json.loads(raw)
    elif ctype.startswith("multipart/form-data"):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                request.files[name] = (filename, part.get_content_type(), payload)
            else:
                request.form.setdefault(name, []).append(payload.decode("utf-8", "replace"))
    return request
