"""Training: ingest -> panel -> backtest every family -> select -> fit -> log -> register -> gate.

:func:`train` is a plain function (the CLI, the demo job and the tests call it) returning a
:class:`TrainResult`. Checks that can fail cheaply (tracking server, artifact folder, data, origins)
run before the backtest. One parent MLflow run per training, one child run per model family; the
served :class:`~models.estimators.combined.CombinedForecaster` is fitted on all data to the cutoff,
wrapped in a :class:`~models.bundle.ForecastBundle`, logged as one pyfunc model, registered, and
then gated: the version gets its alias (``champion`` or ``challenger``) only as the very last step.
"""

from __future__ import annotations

import logging
import math
import signal
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from pandera.errors import SchemaError, SchemaErrors

from cli.jobs.interrupt import TrainingInterrupted, stop_on_signals
from cli.jobs.progress import StepProgress
from models.bundle import ForecastBundle
from models.bundle import headline as forecast_headline
from models.coverage import Coverage, coverage
from models.episodes import CATALOG_VERSION, load_catalog
from models.estimators.base import Forecaster
from models.estimators.catalogue import MIX_MODELS, SERVED_MIX
from models.estimators.combined import CombinedForecaster
from models.estimators.mix import TacticMix
from models.estimators.target_mix import TargetMix
from models.panel import Panel
from models.pyfunc import BUNDLE_ARTIFACT, BundleModel, save_bundle
from models.study import Study, run_study
from models.taxonomy import ALL, PANEL_TYPES, TAXONOMY_VERSION
from training import dataset, run_record
from training.backtest import CLASSIFIER, BacktestResult, run_backtest, skill_table
from training.combination import COMBINE, combiner, served_choice
from training.dataset import EventsInput
from training.executors import make_executor
from training.fingerprint import events_fingerprint
from training.registry import (
    CHAMPION,
    COMPLETE_TAG,
    SCORES_TAG,
    SKILL_METRICS,
    Decision,
    OriginScores,
    Registry,
    decide,
    fallback_baseline,
)
from training.report import track_record, write_report
from training.selection import (
    SELECTED,
    build_combined,
    choice_summary,
    classifier_factory,
    model_factories,
    resolve_models,
    served_coherence,
)
from training.settings import TrainingSettings
from training.sources import SourceFormatError
from training.study_report import write_study
from training.tracking import CallTimer, Tracker, TrackingError, preflight

log = logging.getLogger("threatcast.training")

TRAIN_PLACEBO_DRAWS = 10
"""Placebo draws of the episode study logged with every training run (``threatcast study`` runs more)."""
STEPS = ("check", "data", "backtest", "fit", "log", "register", "gate")


class TrainingError(RuntimeError):
    """A training that cannot proceed, with one readable message (bad input, tracking unavailable)."""


@dataclass(frozen=True)
class TrainOptions:
    """What to train and how (every field has a CLI option of the same name)."""

    cutoff: str | None = None
    horizon: int = 6
    origins: str | None = None
    n_origins: int = 24
    executor: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    models: str | None = None
    classifier: bool = True
    force: bool = False
    seed: int = 0
    fmt: str = "auto"
    catalog_path: Path | None = None
    progress: bool = True
    combine: str = COMBINE
    min_skill: float = 0.0


@dataclass
class TrainResult:
    """What a training produced."""

    run_id: str
    version: str
    decision: Decision
    headline: dict[str, float]
    model_name: str
    experiment_id: str
    served_model: str
    data_cutoff: str
    data_fingerprint: str
    origins: list[str]
    family_runs: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    mlflow_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def model_uri(self) -> str:
        """``models:/<name>/<version>``."""
        return f"models:/{self.model_name}/{self.version}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the CLI's ``--json`` output)."""
        return _json_ready({
            "run_id": self.run_id, "experiment_id": self.experiment_id, "model_name": self.model_name,
            "version": self.version, "model_uri": self.model_uri, "alias": self.decision.alias,
            "promoted": self.decision.promoted, "decision": self.decision.as_dict(),
            "served_model": self.served_model, "data_cutoff": self.data_cutoff,
            "data_fingerprint": self.data_fingerprint, "origins": self.origins, "headline": self.headline,
            "family_runs": self.family_runs, "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "mlflow_seconds": {k: round(v, 3) for k, v in self.mlflow_seconds.items()},
        })


