"""The model holder: the served model (or why there is none) behind one atomically swapped reference.

Readers take ``holder.current`` once per request and use that object throughout, so a reload that
swaps the reference mid-request never mixes two models in one response. Loads run off the event
loop and are serialised; a failed load leaves the serving model untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread

from service.loader import LoadedModel, ModelLoadError, load_model
from service.settings import Settings
from service.table import ServedModel, build_served

log = logging.getLogger("threatcast.service")

Loader = Callable[[str, str], LoadedModel]


@dataclass(frozen=True)
class LoadOutcome:
    """The result of one load attempt."""

    ok: bool
    served: ServedModel | None
    previous_version: str | None
    reason: str | None = None


class ModelHolder:
    """Holds the served model; swaps it atomically on a successful load."""

    def __init__(self, settings: Settings, loader: Loader = load_model) -> None:
        self.settings = settings
        self._loader = loader
        self._lock = asyncio.Lock()
        self.current: ServedModel | None = None
        self.last_error: str | None = "model not loaded yet"
        self.on_swap: list[Callable[[ServedModel], None]] = []

    def _build(self, model_uri: str) -> ServedModel:
        loaded = self._loader(model_uri, self.settings.tracking_uri)
        try:
            return build_served(loaded, self.settings.max_horizon, self.settings.stale_after_days)
        except Exception as exc:  # a bundle whose forecasts fail is a failed load
            raise ModelLoadError(f"cannot precompute forecasts of {model_uri}: "
                                 f"{type(exc).__name__}: {exc}") from exc

    async def load(self, model_uri: str | None = None) -> LoadOutcome:
        """Load ``model_uri`` (the configured one by default) and swap it in if it works.

        Never raises for a bad model: the outcome carries the reason and the old model keeps serving.
        """
        uri = model_uri or self.settings.model_uri
        async with self._lock:
            previous = self.current.version if self.current else None
            try:
                served = await anyio.to_thread.run_sync(self._build, uri)
            except ModelLoadError as exc:
                reason = str(exc)
            except Exception as exc:
                log.exception("unexpected failure loading %s", uri)
                reason = f"cannot load {uri}: {type(exc).__name__}"
            else:
                self.current = served
                self.last_error = None
                for hook in self.on_swap:
                    hook(served)
                log.info("serving %s version %s (data cutoff %s)", uri, served.version, served.cutoff)
                return LoadOutcome(ok=True, served=served, previous_version=previous)
            log.warning("model load failed, %s: %s", "keeping version " + previous if previous
                        else "no model to serve", reason)
            if self.current is None:
                self.last_error = reason
            return LoadOutcome(ok=False, served=self.current, previous_version=previous, reason=reason)
