"""Service settings: one frozen pydantic-settings object, read from the environment once.

Every variable carries the ``THREATCAST_`` prefix (``THREATCAST_MODEL_URI``, ...), except that the
tracking URI falls back to MLflow's own ``MLFLOW_TRACKING_URI`` before the embedded default, the
SQLite store under ``THREATCAST_DATA_DIR`` that training writes (the order of :mod:`models.config`,
shared with training: a blank value at any step counts as unset).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models import config
from models.config import DEFAULT_DATA_DIR, ENV_PREFIX


class Settings(BaseSettings):
    """Configuration of one service process.

    Attributes:
        model_uri: the MLflow model to serve, by alias (``models:/threatcast@champion``).
        data_dir: data directory whose embedded store (``<data_dir>/mlflow/mlflow.db``) is served
            when no tracking URI is set; the same variable as training's.
        tracking_uri: MLflow tracking (and registry) URI.
        admin_api_keys: keys accepted in ``X-API-Key`` by admin calls; empty disables them.
            From the environment as a comma-separated list.
        max_batch_regions: most regions in one ``POST /v1/forecasts`` (more is 413).
        max_nowcast_events: most events in one ``POST /v1/nowcast`` (more is 413).
        max_nowcast_months: nowcast events must fall within this many months after the cutoff.
        stale_after_days: a forecast is flagged stale when its data cutoff month ended more than
            this many days ago.
        max_horizon: most forecast horizons precomputed and served.
        max_history_months: most months ``/v1/regions/{id}/history`` returns.
        max_body_bytes: largest request body accepted (more is 413, refused before it is parsed);
            the default holds a nowcast of ``max_nowcast_events`` events with every field filled.
        mlflow_timeout_seconds: timeout of each HTTP call to the MLflow tracking server.
        mlflow_max_retries: retries of a failed HTTP call to MLflow (MLflow's own default is 7,
            with back-off: about four minutes against a closed port).
        load_timeout_seconds: a model load that takes longer is abandoned and counted failed.
        load_attempts: attempts of the load at start-up (in the background; 1 = no retry).
        load_retry_seconds: wait before the second start-up attempt (doubled for each next one).
        admin_max_failures: rejected admin calls allowed per client address within
            ``admin_failure_window_seconds``; further ones get 429 (with ``Retry-After``) without
            the key being checked.
        admin_failure_window_seconds: the sliding window of ``admin_max_failures``.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    model_uri: str = "models:/threatcast@champion"
    data_dir: Path = DEFAULT_DATA_DIR
    tracking_uri: str = ""
    admin_api_keys: Annotated[tuple[str, ...], NoDecode] = ()
    max_batch_regions: int = Field(default=200, ge=1, le=100_000)
    max_nowcast_events: int = Field(default=5_000, ge=1, le=1_000_000)
    stale_after_days: int = Field(default=75, ge=0)
    max_nowcast_months: int = Field(default=24, ge=1, le=240)
    max_horizon: int = Field(default=12, ge=1, le=120)
    max_history_months: int = Field(default=240, ge=1, le=1200)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    mlflow_timeout_seconds: int = Field(default=10, ge=1, le=600)
    mlflow_max_retries: int = Field(default=2, ge=0, le=10)
    load_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    load_attempts: int = Field(default=3, ge=1, le=100)
    load_retry_seconds: float = Field(default=5.0, ge=0, le=600)
    admin_max_failures: int = Field(default=10, ge=1, le=10_000)
    admin_failure_window_seconds: float = Field(default=60.0, gt=0, le=86_400)

    @model_validator(mode="before")
    @classmethod
    def _resolve_tracking_uri(cls, data: Any) -> Any:
        """The tracking URI by :mod:`models.config`'s order; a blank value falls through to the next step.

        Unset everywhere, it is the embedded store under ``data_dir``, where training writes.
        """
        if not isinstance(data, dict):
            return data
        uri = config.tracking_uri(data.get("tracking_uri"))
        return {**data, "tracking_uri": uri or config.embedded_tracking_uri(
            data.get("data_dir") or DEFAULT_DATA_DIR)}

    @field_validator("admin_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value
