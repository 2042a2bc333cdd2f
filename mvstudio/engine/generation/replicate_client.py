"""One prediction on Replicate through the real ``replicate`` client (async API), made robust.

What the client (1.0.7) does and what ``ReplicateRunner`` adds:

* A create (POST) is never retried by the client.  We retry it, and uploads and downloads: one
  try plus one after each of ``retry_delays`` (2, 4, 8 s; longer when the answer asks for it with
  ``retry_after`` or ``Retry-After``) on 429, 5xx and lost connections.  A rejected token (401)
  or input (other 4xx) stops at once.
* The client's transport retries a GET on 429/503/504, but a 500/502 or a dropped connection
  ends ``Prediction.async_wait``.  So we poll ourselves with ``async_reload`` every
  ``poll_interval`` (the client's, from ``REPLICATE_POLL_INTERVAL``), shrug off up to
  ``POLL_ERRORS`` transient errors in a row, and report progress from the logs.
* A prediction that fails, is cancelled on the server, outlives the model's ``timeout`` (then it
  is cancelled) or gives an unusable output is made again (a new create), ``attempts`` in all;
  then one ``ProviderError`` line says why.
* The caller hears each prediction id before the wait (``on_created``) and can later reattach to
  it (``resume_id``) instead of paying for a new one; a prediction we lose touch with (polls
  failing) is left running for that.
* Cancelling our ``CancelToken`` cancels the remote prediction and raises ``Cancelled``; no file
  is left behind.

Small input files go inline as data URIs (Replicate's advice: up to 256 KB), larger ones through
``files.create``.  Outputs (``data:`` or ``https:`` URLs) are streamed to the work folder through
the client (which sends the token, as the real client does) and checked by the caller's ``check``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import mimetypes
import ssl
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Optional, Sequence
from urllib.parse import urlparse

import httpx
import replicate
from replicate.exceptions import ReplicateError
from replicate.helpers import FileOutput
from replicate.prediction import Prediction

from mvstudio.engine.errors import Cancelled, KeyRejected, ProviderError
from mvstudio.engine.events import CancelToken, until_cancelled
from mvstudio.engine.generation.model_registry import (ModelSpec, RegistryError, build_input,
                                                       ceiling, choose_duration, choose_resolution,
                                                       cost, estimate, files_to_send, get_model,
                                                       job_of)
from mvstudio.engine.generation.openai_common import RETRY_DELAYS, Sleep
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.keys import mask

log = logging.getLogger(__name__)

TOKEN_REJECTED = ("Replicate rejected the API token (HTTP 401): it is wrong or was revoked; "
                  "enter a valid token in Settings")
INLINE_LIMIT = 256 * 1024
POLL_ERRORS = 5
CANCEL_TIMEOUT = 10.0
WHY_LIMIT = 300  # characters of a model's error kept in the message
TERMINAL = ("succeeded", "failed", "canceled")
DEFAULT_EXT = {"image": "png", "video": "mp4", "music": "wav"}


class BadOutput(Exception):
    """The prediction succeeded but its output is missing or unusable (made again)."""


@dataclass
class Outcome:
    path: Path
    prediction_id: str
    predict_time: Optional[float]
    inputs: dict[str, Any]
    checked: Any  # what ``check`` returned


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """The certificate store, loaded once (30-80 ms a time; honours ``SSL_CERT_FILE``)."""
    return httpx.create_ssl_context()


class _Session:
    """One run's client: its own transport (closed at the end, as its connections belong to the
    running loop), the last ``retry_after`` a 429 asked for, and the prediction in flight."""

    def __init__(self, token: str, base_url: Optional[str], poll_interval: Optional[float]):
        self.transport = httpx.AsyncHTTPTransport(verify=_tls())
        self.retry_after = 0.0
        self.prediction_id: Optional[str] = None
        self.client = replicate.Client(api_token=token, base_url=base_url,
                                       transport=self.transport,
                                       event_hooks={"response": [self._note_retry_after]})
        if poll_interval is not None:
            self.client.poll_interval = poll_interval

    async def _note_retry_after(self, response: httpx.Response) -> None:
        if response.status_code != 429:
            return
        await response.aread()
        try:
            hint = response.json().get("retry_after")
        except ValueError:
            hint = None
        hint = hint if hint is not None else response.headers.get("retry-after", "")
        try:
            self.retry_after = float(hint)
        except (TypeError, ValueError):
            self.retry_after = 0.0

    async def cancel_remote(self) -> None:
        """Best effort: the prediction in flight is cancelled on the server."""
        if self.prediction_id is None:
            return
        try:
            await asyncio.wait_for(self.client.predictions.async_cancel(self.prediction_id),
                                   CANCEL_TIMEOUT)
        except Exception as exc:  # the service may be unreachable: nothing more to do
            log.info("could not cancel prediction %s: %s", self.prediction_id, exc)


def _status(exc: BaseException) -> Optional[int]:
    if isinstance(exc, ReplicateError):
        return exc.status
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    return None


def _transient(exc: BaseException) -> bool:
    status = _status(exc)
    if status is not None:
        return status == 429 or status >= 500
    return isinstance(exc, httpx.TransportError)


def describe(exc: BaseException, secret: str = "") -> str:
    """One line about ``exc`` without the token in it."""
    if isinstance(exc, ReplicateError):
        text = f"HTTP {exc.status}: {exc.detail or exc.title or 'no detail'}"
    elif isinstance(exc, httpx.HTTPStatusError):
        text = f"HTTP {exc.response.status_code} from {exc.request.url.host}"
    elif isinstance(exc, httpx.TimeoutException):
        text = "the request timed out"
    elif isinstance(exc, httpx.TransportError):
        text = "could not reach Replicate"
    else:
        text = str(exc) or type(exc).__name__
    if secret:
        text = text.replace(secret, mask(secret))
    return " ".join(text.split())


def _output_url(output: Any) -> Optional[str]:
    """The first URL in a prediction's output (a string, a list of them, or a dict)."""
    if isinstance(output, str):
        return output
    if isinstance(output, (list, tuple)) and output:
        return _output_url(output[0])
    if isinstance(output, dict):
        return next((u for u in map(_output_url, output.values()) if u), None)
    return None


