"""`threatcast methods`: train the attack-method text classifier and score it (ACLED and UCDP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from models.methods import SHIPPED_PATH, MethodClassifier, load_classifier, text_methods_off
from models.methods_eval import (
    SAMPLE_PATH,
    abstention_rate,
    load_headline_sample,
    load_labels,
    transfer_scores,
)
from models.methods_fit import fit_method_classifier
from training.ingest import ingest
from training.sources import SourceFormatError
from training.sources.acled import method_examples
from training.sources.files import read_table

methods_app = typer.Typer(help="The attack-method text classifier: train it, score it.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _scores_table(title: str, scores: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("class", "support", "precision", "recall", "confident precision", "confident recall"):
        table.add_column(name, justify="left" if name == "class" else "right")

    def shown(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    for label, row in scores["per_class"].items():
        table.add_row(label, str(row["support"]), shown(row["precision"]), shown(row["recall"]),
                      shown(row["confident_precision"]), shown(row["confident_recall"]))
    return table


def _summary_line(scores: dict[str, Any]) -> str:
    return (f"n {scores['n']}, accuracy {scores['accuracy']}, confident {scores['confident']} "
            f"(abstention {scores['abstention']}), confident accuracy {scores['confident_accuracy']}")


@methods_app.command("train")
def train_command(
    events: Annotated[list[Path], typer.Option(
        "--events", "-e", help="ACLED files with notes and sub_event_type.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Where the fitted classifier goes.")] = Path(
        "data/method_classifier.joblib"),
    target_accuracy: Annotated[float, typer.Option(
        help="Out-of-fold accuracy of confident predictions.")] = 0.85,
    c: Annotated[float, typer.Option("--c", help="Inverse regularisation of the logistic model.")] = 10.0,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split and the folds.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Fit the classifier on ACLED notes, report held-out figures, write the artefact.

    Use the result with THREATCAST_METHODS_MODEL=PATH, or write it over the shipped
    models/data/method_classifier.joblib.
    """
    if not 0.0 < target_accuracy < 1.0:
        raise _fail(f"--target-accuracy must be in (0, 1), got {target_accuracy}")
    try:
        examples = pd.concat([method_examples(p) for p in events], ignore_index=True)
        classifier = fit_method_classifier(examples["text"].tolist(), examples["label"].tolist(),
                                           target_accuracy=target_accuracy, c=c, seed=seed,
                                           source=",".join(p.name for p in events))
        written = classifier.save(out)
    except SourceFormatError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc}") from None
    info = {k: v for k, v in classifier.info.items() if k != "threshold_curve"}
    if as_json:
        typer.echo(json.dumps({**info, "out": str(written), "bytes": written.stat().st_size}))
        return
    console = Console()
    console.print(f"{info['texts']:,} texts ({info['train']:,} to fit, {info['held_out']:,} held out); "
                  f"temperature {info['temperature']}, threshold {info['threshold']}")
    console.print("held out: " + _summary_line(info["held_out_scores"]))
    console.print(_scores_table("ACLED held-out notes", info["held_out_scores"]))
    console.print(f"written: {written} ({written.stat().st_size / 1e6:.1f} MB)")


def _ucdp_figures(classifier: MethodClassifier, ucdp: Path, since: int) -> dict[str, Any]:
    raw = read_table(ucdp)
    if "year" not in raw.columns or "source_headline" not in raw.columns:
        raise SourceFormatError(str(ucdp), "a UCDP GED file with year and source_headline is needed")
    years = pd.to_numeric(raw["year"], errors="coerce")
    recent = abstention_rate(classifier, raw["source_headline"][(years >= since).to_numpy()])
    with text_methods_off():
        before = ingest([ucdp]).summary
    after = ingest([ucdp]).summary
    return {"file": str(ucdp), "since": since, "recent_headlines": recent,
            "before": {"accepted": before["accepted"], "by_attack_type": before["by_attack_type"],
                       "rejected_by_reason": before["rejected_by_reason"]},
            "after": {"accepted": after["accepted"], "by_attack_type": after["by_attack_type"],
                      "rejected_by_reason": after["rejected_by_reason"]}}


@methods_app.command("evaluate")
def evaluate_command(
    model: Annotated[Path, typer.Option(help="A fitted classifier.")] = SHIPPED_PATH,
    sample: Annotated[Path, typer.Option(help="Hand labels of UCDP headlines (event ids).")] = SAMPLE_PATH,
    ucdp: Annotated[Path | None, typer.Option(
        help="A UCDP GED file: the labelled events' headlines (the transfer sample), abstention on "
             "recent headlines and counts by type without and with text methods.")] = None,
    since: Annotated[int, typer.Option(help="First year of the recent headlines.")] = 2015,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Score a classifier: its ACLED held-out figures and, given a UCDP file, the transfer sample."""
    try:
        classifier = load_classifier(model)
        load_labels(sample)
        labelled = load_headline_sample(ucdp, sample) if ucdp is not None else None
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    payload: dict[str, Any] = {"model": str(model), "threshold": classifier.threshold,
                               "acled_held_out": classifier.info.get("held_out_scores"),
                               "ucdp_transfer": transfer_scores(classifier, labelled) if labelled is not None
                               else None}
    if ucdp is not None:
        try:
            payload["ucdp_file"] = _ucdp_figures(classifier, ucdp, since)
        except SourceFormatError as exc:
            raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(payload))
        return
    console = Console()
    console.print(f"model {model} (threshold {classifier.threshold})")
    if payload["acled_held_out"]:
        console.print("ACLED held out: " + _summary_line(payload["acled_held_out"]))
        console.print(_scores_table("ACLED held-out notes", payload["acled_held_out"]))
    transfer = payload["ucdp_transfer"]
    if transfer is None:
        console.print("UCDP sample: give --ucdp FILE (the GED file holds the labelled headlines)")
    else:
        for part in ("all", "random"):
            console.print(f"UCDP sample ({part}): " + _summary_line(transfer[part])
                          + f"; abstention with unclear {transfer[part]['abstention_with_unclear']}")
        console.print(_scores_table("UCDP hand-labelled headlines (all)", transfer["all"]))
    if "ucdp_file" in payload:
        figures = payload["ucdp_file"]
        recent = figures["recent_headlines"]
        console.print(f"{recent['headlines']:,} headlines from {since}: abstention {recent['abstention']}")
        table = Table(title="UCDP events by attack type", title_justify="left")
        for name in ("type", "default types", "text methods"):
            table.add_column(name, justify="left" if name == "type" else "right")
        before, after = figures["before"]["by_attack_type"], figures["after"]["by_attack_type"]
        for kind in sorted(set(before) | set(after), key=lambda k: -after.get(k, 0)):
            table.add_row(kind, f"{before.get(kind, 0):,}", f"{after.get(kind, 0):,}")
        table.add_row("rejected as not threat events", "0",
                      f"{figures['after']['rejected_by_reason'].get('not_threat_event', 0):,}")
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``methods`` command group to ``app``."""
    app.add_typer(methods_app, name="methods")
