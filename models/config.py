"""What every threatcast process reads from the environment by the same rule.

Both processes (training and the service) resolve the MLflow tracking URI in one order:

1. an explicit value (a command-line option or a constructor argument);
2. ``THREATCAST_TRACKING_URI``;
3. MLflow's own ``MLFLOW_TRACKING_URI``;
4. the embedded default: a SQLite file under the data directory (``THREATCAST_DATA_DIR``, default
   ``./data``), :func:`embedded_tracking_uri`, the same file for both processes.

A blank value (empty or spaces only) at any step counts as unset and falls through to the next;
values are taken without surrounding spaces. Steps 1 and 2 are pydantic-settings' own order
(arguments before ``THREATCAST_*`` variables); both settings classes pass what they read through
:func:`tracking_uri` and use it, with no argument, as the field's default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

ENV_PREFIX: Final = "THREATCAST_"
"""Prefix of every threatcast environment variable."""

TRACKING_ENV: Final = f"{ENV_PREFIX}TRACKING_URI"
"""threatcast's own tracking-URI variable (step 2)."""

DEFAULT_DATA_DIR: Final = Path("data")
"""Data directory when ``THREATCAST_DATA_DIR`` is unset (relative to the working directory)."""

MLFLOW_TRACKING_ENV: Final = "MLFLOW_TRACKING_URI"
"""MLflow's own variable, read when ``THREATCAST_TRACKING_URI`` is unset or blank (step 3)."""


def tracking_uri(value: str | None = None) -> str | None:
    """The tracking URI of steps 1 to 3: ``value``, else the two variables; ``None`` when all are blank.

    Args:
        value: the explicit value (or what the settings read from ``THREATCAST_TRACKING_URI``).
    """
    for candidate in (value, os.environ.get(TRACKING_ENV), os.environ.get(MLFLOW_TRACKING_ENV)):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return None


def embedded_tracking_uri(data_dir: Path | str = DEFAULT_DATA_DIR) -> str:
    """Step 4: the embedded store, ``sqlite:///<data_dir>/mlflow/mlflow.db`` with the absolute path.

    Training writes its runs and registered models there and the service reads them from there, so
    one ``THREATCAST_DATA_DIR`` points both processes at the same store.
    """
    return f"sqlite:///{Path(data_dir).resolve() / 'mlflow' / 'mlflow.db'}"
