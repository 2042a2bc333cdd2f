"""Key checks through the real openai and replicate clients against loopback fakes."""

from __future__ import annotations

import logging
import time

import pytest

from fakes.key_servers import OPENAI_KEY, REPLICATE_TOKEN, FakeKeyServer, closed_port_url
from fakes.openai_server import Reply
from mvstudio.engine.key_check import CHECKS, KeyCheck, check_openai_key, check_replicate_key

PROVIDERS = {
    "openai": (FakeKeyServer.openai, check_openai_key, OPENAI_KEY, "/v1"),
    "replicate": (FakeKeyServer.replicate, check_replicate_key, REPLICATE_TOKEN, ""),
}
WRONG = {"openai": "sk-proj-revokedkey000000000000wxyz", "replicate": "r8_revokedtoken00000000wxyz"}


@pytest.fixture(params=PROVIDERS)
def provider(request, caplog):
    """(fake server, check, key, provider name); afterwards: no key in any log line."""
    caplog.set_level(logging.DEBUG)
    make, check, key, _ = PROVIDERS[request.param]
    with make() as fake:
        yield fake, check, key, request.param
    for secret in (key, WRONG[request.param]):
        assert secret not in caplog.text and secret[-4:] not in caplog.text


def run(check, key: str, url: str, **kwargs) -> KeyCheck:
    result = check(key, url, **kwargs)
    assert key not in result.message and key[-4:] not in result.message
    assert "\n" not in result.message
    return result


def test_an_accepted_key(provider):
    fake, check, key, name = provider
    result = run(check, key, fake.base_url)
    assert result.ok
    expected = {"openai": "OpenAI accepted the key (3 models available).",
                "replicate": "Replicate accepted the token (account mv-studio-test)."}
    assert result.message == expected[name]
    assert [r["authorization"] for r in fake.requests] == [f"Bearer {key}"]


def test_a_revoked_key(provider):
    fake, check, key, name = provider
    fake.keys.discard(key)
    result = run(check, key, fake.base_url)
    assert not result.ok
    assert "rejected the" in result.message and "invalid or has been revoked" in result.message
    result = run(check, WRONG[name], fake.base_url)
    assert "rejected" in result.message


def test_rate_limited_answers_at_once_without_retrying(provider):
    fake, check, key, _ = provider
    fake.script(Reply(429, headers={"Retry-After": "5"}), Reply(429))
    started = time.monotonic()
    result = run(check, key, fake.base_url)
    assert time.monotonic() - started < 2.0
    assert not result.ok and "rate-limiting" in result.message and "HTTP 429" in result.message
    assert len(fake.requests) == 1


def test_an_account_out_of_credit_is_told_apart_from_a_rate_limit():
    with FakeKeyServer.openai() as fake:
        fake.script(Reply(429, {"error": {"message": "You exceeded your current quota, please "
                                          "check your plan and billing details.",
                                          "type": "insufficient_quota", "param": None,
                                          "code": "insufficient_quota"}}))
        result = run(check_openai_key, OPENAI_KEY, fake.base_url)
    assert not result.ok and "no credit left" in result.message


@pytest.mark.parametrize("status, words", [(403, "lacks permission"), (500, "server problem"),
                                           (503, "server problem"), (404, "HTTP 404")])
def test_other_statuses(provider, status, words):
    fake, check, key, _ = provider
    fake.script(Reply(status))
    result = run(check, key, fake.base_url)
    assert not result.ok and words in result.message


def test_network_unreachable(provider):
    _, check, key, name = provider
    url = closed_port_url(PROVIDERS[name][3])
    result = run(check, key, url)
    assert not result.ok
    assert result.message.startswith(f"Cannot reach {'OpenAI' if name == 'openai' else 'Replicate'}"
                                     f" at 127.0.0.1:")


def test_timeout(provider):
    fake, check, key, _ = provider
    fake.script(Reply(delay=5.0))
    started = time.monotonic()
    result = run(check, key, fake.base_url, timeout=0.3)
    assert time.monotonic() - started < 3.0
    assert not result.ok and "did not answer within 0.3 s" in result.message


def test_an_odd_answer_is_a_failed_check_not_a_crash(provider):
    fake, check, key, _ = provider
    fake.script(Reply(200, body=["not", "the", "shape"]))
    result = run(check, key, fake.base_url)
    assert not result.ok and "check failed" in result.message


def test_an_empty_key_is_not_sent(provider):
    fake, check, _, _ = provider
    result = check("  ", fake.base_url)
    assert not result.ok and result.message.startswith("No ") and fake.requests == []


def test_checks_by_provider():
    assert CHECKS == {"openai": check_openai_key, "replicate": check_replicate_key}


def test_a_message_that_would_carry_the_key_is_masked():
    with FakeKeyServer.replicate() as fake:
        fake.script(Reply(200, body={"type": "user", "username": REPLICATE_TOKEN, "name": "x",
                                     "github_url": None}))
        result = check_replicate_key(REPLICATE_TOKEN, fake.base_url)
    assert result.ok and REPLICATE_TOKEN not in result.message and "r8_…cdef" in result.message
