"""One-line errors for the operator's TOML files (clients file, rate cards)."""

from __future__ import annotations

from pathlib import Path

import pytest

from npf_ecwid.config import ConfigError, load_clients
from npf_ecwid.shipping.ratecard import RateCardError, load_rate_cards


def test_missing_and_malformed_files_name_the_file_and_the_place(tmp_path: Path) -> None:
    missing = tmp_path / "clients.toml"
    with pytest.raises(ConfigError, match=r"clients file .*clients.toml not found \(set NPF_"):
        load_clients(missing)
    broken = tmp_path / "rates.toml"
    broken.write_text("[stores.5\n", encoding="utf-8")
    with pytest.raises(RateCardError, match=r"rate card file .*rates.toml: .*line 1"):
        load_rate_cards(broken)