@dataclass
class _Data:
    events: pd.DataFrame
    rejects: pd.DataFrame
    summary: dict[str, Any]
    panel: Panel
    catalog: pd.DataFrame
    origins: list[pd.Period]
    fingerprint: str
    coverage: Coverage = field(default_factory=lambda: Coverage({}))


def train(events: EventsInput, options: TrainOptions | None = None, settings: TrainingSettings | None = None,
          *, catalog: pd.DataFrame | None = None, timer: CallTimer | None = None) -> TrainResult:
    """Run the whole training and return what it produced.

    Args:
        events: event file path(s) (read with :func:`training.ingest.ingest`), an
            :class:`~training.ingest.IngestResult`, or a canonical events frame.
        options: what to train (defaults: horizon 6, the 24 origins ending 6 months before the cutoff,
            every family, local executor).
        settings: where to track (default: read from the environment).
        catalog: the episode catalog (default: ``options.catalog_path`` or the shipped one).
        timer: accumulates the seconds spent in MLflow calls (for benchmarks).

    Raises:
        TrainingError: on bad input or unavailable tracking, before any heavy work when possible.
        TrainingInterrupted: on SIGTERM or Ctrl-C (runs ended KILLED, workers stopped).
    """
    opts = options or TrainOptions()
    conf = settings or TrainingSettings()
    with StepProgress(opts.progress, len(STEPS)) as progress, stop_on_signals():
        try:
            return _train(events, opts, conf, catalog, timer or CallTimer(), progress)
        except KeyboardInterrupt:
            raise TrainingInterrupted(signal.SIGINT) from None
        except (TrackingError, SourceFormatError) as exc:
            raise TrainingError(str(exc)) from exc
        except (SchemaError, SchemaErrors) as exc:
            raise TrainingError(f"the events are not canonical: {str(exc).splitlines()[0]}") from exc
        except (ValueError, OSError) as exc:
            raise TrainingError(f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc)
                                ) from exc


def _train(events: EventsInput, opts: TrainOptions, conf: TrainingSettings, catalog: pd.DataFrame | None,
           timer: CallTimer, progress: StepProgress) -> TrainResult:
    with ExitStack() as stack:
        return _run(events, opts, conf, catalog, timer, progress, stack)


