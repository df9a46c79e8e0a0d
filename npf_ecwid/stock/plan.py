"""The reconciliation plan: per stock-keeping unit, what Ecwid should show and what to do.

Pure: dataframes in, a dataframe out. The target is `max(0, warehouse figure - in-flight)`; the
change is sent as a `quantityDelta` (target - quantity just read), never as an absolute value, so
a checkout between our read and our write is not overwritten (Ecwid's own advice). Anything that
cannot be matched one-to-one by SKU is reported with its reason and left alone, never guessed.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

from npf_ecwid.config import StockMode
from npf_ecwid.stock.frames import figure_column


class Action(StrEnum):
    ADJUST = "adjust"  # send quantityDelta
    UNCHANGED = "unchanged"  # Ecwid already shows the target
    UNLIMITED = "unlimited"  # Ecwid does not track stock for it: left alone
    NOT_IN_WAREHOUSE = "not_in_warehouse"  # Ecwid SKU the feed does not have
    NO_FIGURE = "no_figure"  # the feed has the SKU but not the client's figure (available unset)
    NOT_IN_ECWID = "not_in_ecwid"  # feed SKU no Ecwid product/variation has
    DUPLICATE_SKU = "duplicate_sku"  # several Ecwid units share the SKU: which one? not guessed
    NO_SKU = "no_sku"  # Ecwid product without a SKU cannot be matched


PLAN_COLUMNS = [
    "sku",
    "product_id",
    "combination_id",
    "unlimited",
    "ecwid_before",
    "warehouse_figure",
    "inflight",
    "target",
    "delta",
    "clamped",
    "action",
]
ACTIVE = (Action.ADJUST, Action.UNCHANGED)  # units the sync manages


def build_plan(
    units: pd.DataFrame, feed: pd.DataFrame, inflight: pd.DataFrame, mode: StockMode
) -> pd.DataFrame:
    """Join catalogue units, the feed and in-flight units into one row per SKU with an `action`.

    `target`/`delta` are set only for managed units (actions adjust/unchanged); `clamped` marks
    targets raised to 0 because in-flight exceeded the figure (or the figure was negative).
    """
    figure = figure_column(mode)
    wh = feed[["sku", figure]].rename(columns={figure: "warehouse_figure"})
    ecwid = units.rename(columns={"ecwid_quantity": "ecwid_before"})
    plan = ecwid.merge(wh, on="sku", how="outer", indicator=True)
    plan = plan.merge(inflight[["sku", "inflight"]], on="sku", how="left")
    plan["inflight"] = plan["inflight"].fillna(0).astype("int64")
    plan["warehouse_figure"] = plan["warehouse_figure"].astype("Int64")
    plan["ecwid_before"] = plan["ecwid_before"].astype("Int64")
    plan["product_id"] = plan["product_id"].astype("Int64")
    plan["combination_id"] = plan["combination_id"].astype("Int64")
    plan["unlimited"] = plan["unlimited"].astype("boolean").fillna(False).astype(bool)

    shared = (
        plan["sku"].notna() & plan.duplicated("sku", keep=False) & (plan["_merge"] != "right_only")
    )
    raw_target = plan["warehouse_figure"] - plan["inflight"]
    target = raw_target.clip(lower=0)
    before = plan["ecwid_before"].fillna(0)

    action = pd.Series(Action.ADJUST.value, index=plan.index, dtype="object")
    action[(target == before).fillna(False)] = Action.UNCHANGED.value
    action[(plan["_merge"] == "both") & plan["warehouse_figure"].isna()] = Action.NO_FIGURE.value
    action[plan["_merge"] == "left_only"] = Action.NOT_IN_WAREHOUSE.value
    action[plan["_merge"] == "right_only"] = Action.NOT_IN_ECWID.value
    action[plan["unlimited"]] = Action.UNLIMITED.value
    action[shared] = Action.DUPLICATE_SKU.value
    action[plan["sku"].isna()] = Action.NO_SKU.value

    managed = action.isin([a.value for a in ACTIVE])
    plan["target"] = target.where(managed, pd.NA).astype("Int64")
    plan["delta"] = (target - before).where(managed, pd.NA).astype("Int64")
    plan["clamped"] = (managed & (raw_target < 0)).fillna(False).astype(bool)
    plan["action"] = action
    plan = plan.sort_values(["sku", "product_id", "combination_id"], na_position="last")
    return plan[PLAN_COLUMNS].reset_index(drop=True)


def changes(plan: pd.DataFrame) -> pd.DataFrame:
    """The rows to push: action `adjust` (delta != 0)."""
    return plan.loc[plan["action"] == Action.ADJUST.value]
