"""`threatcast serve`: options, and clear errors instead of tracebacks."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_serve_help_lists_options() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--model", "--tracking-uri"):
        assert option in result.output


def test_invalid_settings_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREATCAST_MAX_BATCH_REGIONS", "lots")
    result = runner.invoke(app, ["serve", "--port", "8765"])
    assert result.exit_code == 2
    assert "invalid service settings: max_batch_regions" in result.output
    assert "Traceback" not in result.output


def test_bad_port_is_refused() -> None:
    result = runner.invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "--port" in result.output