def _run(events: EventsInput, opts: TrainOptions, conf: TrainingSettings, catalog: pd.DataFrame | None,
         timer: CallTimer, progress: StepProgress, stack: ExitStack) -> TrainResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with progress.step("check", "checking tracking and options", timings):
        if opts.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {opts.horizon}")
        dataset.check_format(opts.fmt)
        combiner(opts.combine)
        preflight(conf)
        tracker = Tracker(conf, timer)
        experiment_id = tracker.experiment_id()
        cat = catalog if catalog is not None else load_catalog(opts.catalog_path)
        factories = _factories(cat, opts)
        clf = _seeded(classifier_factory(cat), opts.seed) if opts.classifier else None
        runner = stack.enter_context(make_executor(opts.executor, opts.scheduler, opts.workers))
    with progress.step("data", "reading events and building the panel", timings):
        data = _load(events, opts, cat)
    parent = tracker.start_run(f"train {data.panel.cutoff}", tags={"threatcast.kind": "training"})
    try:
        tracker.log_params(parent, _run_params(data, opts, factories, clf is not None))
        _warn_coverage(tracker, parent, data.coverage)
        with progress.step("backtest", f"backtesting {len(factories)} families on {len(data.origins)} "
                           "origins", timings):
            result = run_backtest(data.panel, cat, factories, data.origins, opts.horizon, executor=runner,
                                  classifier_factory=clf, combine=combiner(opts.combine),
                                  observed=data.coverage.regions() or None)
        stack.close()  # release the workers before the final fit
        with progress.step("fit", "fitting the served model on all data", timings):
            choice = served_choice(result.predictions, opts.combine)
            coherence = served_coherence(result.predictions, choice, data.panel.cutoff)
            served = build_combined(factories, choice, clf, coherence).fit(data.panel)
            skill = skill_table(result.predictions, SELECTED, result.baselines, REPORTED_TYPES)
            study = run_study(data.panel, data.catalog, placebo_draws=TRAIN_PLACEBO_DRAWS, seed=opts.seed)
            bundle = _bundle(served, data, opts, conf, parent, choice, tracker, result, skill, study)
            frame = bundle.forecast()
        with progress.step("log", "logging runs, artifacts and the model bundle", timings):
            family_runs = _log_families(tracker, parent, result, factories, clf)
            scores = run_record.origin_scores(result.predictions, SELECTED)
            headline = _log_served(tracker, parent, result, data, choice, frame, study)
            model_uri = _log_bundle(tracker, parent, bundle, frame)
        registry = Registry(tracker, conf.registered_model_name)
        with progress.step("register", "registering the model version", timings):
            version = registry.register(model_uri, parent, {
                SCORES_TAG: scores.to_json(), "data_cutoff": str(data.panel.cutoff),
                "data_fingerprint": data.fingerprint, "served_model": SELECTED,
                "origins": f"{data.origins[0]}:{data.origins[-1]}"})
        with progress.step("gate", "comparing with the champion", timings):
            decision = _gate(tracker, registry, parent, version, scores, opts.force, skill.get(ALL, {}),
                             opts.min_skill)
            if not decision.promoted and decision.champion_version is None:
                decision = _serve_baseline(tracker, registry, parent, decision, result, data, opts, conf,
                                           study)
        timings["total"] = time.perf_counter() - started
        tracker.log_metrics(parent, {f"seconds/{k}": v for k, v in timings.items()})
        tracker.end_run(parent)
    except BaseException as exc:
        killed = isinstance(exc, TrainingInterrupted | KeyboardInterrupt)
        _fail(tracker, parent, "KILLED" if killed else "FAILED")
        raise
    return TrainResult(run_id=parent, version=version, decision=decision, headline=headline,
                       model_name=conf.registered_model_name, experiment_id=experiment_id,
                       served_model=SELECTED, data_cutoff=str(data.panel.cutoff),
                       data_fingerprint=data.fingerprint, origins=[str(o) for o in data.origins],
                       family_runs=family_runs, timings=timings, mlflow_seconds=dict(timer.seconds))


def _factories(cat: pd.DataFrame, opts: TrainOptions) -> dict[str, Callable[[], Forecaster]]:
    chosen = resolve_models(opts.models, model_factories(cat))
    if not chosen:
        raise ValueError("no count model selected")
    return {name: _seeded(factory, opts.seed) for name, factory in chosen.items()}


def _seeded(factory: Any, seed: int) -> Any:
    """``factory`` with ``random_state=seed`` when its estimator has that hyper-parameter."""
    if factory is None or not hasattr(probe := factory(), "get_params"):
        return factory
    return partial(factory, random_state=seed) if "random_state" in probe.get_params(deep=False) else factory


def _load(events: EventsInput, opts: TrainOptions, cat: pd.DataFrame) -> _Data:
    data = dataset.load(events, opts.fmt, opts.cutoff)
    origins = dataset.origins(data.panel, opts.origins, opts.horizon, opts.n_origins)
    ingested = data.ingested
    return _Data(ingested.events, ingested.rejects, ingested.summary, data.panel, cat, origins,
                 events_fingerprint(data.used_events()), coverage(data.used_events()))


COVERAGE_TAG = "threatcast.coverage_warning"
"""Run tag set when the training pools sources (or regions) of different attack-type coverage."""


def _warn_coverage(tracker: Tracker, parent: str, found: Coverage) -> None:
    """Log and tag the run when the pooled data mixes type coverages (see :mod:`models.coverage`)."""
    warning = found.warning()
    if warning is None:
        return
    log.warning("%s", warning)
    tracker.set_tags(parent, {COVERAGE_TAG: warning[:4900]})


