"""A fake Replicate API on 127.0.0.1 for tests with the real ``replicate`` client.

Routes (what the client sends, see ``../shared/reference/provider-apis.md``):

* ``POST /v1/models/{owner}/{name}/predictions`` and ``POST /v1/predictions`` (``version`` in the
  body, known through ``versions``): 201 with a prediction ``starting``;
* ``GET /v1/predictions/{id}``: ``processing`` (with tqdm-style progress logs) until ``polls``
  GETs or ``seconds`` have passed, then the prediction's ``Outcome``: ``succeeded`` with a
  ``data:`` URL output (a tiny real PNG, MP4 or WAV made with the bundled FFmpeg) and
  ``metrics.predict_time``, or ``failed`` with an error; ``never`` keeps it processing;
* ``POST /v1/predictions/{id}/cancel``: the prediction is ``canceled`` (ids in ``cancelled``);
* ``POST /v1/files`` (multipart ``content``): 201 with the file JSON (kept in ``files``).

Each route (``CREATE``, ``GET``, ``CANCEL``, ``FILES``) has a queue of scripted ``Reply``s used
before the real answer (``throttled(5)``: the real 429 with ``retry_after``); errors are RFC 7807
bodies.  Outcomes are taken from ``outcomes`` in order, then ``default``.  Tokens not in
``tokens`` (or ``revoke``d) get the real 401.  ``creates`` counts accepted creates per model;
``requests`` logs every request.  Usage::

    with FakeReplicate() as fake:
        fake.script(fake.CREATE, throttled(1))
        fake.outcomes.append(Outcome("failed", error="CUDA out of memory"))
        client = replicate.Client(api_token=fake.token, base_url=fake.base_url)
"""

from __future__ import annotations

import base64
import re
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from fakes.loopback import JsonHandler, ScriptedServer
from fakes.openai_server import Reply, Request, _parse_request
from media_factory import lavfi_clip, run_ffmpeg_quiet, sine_audio

DEFAULT_TOKEN = "r8_fake_0123456789abcdefghijklmnopqrstuv"
VIDEO_MODELS = {"bytedance/seedance-1-lite", "wan-video/wan-2.2-i2v-fast", "kwaivgi/kling-v2.1",
                "minimax/hailuo-02", "minimax/video-01"}
AUDIO_MODELS = {"meta/musicgen"}
TITLES = {401: "Unauthenticated", 404: "Not found", 422: "Input validation failed",
          429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class Outcome:
    """How one prediction ends: after ``polls`` GETs (None: the server's ``polls``) or, if set,
    ``seconds`` after its create; ``never``: it stays processing."""

    status: str = "succeeded"  # or "failed"
    error: Optional[str] = None
    output: Any = None  # None: a data: URL of the model's kind (a list for image models)
    polls: Optional[int] = None
    seconds: Optional[float] = None
    predict_time: float = 1.5
    never: bool = False


def problem(status: int, detail: str = "", **extra: Any) -> dict:
    """An RFC 7807 error body as Replicate sends it."""
    return {"title": TITLES.get(status, f"HTTP {status}"), "detail": detail or
            TITLES.get(status, ""), "status": status, **extra}


def throttled(retry_after: int = 5) -> Reply:
    """The real 429 answer to a create, asking to wait ``retry_after`` seconds."""
    return Reply(429, problem(429, f"Request was throttled. Expected available in {retry_after} "
                              "seconds.", retry_after=retry_after))


@lru_cache(maxsize=None)
def sample_media(kind: str, seconds: float = 1.0) -> tuple[str, bytes]:
    """``(mime type, bytes)`` of a tiny real file: "image" PNG, "video" MP4, "audio" WAV."""
    folder = Path(tempfile.mkdtemp(prefix="fake-replicate-"))
    if kind == "video":
        path = lavfi_clip(folder / "out.mp4", seconds=seconds, fps=24, width=64, height=36)
        return "video/mp4", path.read_bytes()
    if kind == "audio":
        return "audio/wav", sine_audio(folder / "out.wav", seconds=seconds).read_bytes()
    path = folder / "out.png"
    run_ffmpeg_quiet(["-f", "lavfi", "-i", "testsrc2=s=64x36", "-frames:v", "1", str(path)])
    return "image/png", path.read_bytes()


def data_url(kind: str, seconds: float = 1.0) -> str:
    mime, data = sample_media(kind, seconds)
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@dataclass
class Prediction:
    id: str
    model: str
    version: str
    input: dict
    outcome: Outcome
    created: float = field(default_factory=time.monotonic)
    polls: int = 0
    canceled: bool = False


def _stamp(seconds_ago: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - seconds_ago))


