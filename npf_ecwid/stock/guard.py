"""Safety guard: refuse to push a stock feed that is obviously broken.

A bad feed (a stuck WMS export, an empty file, a half-written table) would otherwise take a
shop's products off sale in one run. The guard refuses, with reasons a person can act on, when:

* the feed is empty, or no row says when it was updated;
* the feed is stale: its newest `updated_at` is older than `stock_max_feed_age_hours` (the newest,
  not the oldest row, because a WMS may only touch rows whose stock changed);
* the push would zero too much: of the managed units that Ecwid shows in stock now (quantity > 0),
  the share the push would set to 0 exceeds `stock_max_zero_share`. Counting against what is in
  stock now (not the whole catalogue) keeps a shop whose range is mostly sold out from tripping
  it every day, yet still catches "everything is 0" from a broken feed;
* an open order Ecwid sent cannot be read well enough to count its units (`refusals`, from
  `stock.unreadable`): any figure pushed then could resell them.

`force=True` turns refusals into warnings (still listed in the result and the report).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd
from pydantic import BaseModel, Field

from npf_ecwid.config import ClientConfig
from npf_ecwid.stock.plan import ACTIVE


class GuardVerdict(BaseModel):
    """`allowed` is False only when something was refused and not forced."""

    allowed: bool
    forced: bool = False
    reasons: list[str] = Field(default_factory=list)
    feed_age_hours: float | None = None
    zero_share: float | None = None

    def summary(self) -> str:
        return "; ".join(self.reasons) or "ok"


def zero_share(plan: pd.DataFrame) -> tuple[int, int]:
    """(units in stock in Ecwid now that the push would set to 0, units in stock now)."""
    managed = plan.loc[plan["action"].isin([a.value for a in ACTIVE])]
    in_stock = managed.loc[managed["ecwid_before"].fillna(0) > 0]
    zeroed = int((in_stock["target"] == 0).sum())
    return zeroed, len(in_stock)


def check_guard(
    client: ClientConfig,
    feed: pd.DataFrame,
    plan: pd.DataFrame,
    *,
    now: datetime,
    force: bool = False,
    refusals: Sequence[str] = (),
) -> GuardVerdict:
    """Judge a feed and the plan built from it, against the client's limits; `refusals` are
    reasons found elsewhere (unreadable open orders) that refuse the push the same way."""
    reasons: list[str] = list(refusals)
    age_hours: float | None = None
    if feed.empty:
        reasons.append("the warehouse stock feed is empty (0 SKUs)")
    elif feed["updated_at"].isna().all():
        reasons.append("the warehouse stock feed has no updated_at times, so its age is unknown")
    else:
        newest = feed["updated_at"].max().to_pydatetime()
        age_hours = (now - newest) / timedelta(hours=1)
        if age_hours > client.stock_max_feed_age_hours:
            reasons.append(
                f"the warehouse stock feed is stale: newest row {newest:%Y-%m-%d %H:%M} UTC is "
                f"{age_hours:.1f} h old (limit {client.stock_max_feed_age_hours:g} h)"
            )
    zeroed, in_stock = zero_share(plan)
    share = zeroed / in_stock if in_stock else 0.0
    if in_stock and share > client.stock_max_zero_share:
        reasons.append(
            f"the push would set {zeroed} of {in_stock} SKUs in stock in Ecwid to zero "
            f"({share:.0%} > limit {client.stock_max_zero_share:.0%})"
        )
    return GuardVerdict(
        allowed=not reasons or force,
        forced=bool(reasons) and force,
        reasons=reasons,
        feed_age_hours=age_hours,
        zero_share=share if in_stock else None,
    )
