"""The cost ledger: every paid call of a project, one row in ``cost_ledger`` of ``project.db``.

A row's ``status`` tells where its money stands:

* ``reserved``: a call is about to start or running; ``reserved`` USD are held against the budget
  cap and ``prediction_id`` names the remote prediction as soon as it exists;
* ``done``: finished, ``actual`` USD paid;
* ``assumed``: a prediction we lost track of (its item was made or changed meanwhile): counted as
  paid at its ``estimate``;
* ``failed`` / ``cancelled``: nothing paid, nothing held.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Optional

import sqlite_utils

from mvstudio.engine.model import new_id
from mvstudio.engine.planning.spend import Spend

SPENT = ("done", "assumed")
TABLE = "cost_ledger"


@dataclass(frozen=True)
class LedgerRow:
    id: str
    created: float
    stage: str
    owner: str
    provider: str
    model: str
    estimate: float
    actual: float
    status: str
    prediction_id: str
    input_hash: str
    reserved: float

    @property
    def spent(self) -> float:
        """USD this call counts as spent (see the module doc)."""
        return {"done": self.actual, "assumed": self.estimate}.get(self.status, 0.0)


def record_spend(db: sqlite_utils.Database, spend: Spend, owner: str = "",
                 estimate: float | None = None) -> str:
    """Add a finished call to the ledger; returns the row id."""
    row_id = new_id("spend")
    db.table(TABLE).insert({
        "id": row_id, "created": time.time(), "stage": spend.stage, "owner": owner,
        "provider": spend.provider, "model": spend.model,
        "estimate": spend.cost if estimate is None else estimate, "actual": spend.cost,
        "status": "done", "prediction_id": spend.detail})
    return row_id


def reserve(db: sqlite_utils.Database, *, stage: str, owner: str, provider: str, model: str,
            estimate: float, reserved: float, input_hash: str) -> str:
    """A ``reserved`` row holding ``reserved`` USD; returns its id."""
    row_id = new_id("spend")
    db.table(TABLE).insert({
        "id": row_id, "created": time.time(), "stage": stage, "owner": owner,
        "provider": provider, "model": model, "estimate": estimate, "actual": 0.0,
        "status": "reserved", "prediction_id": "", "input_hash": input_hash,
        "reserved": reserved})
    return row_id


def update(db: sqlite_utils.Database, row_id: str, **values) -> None:
    db.table(TABLE).update(row_id, values)


def rows(db: sqlite_utils.Database, where: str = "", args: tuple = ()) -> list[LedgerRow]:
    """Ledger rows, oldest first (``where``: an SQL condition)."""
    names = [f.name for f in fields(LedgerRow)]
    found = db.table(TABLE).rows_where(where or None, list(args), order_by="created, rowid")
    return [LedgerRow(**{n: r.get(n) if r.get(n) is not None else _empty(n) for n in names})
            for r in found]


def _empty(name: str):
    return 0.0 if name in ("estimate", "actual", "reserved", "created") else ""


def reserved_rows(db: sqlite_utils.Database, stage: Optional[str] = None) -> list[LedgerRow]:
    """Rows still holding money (of ``stage``)."""
    if stage is None:
        return rows(db, "status = 'reserved'")
    return rows(db, "status = 'reserved' AND stage = ?", (stage,))


def spent_total(db: sqlite_utils.Database) -> float:
    """USD actually spent on the project so far."""
    row = db.execute(f"SELECT COALESCE(SUM(CASE status WHEN 'done' THEN actual ELSE estimate END),"
                     f" 0) FROM {TABLE} WHERE status IN {SPENT}")
    return float(row.fetchone()[0])


def committed_total(db: sqlite_utils.Database) -> float:
    """USD spent plus USD held by running calls: what the budget cap is checked against."""
    held = db.execute(f"SELECT COALESCE(SUM(reserved), 0) FROM {TABLE} WHERE status = 'reserved'")
    return spent_total(db) + float(held.fetchone()[0])
