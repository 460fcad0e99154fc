"""The model holder: the served model (or why there is none) behind one atomically swapped reference.

Readers take ``holder.current`` once per request and use that object throughout, so a reload that
swaps the reference mid-request never mixes two models in one response. Loads run off the event
loop, are serialised and bounded in time (``load_timeout_seconds``: a load that hangs is abandoned
and counted failed, so it never blocks the next one); a failed load leaves the serving model
untouched. A bundle is validated before it is swapped in: its history must not be empty and every
region it lists must have a forecast for every attack type and horizon.

At start-up :meth:`ModelHolder.start` loads in the background, with ``load_attempts`` attempts, so
``/health`` answers at once while ``/ready`` says the model is loading.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from models.taxonomy import PANEL_TYPES
from service.loader import LoadedModel, ModelLoadError, limit_mlflow_http, load_model, redact
from service.settings import Settings
from service.table import ServedModel, build_served

log = logging.getLogger("threatcast.service")

Loader = Callable[[str, str], LoadedModel]

LOADING = "the model is loading"


@dataclass(frozen=True)
class LoadOutcome:
    """The result of one load attempt.

    Attributes:
        ok: whether the model was swapped in.
        served: the model serving after the attempt (the old one when it failed).
        previous_version: the version served before the attempt.
        reason: why the attempt failed (full text, for logs and admin replies).
        public_reason: the same without internal addresses (for unauthenticated replies).
    """

    ok: bool
    served: ServedModel | None
    previous_version: str | None
    reason: str | None = None
    public_reason: str | None = None


def validate_served(served: ServedModel) -> None:
    """Refuse a model that would serve nonsense.

    Raises:
        ValueError: when the bundle's history is empty, it lists no region, a region has no
            history, or a region lacks the forecast of an attack type or horizon.
    """
    counts = served.bundle.state.counts
    if counts.empty:
        raise ValueError("the bundle's history is empty (no region-month counts)")
    if not served.infos:
        raise ValueError("the bundle lists no region")
    with_history = set(counts["region_id"].astype(str))
    lacking = sorted(set(served.infos) - with_history)
    if lacking:
        raise ValueError(f"{len(lacking)} regions have no history, e.g. {lacking[:3]}")
    expected = {(t, h) for t in PANEL_TYPES for h in range(1, served.horizon + 1)}
    for region in served.infos:
        rows = served.by_region.get(region)
        gaps = expected - set(rows.rows) if rows is not None else expected
        if gaps:
            raise ValueError(f"region {region} has no forecast for {len(gaps)} attack type x horizon "
                             f"pairs, e.g. {sorted(gaps)[:2]}")


class ModelHolder:
    """Holds the served model; swaps it atomically on a successful load."""

    def __init__(self, settings: Settings, loader: Loader = load_model) -> None:
        self.settings = settings
        self._loader = loader
        self._lock = asyncio.Lock()
        self.current: ServedModel | None = None
        self.last_error: str | None = LOADING
        self.public_error: str | None = LOADING
        self.loading = False
        self.on_swap: list[Callable[[ServedModel], None]] = []
        limit_mlflow_http(settings.mlflow_timeout_seconds, settings.mlflow_max_retries)

    def unavailable_reason(self) -> str:
        """Why no model is served, fit for unauthenticated replies (no internal address)."""
        if self.loading and self.current is None and self.public_error in (None, LOADING):
            return LOADING
        return self.public_error or LOADING

    def _build(self, model_uri: str) -> ServedModel:
        loaded = self._loader(model_uri, self.settings.tracking_uri)
        try:
            served = build_served(loaded, self.settings.max_horizon, self.settings.stale_after_days)
            validate_served(served)
        except Exception as exc:  # a bundle whose forecasts fail is a failed load
            message = f"{model_uri} is not servable: {type(exc).__name__}: {exc}"
            raise ModelLoadError(message, redact(message, self.settings.tracking_uri)) from exc
        return served

    async def _attempt(self, uri: str) -> ServedModel:
        with anyio.fail_after(self.settings.load_timeout_seconds):
            return await anyio.to_thread.run_sync(self._build, uri, abandon_on_cancel=True)

    async def load(self, model_uri: str | None = None) -> LoadOutcome:
        """Load ``model_uri`` (the configured one by default) and swap it in if it works.

        Never raises for a bad model: the outcome carries the reason and the old model keeps serving.
        """
        uri = model_uri or self.settings.model_uri
        async with self._lock:
            self.loading = True
            try:
                return await self._load_locked(uri)
            finally:
                self.loading = False

    async def _load_locked(self, uri: str) -> LoadOutcome:
        previous = self.current.version if self.current else None
        tracking = self.settings.tracking_uri
        try:
            served = await self._attempt(uri)
        except ModelLoadError as exc:
            reason, public = str(exc), exc.public
        except TimeoutError:
            reason = f"cannot load {uri}: no answer within {self.settings.load_timeout_seconds:g} s"
            public = reason
        except Exception as exc:
            log.exception("unexpected failure loading %s", uri)
            reason = f"cannot load {uri}: {type(exc).__name__}"
            public = reason
        else:
            self.current = served
            self.last_error = self.public_error = None
            for hook in self.on_swap:
                hook(served)
            log.info("serving %s version %s (data cutoff %s)", uri, served.version, served.cutoff)
            return LoadOutcome(ok=True, served=served, previous_version=previous)
        public = redact(public, tracking)
        log.warning("model load failed, %s: %s", "keeping version " + previous if previous
                    else "no model to serve", reason)
        if self.current is None:
            self.last_error, self.public_error = reason, public
        return LoadOutcome(ok=False, served=self.current, previous_version=previous, reason=reason,
                           public_reason=public)

    async def start(self, report: Callable[[LoadOutcome], None] | None = None) -> None:
        """The start-up load: up to ``load_attempts`` attempts, waiting longer after each failure.

        ``report`` is called with each attempt's outcome. Stops early once a model is served (a
        reload may have succeeded meanwhile).
        """
        delay = self.settings.load_retry_seconds
        for attempt in range(1, self.settings.load_attempts + 1):
            if self.current is not None:
                return
            outcome = await self.load()
            if report is not None:
                report(outcome)
            if outcome.ok or attempt == self.settings.load_attempts:
                if not outcome.ok:
                    log.error("starting without a model after %d attempt(s): %s", attempt, outcome.reason)
                return
            self.public_error = f"{outcome.public_reason} (attempt {attempt} of " \
                                f"{self.settings.load_attempts}; retrying)"
            await asyncio.sleep(delay)
            delay *= 2