def _run_params(data: _Data, opts: TrainOptions, factories: Mapping[str, Callable[[], Forecaster]],
                with_classifier: bool) -> dict[str, Any]:
    summary = data.summary
    params: dict[str, Any] = {
        "data_fingerprint": data.fingerprint, "data_cutoff": str(data.panel.cutoff),
        "rows_read": summary.get("rows_read"), "events_accepted": summary.get("accepted"),
        "events_rejected": summary.get("rejected"), "events_used": data.panel.meta.get("events_used"),
        "sources": ",".join(sorted(summary.get("by_source", {}))) or "unknown",
        "source_files": ",".join(str(f.get("path")) for f in summary.get("files", [])) or "in-memory",
        "regions": len(data.panel.regions), "first_month": str(data.panel.months[0]),
        "horizon": opts.horizon, "origins": f"{data.origins[0]}:{data.origins[-1]}",
        "n_origins": len(data.origins), "seed": opts.seed, "executor": opts.executor,
        "models": ",".join(factories), "classifier": with_classifier,
        "taxonomy_version": TAXONOMY_VERSION, "catalog_version": CATALOG_VERSION,
        "catalog_episodes": len(data.catalog), "git_commit": run_record.git_commit() or "unknown",
    }
    params.update({f"version/{k}": v for k, v in run_record.package_versions().items()})
    return params


def _log_families(tracker: Tracker, parent: str, result: BacktestResult,
                  factories: Mapping[str, Callable[[], Forecaster]], clf: Callable[[], Any] | None
                  ) -> dict[str, str]:
    runs: dict[str, str] = {}
    for name in result.models:
        if name == SELECTED:
            continue
        run = tracker.start_run(name, parent_id=parent, tags={"threatcast.family": name})
        make = factories.get(name) or (clf if name == CLASSIFIER else None)
        params: dict[str, Any] = {"family": name, "baseline": name in result.baselines}
        if make is not None:
            params.update(run_record.hyper_params(make()))
        tracker.log_params(run, params)
        for metrics, step in run_record.model_metrics(result.scores, name):
            tracker.log_metrics(run, metrics, step)
        seconds = {f"seconds/{k.split('/', 1)[1]}": float(v) for k, v in result.timings.items()
                   if k.startswith(f"{name}/")}
        tracker.log_metrics(run, seconds)
        tracker.end_run(run)
        runs[name] = run
    return runs


def _log_served(tracker: Tracker, parent: str, result: BacktestResult, data: _Data,
                choice: Mapping[str, Mapping[str, Any]], frame: pd.DataFrame, study: Study
                ) -> dict[str, float]:
    for metrics, step in run_record.model_metrics(result.scores, SELECTED):
        tracker.log_metrics(parent, metrics, step)
    tracker.log_metrics(parent, {f"backtest_seconds/{k}": float(v) for k, v in result.timings.items()
                                 if k in ("origins", "scoring", "total")})
    tracker.log_params(parent, {f"choice/{t}": f"{e['count_model']}+{e['p_any']}"
                                for t, e in choice_summary(choice).items()})
    entry = result.headline.get(SELECTED, {})
    headline = {k: float(v) for k, v in entry.items() if isinstance(v, int | float)}
    headline.update({f"forecast_{k}": v for k, v in forecast_headline(frame).items()})
    with tempfile.TemporaryDirectory(prefix="threatcast-train-") as tmp:
        root = Path(tmp)
        write_report(result, data.panel, root / "backtest", choice, title="threatcast training backtest")
        tracker.log_artifacts(parent, root / "backtest", "backtest")
        data_dir = root / "data"
        data_dir.mkdir()
        rejects = data.rejects
        reasons = (rejects["reason"].value_counts().rename_axis("reason").reset_index()
                   if "reason" in rejects.columns else pd.DataFrame({"reason": [], "count": []}))
        reasons.to_csv(data_dir / "rejected_by_reason.csv", index=False)
        rejects.head(1000).to_csv(data_dir / "rejected_sample.csv", index=False)
        tracker.log_artifacts(parent, data_dir, "data")
        tracker.log_dict(parent, _json_ready(data.summary), "data/ingest_summary.json")
        out = root / "forecast"
        out.mkdir()
        frame.to_csv(out / "forecast.csv", index=False)
        tracker.log_artifacts(parent, out, "forecast")
        write_study(study, root / "study")
        tracker.log_artifacts(parent, root / "study", "study")
    return headline


REPORTED_TYPES = (ALL, "kidnapping", "bombing", "armed_assault", "armed_clash", "suicide_attack")
"""Attack types whose skills (with intervals) the bundle carries and ``/v1/model`` shows."""


