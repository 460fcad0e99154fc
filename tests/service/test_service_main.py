"""``python -m service`` (the image's command): options, and one-line errors with exit codes."""

from __future__ import annotations

import pytest

from service.__main__ import main, parse_args


def test_defaults_and_options() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.model, args.tracking_uri) == ("127.0.0.1", 8000, None, None)
    args = parse_args(["--host", "0.0.0.0", "--port", "18501", "--model", "models:/m@champion",
                       "--tracking-uri", "sqlite:///x.db"])
    assert (args.host, args.port, args.model, args.tracking_uri) == (
        "0.0.0.0", 18501, "models:/m@champion", "sqlite:///x.db")


@pytest.mark.parametrize(("port", "message"), [("70000", "70000 is not in 1-65535"), ("0", "not in"),
                                               ("http", "'http' is not a number")])
def test_bad_ports_are_refused(port: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        parse_args(["--port", port])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_invalid_settings_exit_2_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("THREATCAST_MAX_BATCH_REGIONS", "lots")
    assert main(["--port", "18502"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid service settings: max_batch_regions") and err.count("\n") == 1
