"""The model registry: versions, the ``champion`` and ``challenger`` aliases, and the promotion gate.

The rule never serves a loser: a version becomes ``champion`` only when

1. its backtest CRPS skill and Brier skill on ``all`` against the best baseline are both >= 0, or
   >= a margin the operator asks for (the point estimates; their block-bootstrap intervals are
   reported beside them), and
2. there is no champion yet, or its CRPS and Brier on the origins it shares with the champion's
   backtest are both no worse than the champion's;

or when forced. Otherwise it becomes ``challenger`` and the decision says which test failed and by
how much. (Training then serves a baseline as the champion when the models lose and there is no
champion, the one :func:`fallback_baseline` picks: see :mod:`cli.jobs.train`.) Aliases only, never
stages. A version is registered first and its alias set last, so a training that fails in between
never leaves a half-registered version marked ``champion``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from training.tracking import Tracker, TrackingError

CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"
SCORES_TAG: Final = "threatcast.origin_scores"
"""Version tag holding the served model's backtest scores per origin (JSON)."""
COMPLETE_TAG: Final = "threatcast.complete"
KEY_METRICS: Final[tuple[str, ...]] = ("crps", "brier")


@dataclass(frozen=True)
class OriginScores:
    """Backtest scores of one model per origin: ``{origin: {"crps": x, "brier": y, "n": rows}}``."""

    by_origin: dict[str, dict[str, float]]

    def on(self, origins: Sequence[str]) -> dict[str, float]:
        """Row-weighted mean CRPS and Brier over ``origins``."""
        rows = [self.by_origin[o] for o in origins]
        weight = sum(r.get("n", 1.0) for r in rows)
        if not rows or weight <= 0:
            return {m: float("nan") for m in KEY_METRICS}
        return {m: float(sum(r[m] * r.get("n", 1.0) for r in rows) / weight) for m in KEY_METRICS}

    def to_json(self) -> str:
        """Compact JSON text with exact floats (fits a registry tag; round-trips bit for bit)."""
        exact = {o: {k: float(v) for k, v in s.items()} for o, s in self.by_origin.items()}
        return json.dumps(exact, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> OriginScores:
        """Parse :meth:`to_json` output."""
        return cls({str(o): {str(k): float(v) for k, v in s.items()} for o, s in json.loads(text).items()})


@dataclass(frozen=True)
class Decision:
    """What the gate decided for a new version, and the numbers behind it."""

    version: str
    alias: str
    promoted: bool
    reason: str
    forced: bool = False
    champion_version: str | None = None
    origins_compared: list[str] = field(default_factory=list)
    challenger_scores: dict[str, float] = field(default_factory=dict)
    champion_scores: dict[str, float] = field(default_factory=dict)
    skill: dict[str, dict[str, Any]] = field(default_factory=dict)
    baseline_version: str | None = None
    served_baseline: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON artifacts and CLI output."""
        return asdict(self)


SKILL_METRICS: Final[tuple[str, ...]] = ("crps", "brier")
"""Skills against the best baseline that must be >= 0 for a version to become champion."""


def _skill_text(metric: str, entry: Mapping[str, Any]) -> str:
    lo, hi = entry.get("lower"), entry.get("upper")
    interval = f" [{lo:+.4f}, {hi:+.4f}]" if isinstance(lo, float) and isinstance(hi, float) else ""
    value = float(entry.get("skill", float("nan")))
    return f"{metric} skill {value:+.4f}{interval} vs {entry.get('baseline', '?')}"


def skill_failures(skill: Mapping[str, Mapping[str, Any]], min_skill: float = 0.0) -> list[str]:
    """The :data:`SKILL_METRICS` whose skill is missing, NaN or below ``min_skill`` (as readable text)."""
    out = []
    for metric in SKILL_METRICS:
        entry = skill.get(metric)
        value = float(entry.get("skill", float("nan"))) if entry else float("nan")
        if not value >= min_skill:
            out.append(_skill_text(metric, entry) if entry else f"{metric} skill unknown")
    return out


def fallback_baseline(headline: Mapping[str, Mapping[str, float]], baselines: Sequence[str]) -> str | None:
    """The baseline to serve when the models lose: the one whose worse skill is the highest.

    Each baseline's CRPS and Brier skills on ``all`` are against the best baseline of that metric
    (:func:`training.backtest.headline`), so the best baseline of one metric has skill 0 there and
    may lose on the other; the baseline served is the one that loses least on its worse metric
    (ties: the lower CRPS). ``None`` when no baseline has both skills.

    Args:
        headline: model -> ``{"crps": ..., "crps_skill": ..., "brier_skill": ...}``.
        baselines: the names that count as baselines.
    """
    ranked = []
    for name in baselines:
        entry = headline.get(name) or {}
        skills = [float(entry.get(f"{m}_skill", float("nan"))) for m in SKILL_METRICS]
        if all(math.isfinite(v) for v in skills):
            ranked.append((-min(skills), float(entry.get("crps", float("inf"))), str(name)))
    return min(ranked)[2] if ranked else None


def decide(version: str, candidate: OriginScores, champion: OriginScores | None,
           champion_version: str | None = None, force: bool = False,
           skill: Mapping[str, Mapping[str, Any]] | None = None, min_skill: float = 0.0) -> Decision:
    """Apply the promotion rule (pure: no MLflow involved).

    Args:
        version: the new version.
        candidate: its backtest scores per origin.
        champion: the champion's, ``None`` when there is no champion.
        champion_version: the champion's version.
        force: promote whatever the scores.
        skill: metric -> ``{"skill", "lower", "upper", "baseline"}`` of the new version on ``all``
            (:func:`training.backtest.skill_table`); ``None`` skips the skill test (older callers).
        min_skill: the least CRPS and Brier skill that passes (0: no worse than the best baseline;
            a positive margin asks for more).
    """
    common = sorted(set(candidate.by_origin) & set(champion.by_origin)) if champion is not None else []
    mine = candidate.on(common if champion is not None else sorted(candidate.by_origin))
    theirs = champion.on(common) if champion is not None else {}
    skills = {m: dict(v) for m, v in (skill or {}).items()}

    def made(promoted: bool, reason: str) -> Decision:
        return Decision(version=version, alias=CHAMPION if promoted else CHALLENGER, promoted=promoted,
                        reason=reason, forced=force, champion_version=champion_version,
                        origins_compared=common, challenger_scores=mine, champion_scores=theirs,
                        skill=skills)

    if force:
        return made(True, "forced promotion")
    skill_note = "; ".join(_skill_text(m, skills[m]) for m in SKILL_METRICS if m in skills)
    if skill is not None:
        failed = skill_failures(skills, min_skill)
        if failed:
            short = "loses to the best baseline" if min_skill <= 0 else \
                f"falls short of skill {min_skill:+.4f} against the best baseline"
            return made(False, f"{short}: " + "; ".join(failed))
    if champion is None:
        return made(True, "first version: no champion yet" + (f"; {skill_note}" if skill_note else ""))
    if not common:
        return made(False, "no backtest origin in common with the champion: scores are not comparable "
                    "(use --force to promote anyway)")
    worse = [m for m in KEY_METRICS if not mine[m] <= theirs[m] * (1 + 1e-9) + 1e-12]
    if worse:
        return made(False, "worse than the champion: "
                    + ", ".join(f"{m} {mine[m]:.4f} > {theirs[m]:.4f}" for m in worse))
    return made(True, "no worse than the champion: "
                + ", ".join(f"{m} {mine[m]:.4f} <= {theirs[m]:.4f}" for m in KEY_METRICS)
                + (f"; {skill_note}" if skill_note else ""))


class Registry:
    """Registered versions and aliases of one model name, through the tracker's timed client."""

    def __init__(self, tracker: Tracker, name: str) -> None:
        self.tracker = tracker
        self.client = tracker.client
        self.name = name

    def _call(self, what: str) -> Any:
        return self.tracker.call(what, kind="registry")

    def register(self, model_uri: str, run_id: str, tags: Mapping[str, str], wait_seconds: float = 60) -> str:
        """Create a new version of the model from ``model_uri``; no alias is set. Returns the version.

        Raises:
            TrackingError: when MLflow refuses or the version is not ready in time.
        """
        with self._call(f"register {self.name!r}"), redirect_stderr(io.StringIO()):
            # through this tracker's own client (never MLflow's process-wide URI, which another
            # component of the process may point elsewhere): create the registered model when
            # missing, link the logged model (``models:/<model_id>``) and let MLflow wait for READY
            try:
                self.client.get_registered_model(self.name)
            except MlflowException:
                self.client.create_registered_model(self.name)
            model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/") else None
            mv = self.client.create_model_version(self.name, model_uri, run_id=run_id, tags=dict(tags),
                                                  model_id=model_id,
                                                  await_creation_for=max(1, round(wait_seconds)))
        if str(mv.run_id or run_id) != run_id:
            raise TrackingError(f"model version {self.name} v{mv.version} belongs to run {mv.run_id}, "
                                f"not {run_id}")
        if mv.status != "READY":
            raise TrackingError(f"model version {self.name} v{mv.version} is {mv.status}, not READY")
        return str(mv.version)

    def version_by_alias(self, alias: str) -> ModelVersion | None:
        """The version holding ``alias``, or ``None`` (also when the model is not registered yet)."""
        with self.tracker.timer.time("registry"):
            try:
                return self.client.get_model_version_by_alias(self.name, alias)
            except MlflowException:
                return None

    def scores(self, mv: ModelVersion) -> OriginScores | None:
        """The backtest scores per origin stored on a version, if any."""
        text = (mv.tags or {}).get(SCORES_TAG)
        return OriginScores.from_json(text) if text else None

    def set_version_tags(self, version: str, tags: Mapping[str, Any]) -> None:
        """Set tags on a version."""
        with self._call(f"tag version {version}"):
            for key, value in tags.items():
                self.client.set_model_version_tag(self.name, version, key, str(value))

    def set_alias(self, alias: str, version: str) -> None:
        """Point ``alias`` at ``version``."""
        with self._call(f"set alias {alias}"):
            self.client.set_registered_model_alias(self.name, alias, version)

    def promote(self, version: str) -> str | None:
        """Make ``version`` the champion; return the previous champion's version.

        Raises:
            TrackingError: when the version does not exist.
        """
        with self._call(f"find version {version}"):
            self.client.get_model_version(self.name, version)
        previous = self.version_by_alias(CHAMPION)
        self.set_alias(CHAMPION, version)
        challenger = self.version_by_alias(CHALLENGER)
        if challenger is not None and str(challenger.version) == str(version):
            with self._call("drop the challenger alias"):
                self.client.delete_registered_model_alias(self.name, CHALLENGER)
        return None if previous is None else str(previous.version)

    def versions(self) -> list[dict[str, Any]]:
        """Every version, newest first: version, aliases, run id, creation time, key scores, tags."""
        with self._call(f"list versions of {self.name!r}"):
            found = self.client.search_model_versions(f"name = '{self.name}'")
            aliases: dict[str, list[str]] = {}
            if found:
                for alias, version in (self.client.get_registered_model(self.name).aliases or {}).items():
                    aliases.setdefault(str(version), []).append(str(alias))
        rows = []
        for mv in sorted(found, key=lambda v: int(v.version), reverse=True):
            tags = dict(mv.tags or {})
            scores = self.scores(mv)
            rows.append({
                "version": str(mv.version),
                "aliases": sorted(aliases.get(str(mv.version), [])),
                "run_id": mv.run_id,
                "created": int(mv.creation_timestamp or 0),
                "complete": tags.get(COMPLETE_TAG) == "true",
                "data_cutoff": tags.get("data_cutoff", ""),
                "served_model": tags.get("served_model", ""),
                **(scores.on(sorted(scores.by_origin)) if scores else {m: None for m in KEY_METRICS}),
            })
        return rows