def _bundle(served: Forecaster, data: _Data, opts: TrainOptions, conf: TrainingSettings, run_id: str,
            choice: Mapping[str, Mapping[str, Any]], tracker: Tracker, result: BacktestResult,
            skill: Mapping[str, Any], study: Study, served_model: str = SELECTED) -> ForecastBundle:
    head = result.headline.get(served_model, {})
    provenance = {
        "model_name": conf.registered_model_name, "model_version": _next_version(tracker, conf),
        "run_id": run_id, "data_cutoff": str(data.panel.cutoff),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_fingerprint": data.fingerprint, "taxonomy_version": TAXONOMY_VERSION,
        "catalog_version": CATALOG_VERSION, "served_model": served_model,
        "backtest": _json_ready({
            "origins": [str(o) for o in data.origins], "horizon": opts.horizon,
            "choice": choice_summary(choice), "baselines": list(result.baselines),
            "headline": {k: float(v) for k, v in head.items() if isinstance(v, int | float)},
            "skill": skill}),
        "study": _json_ready(study.to_dict()),
        "coverage": {k: v for k, v in data.coverage.to_dict().items() if k != "regions"},
    }
    return ForecastBundle(forecaster=served, state=data.panel, catalog=data.catalog, provenance=provenance,
                          horizon=opts.horizon, mix_model=_mix_model(data),
                          track_record=track_record(result.predictions, served_model),
                          target_model=_target_model(data),
                          coverage={r: list(t) for r, t in data.coverage.regions().items()} or None)


def _next_version(tracker: Tracker, conf: TrainingSettings) -> str:
    """The version number registration will most likely give (filled into the bundle's provenance)."""
    name = conf.registered_model_name
    with tracker.call("list versions", kind="registry"):
        found = tracker.client.search_model_versions(f"name = '{name}'")
    return str(max((int(v.version) for v in found), default=0) + 1)


def _mix_model(data: _Data) -> TacticMix:
    """The served tactic-mix model, fitted on the training panel."""
    return MIX_MODELS[SERVED_MIX](catalog=data.catalog).fit(data.panel)


def _target_model(data: _Data) -> TargetMix | None:
    """The fitted target-mix model, or ``None`` when the panel carries no target-class counts."""
    if data.panel.targets is None:
        return None
    return TargetMix().fit(data.panel)


def _input_example(bundle: ForecastBundle) -> pd.DataFrame:
    """One request row (the first region, all attacks, the longest horizon) logged with a bundle."""
    first = str(bundle.state.regions.index[0])
    return pd.DataFrame({"region_id": [first], "attack_type": ["all"], "horizon": [float(bundle.horizon)]})


def _log_bundle(tracker: Tracker, parent: str, bundle: ForecastBundle, frame: pd.DataFrame) -> str:
    example = _input_example(bundle)
    with tempfile.TemporaryDirectory(prefix="threatcast-bundle-") as tmp:
        path = save_bundle(bundle, tmp)
        return tracker.log_pyfunc(parent, name="bundle", python_model=BundleModel(),
                                  artifacts={BUNDLE_ARTIFACT: str(path)},
                                  signature=run_record.request_signature(frame), input_example=example,
                                  pip_requirements=run_record.requirements())


