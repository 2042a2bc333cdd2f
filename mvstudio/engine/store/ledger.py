"""The cost ledger: every paid call of a project, one row in ``cost_ledger`` of ``project.db``."""

from __future__ import annotations

import time

import sqlite_utils

from mvstudio.engine.model import new_id
from mvstudio.engine.planning.spend import Spend


def record_spend(db: sqlite_utils.Database, spend: Spend, owner: str = "",
                 estimate: float | None = None) -> str:
    """Add a finished call to the ledger; returns the row id."""
    row_id = new_id("spend")
    db.table("cost_ledger").insert({
        "id": row_id, "created": time.time(), "stage": spend.stage, "owner": owner,
        "provider": spend.provider, "model": spend.model,
        "estimate": spend.cost if estimate is None else estimate, "actual": spend.cost,
        "status": "done", "prediction_id": spend.detail})
    return row_id


def spent_total(db: sqlite_utils.Database) -> float:
    """USD actually spent on the project so far."""
    row = db.execute("SELECT COALESCE(SUM(actual), 0) FROM cost_ledger WHERE status = 'done'")
    return float(row.fetchone()[0])
