"""`npf-ecwid shipping sample` prints the quote for Ecwid's documented example."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app
from npf_ecwid.shipping.server import sample_quote


def test_sample_quote_text() -> None:
    text = sample_quote()
    assert "HTTP 200" in text
    assert "International economy" in text and "742.50" in text
    assert '"fulfilmentType": "SHIPPING"' in text


def test_cli_sample_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["shipping", "sample"])
    assert result.exit_code == 0, result.output
    assert "International express" in result.output
    assert runner.invoke(app, ["shipping", "serve", "--help"]).exit_code == 0


def test_cli_serve_with_missing_rates_file_fails_in_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["shipping", "serve", "--rates", str(tmp_path / "x.toml")])
    assert result.exit_code != 0
    assert result.output.strip().endswith("not found")
    assert len(result.output.strip().splitlines()) == 1