def _extension(url: str, kind: str) -> str:
    if url.startswith("data:"):
        ext = mimetypes.guess_extension(url[5:].split(";", 1)[0].split(",", 1)[0])
    else:
        ext = Path(urlparse(url).path).suffix
    return (ext or "").lstrip(".").lower() or DEFAULT_EXT[kind]


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    paths.clear()


def data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


class ReplicateRunner:
    """Runs predictions (see module doc); one ``run`` per item, each with its own client."""

    def __init__(self, api_token: str, *, base_url: Optional[str] = None,
                 retry_delays: Sequence[float] = RETRY_DELAYS, sleep: Sleep = asyncio.sleep,
                 poll_interval: Optional[float] = None, timeout: Optional[float] = None,
                 attempts: int = 2, inline_limit: int = INLINE_LIMIT):
        if not api_token:
            raise ProviderError("Replicate needs an API token: add one in Settings")
        self._token = api_token
        self.base_url = base_url
        self.retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.inline_limit = inline_limit

    async def run(self, model: ModelSpec, request: Any, dest: Path,
                  check: Callable[[Path], Any], *, cancel: Optional[CancelToken] = None,
                  on_created: Optional[Callable[[str], None]] = None,
                  resume_id: Optional[str] = None, resolution: Optional[str] = None,
                  progress: Optional[Callable[[float], None]] = None) -> Outcome:
        """Make ``request`` with ``model``; the output goes to ``dest`` + its extension and must
        pass ``check`` (which raises ``BadOutput``, and whose answer comes back in ``checked``)."""
        session = _Session(self._token, self.base_url, self.poll_interval)
        made: list[Path] = []
        try:
            return await until_cancelled(
                self._attempts(session, model, request, dest, check, made, on_created,
                               resume_id, resolution, progress), cancel or CancelToken())
        except BaseException as exc:
            _remove(made)
            if isinstance(exc, (Cancelled, asyncio.CancelledError)):
                await session.cancel_remote()
            raise
        finally:
            await session.transport.aclose()

    async def _attempts(self, session: _Session, model: ModelSpec, request: Any, dest: Path,
                        check: Callable[[Path], Any], made: list[Path],
                        on_created: Optional[Callable[[str], None]], resume_id: Optional[str],
                        resolution: Optional[str],
                        progress: Optional[Callable[[float], None]]) -> Outcome:
        urls = {name: await self._send_file(session, path)
                for name, path in files_to_send(model, request).items()}
        inputs = build_input(model, request, urls, resolution)
        prediction = await self._reattach(session, resume_id) if resume_id else None
        timeout = self.timeout or model.timeout
        why = ""
        for _attempt in range(self.attempts):
            if prediction is None:
                prediction = await self._create(session, model, inputs)
                if on_created is not None:
                    on_created(prediction.id)
            session.prediction_id = prediction.id
            try:
                await asyncio.wait_for(self._wait(session, prediction, progress), timeout)
            except TimeoutError:
                await session.cancel_remote()
                why = f"no result within {timeout:g} s"
            else:
                if prediction.status == "succeeded":
                    try:
                        path = await self._download(session, prediction, dest, model.kind, made)
                        checked = await asyncio.to_thread(check, path)
                        metrics = prediction.metrics or {}
                        return Outcome(path, prediction.id, metrics.get("predict_time"), inputs,
                                       checked)
                    except BadOutput as exc:
                        _remove(made)
                        why = str(exc)
                else:
                    why = prediction.error or f"the prediction was {prediction.status}"
            log.info("Replicate %s prediction %s: %s", model.key, prediction.id, why)
            session.prediction_id = None
            prediction = None
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        why = " ".join(why.split())
        raise ProviderError(f"Replicate {model.key} failed{tries}: "
                            f"{why if len(why) <= WHY_LIMIT else why[:WHY_LIMIT - 1] + '…'}")

    # ------------------------------------------------------------------ calls

    async def _retrying(self, session: _Session, what: str,
                        call: Callable[[], Awaitable[Any]]) -> Any:
        """``await call()`` with the retry policy of the module doc."""
        tries = len(self.retry_delays) + 1
        for attempt in range(tries):
            session.retry_after = 0.0
            try:
                return await call()
            except (ReplicateError, httpx.HTTPError) as exc:
                status = _status(exc)
                if status == 401:
                    raise KeyRejected(TOKEN_REJECTED) from None
                if not _transient(exc):
                    raise ProviderError(f"{what} was refused "
                                        f"({describe(exc, self._token)})") from None
                if attempt == tries - 1:
                    raise ProviderError(f"{what} failed after {tries} attempts "
                                        f"({describe(exc, self._token)})") from None
                wait = max(self.retry_delays[attempt], session.retry_after)
                log.info("Replicate %s failed (%s); retrying in %.0f s", what,
                         describe(exc, self._token), wait)
                await self._sleep(wait)
        raise AssertionError("unreachable")

    async def _create(self, session: _Session, model: ModelSpec,
                      inputs: dict[str, Any]) -> Prediction:
        client = session.client
        if model.version:
            call = partial(client.predictions.async_create, version=model.version, input=inputs)
        else:
            call = partial(client.models.predictions.async_create, model=model.ref, input=inputs)
        return await self._retrying(session, f"Replicate {model.key} request", call)

    async def _reattach(self, session: _Session, prediction_id: str) -> Optional[Prediction]:
        """The earlier prediction, or None when it is gone, failed or was cancelled."""
        async def get() -> Optional[Prediction]:
            try:
                return await session.client.predictions.async_get(prediction_id)
            except ReplicateError as exc:
                if exc.status == 404:
                    return None
                raise

        prediction = await self._retrying(session, f"Replicate lookup of {prediction_id}", get)
        if prediction is None or prediction.status in ("failed", "canceled"):
            return None
        return prediction

    async def _send_file(self, session: _Session, path: Path) -> str:
        if path.stat().st_size <= self.inline_limit:
            return data_uri(path)
        uploaded = await self._retrying(session, f"Replicate upload of {path.name}",
                                        lambda: session.client.files.async_create(path))
        return uploaded.urls["get"]

    async def _wait(self, session: _Session, prediction: Prediction,
                    progress: Optional[Callable[[float], None]]) -> None:
        """Poll until ``prediction`` ends (see module doc on tolerated errors)."""
        interval = session.client.poll_interval
        errors = 0
        while prediction.status not in TERMINAL:
            await asyncio.sleep(interval * 2 ** errors)
            try:
                await prediction.async_reload()
            except (ReplicateError, httpx.HTTPError) as exc:
                if _status(exc) == 401:
                    raise KeyRejected(TOKEN_REJECTED) from None
                errors += 1
                if not _transient(exc) or errors > POLL_ERRORS:
                    raise ProviderError(f"Replicate stopped answering about prediction "
                                        f"{prediction.id} ({describe(exc, self._token)})") from None
                continue
            errors = 0
            if progress is not None and prediction.progress is not None:
                progress(prediction.progress.percentage)

    async def _download(self, session: _Session, prediction: Prediction, dest: Path, kind: str,
                        made: list[Path]) -> Path:
        url = _output_url(prediction.output)
        if not url:
            raise BadOutput("the prediction gave no output")
        path = dest.with_name(f"{dest.name}.{_extension(url, kind)}")
        part = dest.with_name(f"{dest.name}.part")
        made.extend([part, path])

        async def fetch() -> None:
            with open(part, "wb") as fh:
                async for chunk in FileOutput(url, session.client):
                    fh.write(chunk)

        try:
            await self._retrying(session, "Replicate download of the result", fetch)
        except ProviderError as exc:
            raise BadOutput(str(exc)) from None
        except ValueError as exc:  # a malformed data: URL
            raise BadOutput(f"the output could not be read ({exc})") from None
        part.replace(path)
        return path