def _serve_baseline(tracker: Tracker, registry: Registry, parent: str, decision: Decision,
                    result: BacktestResult, data: _Data, opts: TrainOptions,
                    conf: TrainingSettings, study: Study) -> Decision:
    """The models lost and there is no champion: register a baseline and make it the champion.

    The baseline is :func:`training.registry.fallback_baseline`'s (the one that loses least on its
    worse metric against the best baseline of each); it serves its own distribution for every
    attack type (already coherent: its type means add up to its ``all`` mean). The decision says
    how the models and the served baseline compare.
    """
    name = fallback_baseline(result.headline, result.baselines) or \
        str(decision.skill.get("crps", {}).get("baseline") or "mean12")
    factories = model_factories(data.catalog)
    choice = {t: {"count_model": name, "p_any": "count"} for t in PANEL_TYPES}
    served = CombinedForecaster(members={name: factories[name]()}, choice=choice, default_model=name,
                                coherent=False).fit(data.panel)
    own = skill_table(result.predictions, name, result.baselines, REPORTED_TYPES)
    bundle = _bundle(served, data, opts, conf, parent, choice, tracker, result, own, study,
                     served_model=name)
    frame = bundle.forecast()
    with tempfile.TemporaryDirectory(prefix="threatcast-baseline-") as tmp:
        path = save_bundle(bundle, tmp)
        uri = tracker.log_pyfunc(parent, name="baseline_bundle", python_model=BundleModel(),
                                 artifacts={BUNDLE_ARTIFACT: str(path)},
                                 signature=run_record.request_signature(frame),
                                 input_example=_input_example(bundle),
                                 pip_requirements=run_record.requirements())
    scores = run_record.origin_scores(result.predictions, name)
    version = registry.register(uri, parent, {
        SCORES_TAG: scores.to_json(), "data_cutoff": str(data.panel.cutoff),
        "data_fingerprint": data.fingerprint, "served_model": name,
        "origins": f"{data.origins[0]}:{data.origins[-1]}"})
    reason = f"{decision.reason}; {_baseline_note(name, version, result.headline)}"
    registry.set_version_tags(version, {COMPLETE_TAG: "true", "threatcast.decision": reason})
    registry.set_alias(CHAMPION, version)
    tracker.set_tags(parent, {"threatcast.baseline_version": version, "threatcast.decision": reason})
    return replace(decision, reason=reason, baseline_version=version, served_baseline=name)


def _baseline_note(name: str, version: str, headline: Mapping[str, Mapping[str, float]]) -> str:
    """Why the baseline ``name`` serves: its own skills against the best baseline of each metric."""
    entry = headline.get(name) or {}
    skills = ", ".join(f"{m} {float(entry.get(f'{m}_skill', float('nan'))):+.4f}" for m in SKILL_METRICS)
    return (f"the baseline {name!r} is served as the champion instead (version {version}); its own "
            f"skills against the best baseline of each metric: {skills}, the least loss on the "
            f"worse metric among the baselines")


def _gate(tracker: Tracker, registry: Registry, parent: str, version: str, scores: OriginScores,
          force: bool, skill: Mapping[str, Mapping[str, Any]] | None = None,
          min_skill: float = 0.0) -> Decision:
    champion = registry.version_by_alias(CHAMPION)
    champion_scores = registry.scores(champion) if champion is not None else None
    if champion is not None and champion_scores is None:
        champion_scores = OriginScores({})
    decision = decide(version, scores, champion_scores,
                      None if champion is None else str(champion.version), force, skill, min_skill)
    tracker.log_dict(parent, decision.as_dict(), "promotion/decision.json")
    tracker.set_tags(parent, {"threatcast.version": version, "threatcast.alias": decision.alias,
                              "threatcast.promoted": str(decision.promoted).lower(),
                              "threatcast.decision": decision.reason})
    tracker.log_params(parent, {"registered_version": version, "promotion/alias": decision.alias,
                                "promotion/forced": force,
                                "promotion/champion_version": decision.champion_version or "none",
                                "promotion/min_skill": min_skill})
    numbers = {f"promotion/challenger_{k}": v for k, v in decision.challenger_scores.items()}
    numbers.update({f"promotion/skill_{m}{suffix}": float(e[key]) for m, e in decision.skill.items()
                    for key, suffix in (("skill", ""), ("lower", "_lower"), ("upper", "_upper"))
                    if isinstance(e.get(key), int | float) and math.isfinite(float(e[key]))})
    numbers.update({f"promotion/champion_{k}": v for k, v in decision.champion_scores.items()})
    tracker.log_metrics(parent, numbers)
    registry.set_version_tags(version, {COMPLETE_TAG: "true", "threatcast.decision": decision.reason})
    registry.set_alias(decision.alias, version)
    return decision


def _fail(tracker: Tracker, run_id: str, status: str = "FAILED") -> None:
    with suppress(Exception):  # the original error matters more
        tracker.end_open_runs(status)  # child runs first, then the parent
        if run_id in tracker.open_runs:
            tracker.end_run(run_id, status=status)


def _json_ready(value: Any) -> Any:
    """``value`` with numpy scalars made plain and NaN/infinite floats made ``None`` (valid JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item"):
        return _json_ready(value.item())
    return value
