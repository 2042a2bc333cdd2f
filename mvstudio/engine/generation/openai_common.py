"""What every call through the real ``openai`` client shares: retries, error words, cancel.

``with_retries`` runs one request up to ``len(delays) + 1`` times.  It retries what may pass on a
second try (429, 5xx, 408/409, timeouts, lost connections, and answers the caller rejects with
``BadAnswer``), waiting ``delays`` in between (2, 4, 8 s); a wrong or revoked key (401) or a
refusal (403) stops at once.  Every failure becomes one ``ProviderError`` line with the key masked.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional, Sequence

import openai

from mvstudio.engine.errors import ProviderError
from mvstudio.engine.events import CancelToken, until_cancelled
from mvstudio.engine.keys import mask

log = logging.getLogger(__name__)

RETRY_DELAYS = (2.0, 4.0, 8.0)
RETRY_STATUS = {408, 409, 429}
Sleep = Callable[[float], Awaitable[None]]


class BadAnswer(Exception):
    """The service answered, but not with something usable (retried like a transient error)."""


def retryable(exc: Exception) -> bool:
    if isinstance(exc, (BadAnswer, openai.APIConnectionError)):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS or exc.status_code >= 500
    return False


def describe(exc: Exception, secret: str = "") -> str:
    """One line about ``exc`` without the key in it."""
    if isinstance(exc, openai.APITimeoutError):
        text = "the request timed out"
    elif isinstance(exc, openai.APIConnectionError):
        text = "could not reach the OpenAI service"
    elif isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else body.get("message")
        text = f"HTTP {exc.status_code}: {message or exc.message}"
    elif isinstance(exc, BadAnswer):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    if secret:
        text = text.replace(secret, mask(secret))
    return " ".join(text.split())


async def with_retries(request: Callable[[], Awaitable[Any]], *, what: str, secret: str = "",
                       delays: Sequence[float] = RETRY_DELAYS, sleep: Sleep = asyncio.sleep,
                       cancel: Optional[CancelToken] = None) -> Any:
    """``await request()`` with the retry policy of the module doc; ``what`` names the call in
    errors ("OpenAI transcription", "OpenAI planning")."""
    cancel = cancel or CancelToken()
    attempts = len(delays) + 1
    for attempt in range(attempts):
        cancel.raise_if_cancelled()
        try:
            return await until_cancelled(request(), cancel)
        except openai.AuthenticationError:
            raise ProviderError("OpenAI rejected the API key (HTTP 401): it is wrong or was "
                                "revoked; enter a valid key in Settings") from None
        except openai.PermissionDeniedError as exc:
            raise ProviderError(f"OpenAI refused {what.removeprefix('OpenAI ')} "
                                f"({describe(exc, secret)})") from None
        except (openai.APIStatusError, openai.APIConnectionError, BadAnswer) as exc:
            if not retryable(exc):
                raise ProviderError(f"{what} failed ({describe(exc, secret)})") from None
            if attempt == attempts - 1:
                raise ProviderError(f"{what} failed after {attempts} attempts "
                                    f"({describe(exc, secret)})") from None
            log.info("%s attempt %d failed (%s); retrying in %.0f s", what, attempt + 1,
                     describe(exc, secret), delays[attempt])
            await until_cancelled(sleep(delays[attempt]), cancel)
    raise AssertionError("unreachable")


async def structured_answer(read: Callable[[Any], Any], *, api_key: str, model: str,
                            messages: list[dict], name: str, schema: dict, what: str,
                            temperature: float = 0.7, base_url: Optional[str] = None,
                            timeout: float = 120.0, on_completion: Callable[[Any], None] = None,
                            delays: Sequence[float] = RETRY_DELAYS, sleep: Sleep = asyncio.sleep,
                            cancel: Optional[CancelToken] = None) -> Any:
    """One chat completion answered in the strict JSON ``schema`` named ``name``, under the retry
    policy of ``with_retries``: ``on_completion`` sees every completion (its usage), ``read``
    turns it into the result (raising ``BadAnswer`` to ask again)."""
    async with openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0,
                                  timeout=timeout) as client:
        async def attempt() -> Any:
            completion = await client.chat.completions.create(
                model=model, messages=messages, temperature=temperature,
                response_format={"type": "json_schema", "json_schema": {
                    "name": name, "strict": True, "schema": schema}})
            if on_completion is not None:
                on_completion(completion)
            return read(completion)

        return await with_retries(attempt, what=what, secret=api_key, delays=delays, sleep=sleep,
                                  cancel=cancel)