class ReplicateProvider:
    """What the image and video providers share: the model, its fingerprint and estimate, and
    one run that ends in ``Generated``.  Subclasses set ``kind`` and ``check``."""

    name = "replicate"
    kind = "image"

    def __init__(self, api_token: str, model: str | ModelSpec, *,
                 resolution: Optional[str] = None,
                 registry: Optional[Mapping[str, ModelSpec]] = None, **runner_options: Any):
        self.registry = registry
        self.model = self._spec(model)
        self.resolution = resolution
        self.runner = ReplicateRunner(api_token, **runner_options)

    def _spec(self, model: str | ModelSpec) -> ModelSpec:
        spec = model if isinstance(model, ModelSpec) else get_model(model, self.registry)
        if spec.kind != self.kind:
            raise RegistryError(f"'{spec.key}' makes {spec.kind}, not {self.kind}")
        return spec

    def with_model(self, model: str | ModelSpec) -> "ReplicateProvider":
        """The same provider (token, service, options) making ``model`` instead."""
        twin = copy.copy(self)
        twin.model = self._spec(model)
        return twin

    def fingerprint(self) -> str:
        return self.model.fingerprint() + (f":{self.resolution}" if self.resolution else "")

    def estimate(self, request: Any) -> float:
        return estimate(self.model, request, self.resolution)

    def ceiling(self, request: Any) -> float:
        """The most ``request`` can cost (what the budget reserves, see ``model_registry``)."""
        job = job_of(request)
        resolution = choose_resolution(self.model, job.width, job.height, self.resolution)
        return ceiling(self.model, request, resolution, self.runner.timeout)

    def longest_seconds(self) -> Optional[float]:
        """The longest output the model makes (None: it makes stills)."""
        return max(self.model.durations) if self.model.durations else None

    def request_key(self, request: Any) -> str:
        """What the model is sent for ``request``, files by name: its output depends on nothing
        else (with ``fingerprint``), so this is what makes the result fresh or stale."""
        job = job_of(request)
        resolution = choose_resolution(self.model, job.width, job.height, self.resolution)
        names = {k: p.name for k, p in files_to_send(self.model, request).items()}
        return json.dumps(build_input(self.model, request, names, resolution), sort_keys=True)

    @staticmethod
    def check(path: Path) -> tuple[int, int, float]:
        """``(width, height, seconds)`` of a good output; raises ``BadOutput``."""
        raise NotImplementedError

    async def resume(self, prediction_id: str, request: Any, workdir: Path,
                     cancel: Optional[CancelToken] = None) -> Generated:
        """The result of an earlier prediction for ``request`` (get + wait, nothing new paid);
        only when it is gone, failed or was cancelled is a new one made."""
        return await self._make(request, workdir, cancel, None, prediction_id)

    async def _make(self, request: Any, workdir: Path, cancel: Optional[CancelToken],
                    on_created: Optional[Callable[[str], None]], resume_id: Optional[str],
                    progress: Optional[Callable[[float], None]] = None) -> Generated:
        job = job_of(request)
        resolution = choose_resolution(self.model, job.width, job.height, self.resolution)
        out = await self.runner.run(self.model, request, Path(workdir) / request.owner,
                                    self.check, cancel=cancel, on_created=on_created,
                                    resume_id=resume_id, resolution=resolution, progress=progress)
        width, height, seconds = out.checked
        billed = choose_duration(self.model, job.seconds, resolution) \
            if job.seconds is not None else None
        price = cost(self.model, seconds=billed or seconds, predict_time=out.predict_time,
                     resolution=resolution)
        return Generated(out.path, self.name, self.model.key, price, width, height, seconds)
