"""`threatcast methods train` and `threatcast methods evaluate` through the real command line app."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from models.methods import load_classifier
from tests.methods_texts import labelled_texts
from tests.source_fixtures import SOURCE_FIXTURES

SUB_EVENT = {"bombing": "Remote explosive/landmine/IED", "kidnapping": "Abduction/forced disappearance",
             "armed_clash": "Armed clash"}


def _acled_file(folder: Path) -> Path:
    texts, labels = labelled_texts()
    n = len(texts)
    frame = pd.DataFrame({
        "event_id_cnty": [f"MLI{i}" for i in range(n)], "event_date": ["2015-01-01"] * n,
        "sub_event_type": [SUB_EVENT[label] for label in labels], "notes": texts,
        "inter1": [2] * n, "country": ["Mali"] * n, "admin1": ["Gao"] * n, "fatalities": [0] * n,
    })
    extra = pd.DataFrame({"event_id_cnty": ["MLI-p"], "event_date": ["2015-01-02"],
                          "sub_event_type": ["Peaceful protest"], "notes": ["People marched."], "inter1": [6],
                          "country": ["Mali"], "admin1": ["Gao"], "fatalities": [0]})
    path = folder / "acled.csv"
    pd.concat([frame, extra]).to_csv(path, index=False)
    return path


def test_train_writes_a_classifier_and_evaluate_scores_it(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "clf.joblib"
    acled = _acled_file(tmp_path)
    result = runner.invoke(app, ["methods", "train", "--events", str(acled), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["texts"] == 216  # the protest is no method label
    assert payload["held_out"] == 44 and payload["out"] == str(out) and 0 < payload["bytes"] < 5_000_000
    assert load_classifier(out).labels == ("armed_clash", "bombing", "kidnapping")
    ucdp = tmp_path / "ucdp_ged.csv"
    text = SOURCE_FIXTURES["ucdp_ged.csv"]
    for old, new in (("Mosul falls", "Roadside bomb hits truck near Gao"), ("Executions", "Weekly report"),
                     ("Shooting", "Gunmen abducted two traders")):
        text = text.replace(f",{old},", f",{new},")
    ucdp.write_text(text, encoding="utf-8")
    sample = tmp_path / "labels.csv"
    pd.DataFrame({"ucdp_id": [200001, 200002, 200003], "label": ["bombing", "unclear", "kidnapping"],
                  "sample": ["random"] * 3}).to_csv(sample, index=False)
    options = ["--model", str(out), "--sample", str(sample), "--ucdp", str(ucdp)]
    scored = runner.invoke(app, ["methods", "evaluate", *options, "--json"])
    assert scored.exit_code == 0, scored.output
    payload = json.loads(scored.stdout)
    transfer = payload["ucdp_transfer"]
    assert transfer["n"] == 3 and transfer["unclear"] == 1
    assert transfer["all"]["n"] == 2 and transfer["all"]["confident_accuracy"] == 1.0
    assert payload["ucdp_file"]["before"]["accepted"] == payload["ucdp_file"]["after"]["accepted"] > 0
    without = runner.invoke(app, ["methods", "evaluate", *options[:4], "--json"])
    assert without.exit_code == 0 and json.loads(without.stdout)["ucdp_transfer"] is None
    missing = tmp_path / "more_labels.csv"
    pd.DataFrame({"ucdp_id": [200001, 999999], "label": ["bombing", "kidnapping"],
                  "sample": ["random"] * 2}).to_csv(missing, index=False)
    absent = runner.invoke(app, ["methods", "evaluate", "--model", str(out), "--sample", str(missing),
                                 "--ucdp", str(ucdp)])
    assert absent.exit_code == 2
    assert "1 labelled events are not in the UCDP file (e.g. ids 999999)" in absent.stderr
    table = runner.invoke(app, ["methods", "evaluate", *options])
    assert table.exit_code == 0 and "UCDP sample (all)" in table.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["methods", "evaluate", "--model", "/nonexistent/clf.joblib"], "no method classifier at"),
    (["methods", "train", "--events", "/nonexistent/acled.csv", "--out", "x.joblib"], "error:"),
    (["methods", "train", "--events", "x.csv", "--target-accuracy", "1.5"], "--target-accuracy must be in"),
])
def test_errors_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_train_refuses_a_file_without_notes(tmp_path: Path) -> None:
    path = tmp_path / "bare.csv"
    pd.DataFrame({"event_id_cnty": ["MLI1"], "sub_event_type": ["Armed clash"]}).to_csv(path, index=False)
    args = ["methods", "train", "--events", str(path), "--out", str(tmp_path / "c")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "notes and sub_event_type" in result.stderr
