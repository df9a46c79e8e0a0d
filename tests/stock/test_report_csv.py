"""The stock report CSV neutralises formula-like text (issue #18 item 5, CSV part)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pandas as pd

from npf_ecwid.csv_cells import neutralise
from npf_ecwid.stock.report import REPORT_COLUMNS, write_csv


def test_formula_like_skus_are_written_as_text_and_numbers_stay_numbers(tmp_path) -> None:
    skus = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "NPF001", "A=B"]
    report = pd.DataFrame(
        {
            "sku": skus,
            "product_id": [1] * 7,
            "combination_id": [None] * 7,
            "ecwid_before": [5] * 7,
            "warehouse_figure": [2] * 7,
            "inflight": [0] * 7,
            "target": [2] * 7,
            "pushed": [-3] * 7,
            "action": ["pushed"] * 7,
        }
    )[REPORT_COLUMNS]
    path = write_csv(report, tmp_path, "ACME", "run12345", datetime(2026, 12, 2, tzinfo=UTC))
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["sku"] for r in rows] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTAB",
        "NPF001",
        "A=B",
    ]
    assert {r["pushed"] for r in rows} == {"-3"}  # a negative number is not a formula
    assert neutralise(-3) == -3 and neutralise(None) is None
