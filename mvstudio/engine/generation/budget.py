"""The project's budget cap, kept by reserving money in the cost ledger before a paid call starts.

``paid_call`` is the one way the pipeline spends money:

1. it reattaches to an earlier prediction for the same item and inputs (a ``reserved`` row with a
   prediction id, left by a run that was killed), or reserves the call's ceiling (the most it can
   cost); a reservation that would take spent + held money over the cap is refused with
   ``BudgetExceeded`` and the call is not made.  Checking and reserving happen on the event loop
   with no ``await`` between them, so calls that start together cannot overshoot together;
2. the prediction id is written to the row as soon as the service gives it, before the wait;
3. the caller records the result, then ``settle`` turns the reservation into the actual cost; a
   failed or cancelled call gives the reservation back.

``tidy`` runs when a stage starts: a reservation without a prediction id never reached the
service and is released; one whose item no longer wants it is counted as paid at its estimate.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Iterable, Optional

import sqlite_utils

from mvstudio.engine.errors import BudgetExceeded, Cancelled
from mvstudio.engine.generation.protocols import Generated
from mvstudio.engine.store import ledger

log = logging.getLogger(__name__)

Call = Callable[..., Awaitable[Generated]]  # call(on_created=..., resume_id=...)
EPSILON = 1e-9


def is_paid(provider: Any) -> bool:
    """A provider that costs money says what a request will cost (``estimate``)."""
    return callable(getattr(provider, "estimate", None))


def model_name(provider: Any) -> str:
    model = getattr(provider, "model", "")
    return getattr(model, "key", model) or provider.name


class Budget:
    """The cap (USD) over one project's ledger in ``db``."""

    def __init__(self, db: sqlite_utils.Database, cap_usd: float):
        self.db, self.cap = db, float(cap_usd)

    def reserve(self, *, stage: str, owner: str, provider: str, model: str, estimate: float,
                ceiling: float, input_hash: str, label: str = "") -> str:
        """A reservation of ``ceiling`` USD, or ``BudgetExceeded`` when it does not fit."""
        committed = ledger.committed_total(self.db)
        if committed + ceiling > self.cap + EPSILON:
            what = f"{label} ({model})" if label else model
            raise BudgetExceeded(
                f"the budget cap of ${self.cap:.2f} would be exceeded: ${committed:.2f} is spent "
                f"or held by running calls and {what} may cost up to ${ceiling:.2f}; raise the "
                f"cap in Settings to go on")
        return ledger.reserve(self.db, stage=stage, owner=owner, provider=provider, model=model,
                              estimate=estimate, reserved=ceiling, input_hash=input_hash)

    def attach(self, row_id: str, prediction_id: str) -> None:
        ledger.update(self.db, row_id, prediction_id=prediction_id)

    def settle(self, row_id: str, actual: float) -> None:
        ledger.update(self.db, row_id, status="done", actual=float(actual), reserved=0.0)

    def release(self, row_id: str, status: str = "failed") -> None:
        ledger.update(self.db, row_id, status=status, actual=0.0, reserved=0.0)

    def resumable(self, stage: str, owner: str, input_hash: str) -> Optional[ledger.LedgerRow]:
        """A running (or finished, not yet collected) prediction for exactly this item."""
        return next((r for r in reversed(ledger.reserved_rows(self.db, stage))
                     if r.owner == owner and r.input_hash == input_hash and r.prediction_id),
                    None)

    def tidy(self, stage: str, wanted: Iterable[tuple[str, str]]) -> None:
        """Settle the reservations of ``stage`` that no (owner, input hash) in ``wanted`` will
        reattach to (see module doc)."""
        wanted = set(wanted)
        for row in ledger.reserved_rows(self.db, stage):
            if not row.prediction_id:
                self.release(row.id, "cancelled")
            elif (row.owner, row.input_hash) not in wanted:
                log.info("prediction %s is no longer wanted: counted at its estimate",
                         row.prediction_id)
                ledger.update(self.db, row.id, status="assumed", actual=row.estimate,
                              reserved=0.0)


async def paid_call(budget: Budget, call: Call, *, stage: str, owner: str, input_hash: str,
                    provider: Any, request: Any, label: str = "",
                    on_created: Callable[[str], None] = lambda _id: None
                    ) -> tuple[Generated, str]:
    """Run ``call`` under the budget (see module doc); returns the result and the ledger row to
    ``settle`` once the result is recorded.  ``on_created`` hears each prediction id."""
    earlier = budget.resumable(stage, owner, input_hash)
    if earlier is not None:
        row_id, resume_id = earlier.id, earlier.prediction_id
        on_created(resume_id)
    else:
        ceiling = getattr(provider, "ceiling", provider.estimate)
        row_id = budget.reserve(stage=stage, owner=owner, provider=provider.name,
                                model=model_name(provider), estimate=provider.estimate(request),
                                ceiling=ceiling(request), input_hash=input_hash, label=label)
        resume_id = None

    def created(prediction_id: str) -> None:
        budget.attach(row_id, prediction_id)
        on_created(prediction_id)

    try:
        result = await call(on_created=created, resume_id=resume_id)
    except BaseException as exc:
        cancelled = isinstance(exc, (Cancelled, asyncio.CancelledError))
        budget.release(row_id, "cancelled" if cancelled else "failed")
        raise
    return result, row_id
