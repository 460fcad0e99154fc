"""Ingest outputs are replaced all together or not at all; an empty result never replaces good ones."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from training import ingest as ingest_module
from training.ingest import EVENTS_FILE, REJECTS_FILE, SUMMARY_FILE, ingest, load_events, write_ingest

OUTPUTS = (EVENTS_FILE, REJECTS_FILE, SUMMARY_FILE)
HEADER = ("event_id_cnty,event_date,time_precision,sub_event_type,actor1,inter1,actor2,inter2,"
          "country,admin1,latitude,longitude,fatalities")


def _acled(path: Path, count: int, prefix: str = "MLI") -> Path:
    rows = [f"{prefix}{i},2015-{i % 12 + 1:02d}-{i % 28 + 1:02d},1,Attack,JNIM,2,Civilians,7,Mali,"
            f"Gao{i % 50},16.2,-0.04,{i % 3}" for i in range(count)]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def good(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A data directory holding the outputs of a 40-event ingest, and their bytes."""
    folder = tmp_path / "data"
    write_ingest(ingest([_acled(tmp_path / "small.csv", 40)]), folder)
    return folder, _snapshot(folder)


def test_a_failed_write_leaves_the_old_outputs_intact(
        tmp_path: Path, good: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, before = good

    def full_disk(rejects: object, path: Path) -> None:
        path.write_bytes(b"source_file,row_number,reas")  # a half-written file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ingest_module, "_write_rejects", full_disk)
    result = ingest([_acled(tmp_path / "big.csv", 500, prefix="NER")])
    with pytest.raises(OSError, match="No space left"):
        write_ingest(result, folder)
    assert _snapshot(folder) == before  # same three files, same bytes, no temporary file left
    summary = json.loads(before[SUMMARY_FILE])
    assert summary["accepted"] == len(load_events(folder)) == 40


def test_a_failed_move_puts_the_moved_outputs_back(
        tmp_path: Path, good: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, before = good
    real_replace = os.replace
    moves: list[str] = []

    def second_move_fails(src: str | Path, dst: str | Path) -> None:
        moves.append(Path(dst).name)
        if len(moves) == 2:
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(ingest_module.os, "replace", second_move_fails)
    with pytest.raises(OSError, match="Input/output error"):
        write_ingest(ingest([_acled(tmp_path / "big.csv", 500, prefix="NER")]), folder)
    monkeypatch.setattr(ingest_module.os, "replace", real_replace)
    assert moves[:2] == [EVENTS_FILE, REJECTS_FILE]  # events.parquet had already been replaced
    assert _snapshot(folder) == before


def test_a_successful_write_replaces_all_three(tmp_path: Path, good: tuple[Path, dict[str, bytes]]) -> None:
    folder, _ = good
    write_ingest(ingest([_acled(tmp_path / "big.csv", 500, prefix="NER")]), folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUTS)
    assert json.loads((folder / SUMMARY_FILE).read_text())["accepted"] == len(load_events(folder)) == 500


_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))
from cli import app
app(sys.argv[1:])
"""


def test_a_real_file_size_limit_fails_the_write_and_keeps_the_outputs(
        tmp_path: Path, good: tuple[Path, dict[str, bytes]]) -> None:
    folder, before = good
    big = _acled(tmp_path / "big.csv", 5_000, prefix="NER")  # its events.parquet exceeds 30 kB
    done = subprocess.run([sys.executable, "-c", _LIMITED, "ingest", str(big), "--data-dir", str(folder)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "File too large; the previous outputs are unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(folder) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 kB tmpfs mounted in ``tmp_path`` (needs root; skipped elsewhere)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_really_full_disk_keeps_the_outputs(tmp_path: Path, small_disk: Path) -> None:
    runner = CliRunner()
    small = _acled(tmp_path / "small.csv", 40)
    first = runner.invoke(app, ["ingest", str(small), "--data-dir", str(small_disk)])
    assert first.exit_code == 0, first.output
    before = _snapshot(small_disk)
    big = _acled(tmp_path / "big.csv", 20_000, prefix="NER")
    lines = big.read_text().splitlines()
    lines[1::2] = [line.replace(",Attack,", ",Teleportation,") for line in lines[1::2]]
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")  # 10,000 rejects need megabytes
    second = runner.invoke(app, ["ingest", str(big), "--data-dir", str(small_disk)])
    assert second.exit_code == 2
    assert "No space left on device; the previous outputs are unchanged" in second.stderr
    assert _snapshot(small_disk) == before


def test_header_only_input_never_replaces_good_outputs(
        tmp_path: Path, good: tuple[Path, dict[str, bytes]]) -> None:
    folder, before = good
    header_only = tmp_path / "header.csv"
    header_only.write_text(HEADER + "\n", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["ingest", str(header_only), "--data-dir", str(folder)])
    assert refused.exit_code == 2
    assert "no event accepted (0 rows read, 0 rejected)" in refused.stderr
    assert "are left as they were; pass --allow-empty" in refused.stderr
    assert _snapshot(folder) == before
    allowed = runner.invoke(app, ["ingest", str(header_only), "--data-dir", str(folder), "--allow-empty",
                                  "--json"])
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["accepted"] == 0 and load_events(folder).empty


def test_wholly_rejected_input_is_refused_with_the_reasons(
        tmp_path: Path, good: tuple[Path, dict[str, bytes]]) -> None:
    folder, before = good
    bad = _acled(tmp_path / "bad.csv", 30)
    bad.write_text(bad.read_text().replace(",Attack,", ",Teleportation,"), encoding="utf-8")
    refused = CliRunner().invoke(app, ["ingest", str(bad), "--data-dir", str(folder)])
    assert refused.exit_code == 2
    assert "(30 rows read, 30 rejected: unmapped_event_type 30)" in refused.stderr
    assert _snapshot(folder) == before


def test_cli_reports_malformed_rows_with_row_numbers(tmp_path: Path) -> None:
    path = _acled(tmp_path / "one-bad.csv", 100)
    lines = path.read_text().splitlines()
    lines[57] += ",one too many"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["ingest", str(path), "--data-dir", str(tmp_path / "out"), "--json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert (payload["rows_read"], payload["accepted"], payload["rejected"]) == (100, 99, 1)
    assert payload["rejected_by_reason"] == {"malformed_row": 1}
    rejected = (tmp_path / "out" / REJECTS_FILE).read_text().splitlines()
    assert rejected[1].startswith('"' + str(path) + '",57,"malformed_row","expected 13 fields, got 14"')
