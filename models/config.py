"""What every threatcast process reads from the environment by the same rule.

Both processes (training and the service) resolve the MLflow tracking URI in one order:

1. an explicit value (a command-line option or a constructor argument);
2. ``THREATCAST_TRACKING_URI``;
3. MLflow's own ``MLFLOW_TRACKING_URI``;
4. the process's embedded default (a SQLite file under the data directory).

Steps 1 and 2 are pydantic-settings' own order (arguments before ``THREATCAST_*`` variables); the
settings classes use :func:`mlflow_tracking_uri` as the field's default for step 3.
"""

from __future__ import annotations

import os
from typing import Final

ENV_PREFIX: Final = "THREATCAST_"
"""Prefix of every threatcast environment variable."""

MLFLOW_TRACKING_ENV: Final = "MLFLOW_TRACKING_URI"
"""MLflow's own variable, read when ``THREATCAST_TRACKING_URI`` is unset."""


def mlflow_tracking_uri() -> str | None:
    """``MLFLOW_TRACKING_URI`` without surrounding spaces, or ``None`` when it is unset or blank."""
    return os.environ.get(MLFLOW_TRACKING_ENV, "").strip() or None
