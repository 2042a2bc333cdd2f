"""The budget cap holds whatever the prices, failures and concurrency: money is reserved before a
call starts, so calls in flight together can never overshoot it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mvstudio.engine.errors import ItemsFailed, ProviderError
from mvstudio.engine.generation.local_clips import LocalClipMaker
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.model import Project
from mvstudio.engine.pipeline import Pipeline, PipelineOptions, Providers
from mvstudio.engine.planning.rules import RulePlanner, plan_from_rules
from mvstudio.engine.store import ledger
from mvstudio.engine.store.project_file import create_project
from test_planning_rules import make_analysis

ANALYSIS = make_analysis(60.0, 120.0, 0.1, "calm", 3)


class PricedStills:
    """A paid ``ImageGenerator``: per clip a ceiling, an actual price at most that, a delay and
    maybe a failure; it checks the cap at every moment a call runs."""

    name = "priced"

    def __init__(self, db, cap: float, prices: list[tuple[float, float, float, bool]]):
        self.db, self.cap, self.prices, self.index = db, cap, prices, {}
        self.worst = 0.0  # the most committed money seen while a call ran

    def fingerprint(self) -> str:
        return "priced/1"

    def request_key(self, _request) -> str:
        return ""

    def _price(self, request):
        return self.prices[self.index.setdefault(request.owner, len(self.index)) % len(self.prices)]

    def estimate(self, request) -> float:
        return self._price(request)[0] * 0.8

    def ceiling(self, request) -> float:
        return self._price(request)[0]

    async def generate(self, request, workdir: Path, cancel=None, *, on_created=None,
                       resume_id=None) -> Generated:
        ceiling, share, delay, fails = self._price(request)
        on_created(f"pred-{request.owner}")
        self.worst = max(self.worst, ledger.committed_total(self.db))
        await asyncio.sleep(delay)
        self.worst = max(self.worst, ledger.committed_total(self.db))
        if fails:
            raise ProviderError("the model failed")
        path = Path(workdir) / f"{request.owner}.png"
        path.write_bytes(request.owner.encode())
        return Generated(path, self.name, "priced-model", cost=ceiling * share)


prices = st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 1.0), st.floats(0.0, 0.01), st.booleans())


@settings(max_examples=40, deadline=None)
@given(cap=st.floats(0.0, 10.0), concurrency=st.integers(1, 8),
       table=st.lists(prices, min_size=1, max_size=12), runs=st.integers(1, 3))
def test_spend_never_exceeds_the_cap(tmp_path_factory, cap, concurrency, table, runs):
    plan = plan_from_rules(ANALYSIS, "lanterns", seed=1)
    project = Project(name="t", prompt="lanterns", created=time.time(), analysis=ANALYSIS,
                      plan=plan)
    with create_project(tmp_path_factory.mktemp("budget") / "p.mvstudio", project) as store:
        stills = PricedStills(store.db, cap, table)
        pipeline = Pipeline(store, project, Providers(RulePlanner(), stills, LocalClipMaker()),
                            options=PipelineOptions(concurrency=concurrency, budget_cap_usd=cap))
        for _ in range(runs):  # later runs retry what failed or did not fit
            try:
                asyncio.run(pipeline.images())
            except ItemsFailed:
                pass
        assert stills.worst <= cap + 1e-9
        assert ledger.spent_total(store.db) <= cap + 1e-9
        assert not ledger.reserved_rows(store.db)
        paid = sum(a.cost for a in project.assets if a.kind == "image")
        assert abs(ledger.spent_total(store.db) - paid) < 1e-9  # each call recorded once
