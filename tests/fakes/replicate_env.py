"""Point the app's Replicate providers (``providers_for``) at a ``FakeReplicate``."""

from __future__ import annotations

from fakes.replicate_server import FakeReplicate


def use_fake_replicate(monkeypatch, fake: FakeReplicate, poll_interval: float = 0.01) -> None:
    """The token, base URL and poll interval that every new ``replicate`` client reads."""
    monkeypatch.setenv("REPLICATE_API_TOKEN", fake.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", fake.base_url)
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", str(poll_interval))
