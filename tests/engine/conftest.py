"""Fixtures the engine tests share: a fake OpenAI API on loopback for the real ``openai`` client."""

from __future__ import annotations

import pytest
from fakes.openai_server import FakeOpenAI


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server