class FakeReplicate(ScriptedServer):
    """The fake server (see module doc).  Starts on construction; ``close()`` or ``with``."""

    CREATE, GET, CANCEL, FILES = "create", "get", "cancel", "files"

    def __init__(self, tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
                 versions: Optional[dict[str, str]] = None, polls: int = 2,
                 video_seconds: float = 1.0):
        super().__init__()
        self.token = tokens[0]
        self.tokens = set(tokens)
        self.versions = dict(versions or {})  # version hash -> "owner/name"
        self.polls = polls
        self.video_seconds = video_seconds
        self.default = Outcome()
        self.outcomes: deque[Outcome] = deque()
        self.predictions: dict[str, Prediction] = {}
        self.files: dict[str, tuple[str, str, bytes]] = {}
        self.creates: Counter[str] = Counter()
        self.cancelled: list[str] = []
        for kind in ("image", "video", "audio"):  # made now, not while a client waits
            sample_media(kind, video_seconds if kind == "video" else 1.0)
        self._serve(self._handler_class(), "fake-replicate")

    # ------------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def revoke(self, token: str) -> None:
        self.tokens.discard(token)

    def route_of(self, request: Request) -> Optional[str]:
        return _route(request.method, request.path)[0]

    # ------------------------------------------------------------------ answers

    def _prediction_json(self, p: Prediction) -> dict:
        outcome = p.outcome
        done_by_time = outcome.seconds is not None and \
            time.monotonic() - p.created >= outcome.seconds
        done_by_polls = outcome.seconds is None and p.polls >= (outcome.polls or self.polls)
        status, output, error, logs, metrics = "processing", None, None, "", None
        if p.canceled:
            status = "canceled"
        elif p.polls == 0:
            status = "starting"
        elif not outcome.never and (done_by_time or done_by_polls):
            status, error = outcome.status, outcome.error
            output = self._output(p) if status == "succeeded" else None
            metrics = {"predict_time": outcome.predict_time}
            logs = "100%|##########| 4/4"
        else:
            step = min(p.polls, 3)
            logs = f"{step * 25}%|{'#' * step * 2:<10}| {step}/4"
        url = f"{self.base_url}/v1/predictions/{p.id}"
        return {"id": p.id, "model": p.model, "version": p.version, "input": p.input,
                "status": status, "output": output, "error": error, "logs": logs,
                "metrics": metrics, "created_at": _stamp(time.monotonic() - p.created),
                "started_at": _stamp() if p.polls else None,
                "completed_at": _stamp() if status in ("succeeded", "failed", "canceled")
                else None, "urls": {"get": url, "cancel": f"{url}/cancel"}}

    def _output(self, p: Prediction) -> Any:
        if p.outcome.output is not None:
            return p.outcome.output
        if p.model in VIDEO_MODELS:
            return data_url("video", self.video_seconds)
        if p.model in AUDIO_MODELS:  # as long as asked (MusicGen's ``duration``)
            return data_url("audio", float(p.input.get("duration", 1.0)))
        return [data_url("image")]

    def _create(self, request: Request, model: Optional[str]) -> tuple[int, Any]:
        body = request.json or {}
        version = body.get("version", "")
        if model is None:
            model = self.versions.get(version)
            if model is None:
                return 422, problem(422, "Invalid version or not permitted")
        if not isinstance(body.get("input"), dict):
            return 422, problem(422, "input is required")
        with self._lock:
            pid = f"p{len(self.predictions) + 1:04d}fake"
            outcome = self.outcomes.popleft() if self.outcomes else replace(self.default)
            self.predictions[pid] = Prediction(pid, model, version or "fakeversion",
                                               body["input"], outcome)
            self.creates[model] += 1
        return 201, self._prediction_json(self.predictions[pid])

    def _upload(self, request: Request) -> tuple[int, Any]:
        name, ctype, data = request.files.get("content", ("", "", b""))
        if not name:
            return 422, problem(422, "a multipart part named 'content' is required")
        with self._lock:
            fid = f"f{len(self.files) + 1:04d}fake"
            self.files[fid] = (name, ctype, data)
        return 201, {"id": fid, "name": name, "content_type": ctype, "size": len(data),
                     "etag": f"etag-{fid}", "checksums": {}, "metadata": {},
                     "created_at": _stamp(), "expires_at": None,
                     "urls": {"get": f"https://api.replicate.com/v1/files/{fid}"}}

    def _known(self, route: str, pid: str) -> tuple[int, Any]:
        with self._lock:
            p = self.predictions.get(pid)
            if p is None:
                return 404, problem(404, f"prediction {pid} not found")
            if route == self.CANCEL:
                p.canceled = True
                self.cancelled.append(pid)
            else:
                p.polls += 1
            return 200, self._prediction_json(p)

    def _answer(self, request: Request) -> tuple[int, Any, float, dict[str, str]]:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return 401, problem(401, "You did not pass a valid authentication token"), 0.0, {}
        route, arg = _route(request.method, request.path)
        if route is None:
            return 404, problem(404, f"no route {request.method} {request.path}"), 0.0, {}
        reply = self._next_reply(route)
        if reply is not None and reply.status >= 400:
            body = reply.body if reply.body is not None else problem(reply.status)
            return reply.status, body, reply.delay, reply.headers
        if route == self.CREATE:
            status, body = self._create(request, arg)
        elif route == self.FILES:
            status, body = self._upload(request)
        else:
            status, body = self._known(route, arg)
        return status, body, reply.delay if reply else 0.0, reply.headers if reply else {}

    # ------------------------------------------------------------------ HTTP

    def _handler_class(self):
        fake = self

        class Handler(JsonHandler):
            def _handle(self, method: str) -> None:
                request = _parse_request(method, self.path, dict(self.headers.items()),
                                         self.read_body())
                fake._log(request)
                status, body, delay, headers = fake._answer(request)
                if delay and fake._closing.wait(delay):
                    return
                self.send_json(status, body, headers, "application/problem+json"
                               if status >= 400 else "application/json")

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

        return Handler


_ROUTES = [("POST", re.compile(r"^/v1/models/([\w.-]+/[\w.-]+)/predictions$"), "create"),
           ("POST", re.compile(r"^/v1/predictions$"), "create"),
           ("GET", re.compile(r"^/v1/predictions/(\w+)$"), "get"),
           ("POST", re.compile(r"^/v1/predictions/(\w+)/cancel$"), "cancel"),
           ("POST", re.compile(r"^/v1/files$"), "files")]


def _route(method: str, path: str) -> tuple[Optional[str], Optional[str]]:
    """``(route, argument)`` for a request: the model of a create, a prediction's id."""
    for verb, pattern, route in _ROUTES:
        match = pattern.match(path) if verb == method else None
        if match:
            return route, match.group(1) if match.groups() else None
    return None, None
