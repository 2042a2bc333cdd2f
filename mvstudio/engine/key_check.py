"""Does an API key work?  One cheap authenticated request through the provider's real client.

* OpenAI: ``client.models.list()`` (``GET /v1/models``), no retries;
* Replicate: ``client.accounts.current()`` (``GET /v1/account``).  The replicate client retries a
  GET on 429/503/504 up to 10 times, waiting ``Retry-After`` each time, so the check mounts a plain
  httpx transport for every URL (``mounts``), which bypasses that retry wrapper: one request only.

Both block (run them in a thread) and answer a ``KeyCheck`` with a one-line message.  The key never
appears in a message or a log line (a message that would contain it is masked as a last resort).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from mvstudio.engine.keys import mask

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
OPENAI_URL = "https://api.openai.com/v1"
REPLICATE_URL = "https://api.replicate.com"


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    message: str


def _status_message(label: str, noun: str, status: int, code: str = "") -> str:
    if status == 401:
        return f"{label} rejected the {noun}: it is invalid or has been revoked."
    if status == 403:
        return f"{label} refused the {noun} (HTTP 403): it lacks permission for this request."
    if status == 429 and code == "insufficient_quota":
        return f"{label} knows the {noun}, but the account has no credit left (insufficient quota)."
    if status == 429:
        return f"{label} is rate-limiting this {noun} (HTTP 429): wait a minute and test again."
    if status >= 500:
        return f"{label} has a server problem (HTTP {status}): try again later."
    return f"{label} answered HTTP {status} to the {noun} check."


def _unreachable(label: str, base_url: str) -> str:
    host = urlsplit(base_url).netloc or base_url
    return f"Cannot reach {label} at {host}: check the network connection, proxy or firewall."


def _too_slow(label: str, timeout: float) -> str:
    return f"{label} did not answer within {timeout:g} s: check the network and test again."


def _result(label: str, ok: bool, message: str, key: str) -> KeyCheck:
    if key and key in message:  # never expected: no message is built from the key
        message = message.replace(key, mask(key))
    log.info("%s key check: %s", label, message)
    return KeyCheck(ok, message)


@dataclass(frozen=True)
class _Client:
    """How one provider's client fails: which exceptions mean what, and the status of an error."""

    label: str
    noun: str  # "key" or "token"
    timeout: tuple[type[BaseException], ...]
    network: tuple[type[BaseException], ...]
    status: type[BaseException]
    status_of: Callable[[Any], tuple[int, str]]  # error -> (HTTP status, error code)


def _check(client: _Client, key: str, url: str, timeout: float,
           request: Callable[[], str]) -> KeyCheck:
    """``request()`` answers the success message; each failure becomes its one-line message."""
    label = client.label
    if not key:
        return KeyCheck(False, f"No {label} {client.noun} to test.")
    try:
        return _result(label, True, request(), key)
    except client.timeout:
        return _result(label, False, _too_slow(label, timeout), key)
    except client.network:
        return _result(label, False, _unreachable(label, url), key)
    except client.status as err:
        status, code = client.status_of(err)
        return _result(label, False, _status_message(label, client.noun, status, code), key)
    except Exception as err:  # noqa: BLE001 - an odd answer is a failed check, not a crash
        return _result(label, False, f"{label} {client.noun} check failed "
                                     f"({type(err).__name__}).", key)


def _openai_status(err: Any) -> tuple[int, str]:
    body = err.body if isinstance(err.body, dict) else {}
    return err.status_code, str(body.get("code") or body.get("type") or "")


def check_openai_key(key: str, base_url: Optional[str] = None,
                     timeout: float = DEFAULT_TIMEOUT) -> KeyCheck:
    """List the models with ``key``: accepted, rejected (401), rate-limited (429), unreachable…"""
    import openai

    key, url = (key or "").strip(), base_url or OPENAI_URL
    client = _Client("OpenAI", "key", (openai.APITimeoutError,), (openai.APIConnectionError,),
                     openai.APIStatusError, _openai_status)

    def request() -> str:
        with openai.OpenAI(api_key=key, base_url=url, max_retries=0, timeout=timeout) as api:
            models = api.models.list().data
        return f"OpenAI accepted the key ({len(models)} models available)."

    return _check(client, key, url, timeout, request)


def check_replicate_key(token: str, base_url: Optional[str] = None,
                        timeout: float = DEFAULT_TIMEOUT) -> KeyCheck:
    """Read the account of ``token``: accepted, rejected (401), rate-limited (429), unreachable…"""
    import httpx
    import replicate
    from replicate.exceptions import ReplicateError

    token, url = (token or "").strip(), base_url or REPLICATE_URL
    client = _Client("Replicate", "token", (httpx.TimeoutException,), (httpx.TransportError,),
                     ReplicateError, lambda err: (err.status or 0, ""))

    def request() -> str:
        transport = httpx.HTTPTransport()  # mounted for every URL: no retry wrapper, see above
        try:
            api = replicate.Client(api_token=token, base_url=url,
                                   timeout=httpx.Timeout(timeout), mounts={"all://": transport})
            account = api.accounts.current()
        finally:
            transport.close()
        return f"Replicate accepted the token (account {account.username})."

    return _check(client, token, url, timeout, request)


CHECKS: dict[str, Callable[[str], KeyCheck]] = {"openai": check_openai_key,
                                                 "replicate": check_replicate_key}
