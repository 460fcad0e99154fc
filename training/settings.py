"""Settings of a training process, read once from the environment (prefix ``THREATCAST_``).

=================================== ==================================================================
variable                            meaning
=================================== ==================================================================
``THREATCAST_DATA_DIR``             data directory (default ``./data``)
``THREATCAST_TRACKING_URI``         MLflow tracking URI (default: ``MLFLOW_TRACKING_URI``, else a
                                    SQLite file under the data dir; the order of :mod:`models.config`;
                                    a blank value counts as unset)
``THREATCAST_ARTIFACT_ROOT``        local artifact folder of new experiments (default
                                    ``<data_dir>/mlflow/artifacts``; unused with an HTTP server)
``THREATCAST_EXPERIMENT_NAME``      MLflow experiment (default ``threatcast``)
``THREATCAST_REGISTERED_MODEL_NAME`` registered model name (default ``threatcast``)
``THREATCAST_CHECK_TIMEOUT``        seconds allowed to the tracking-server reachability check (5)
=================================== ==================================================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models import config
from models.config import ENV_PREFIX

LOCAL_SCHEMES = ("sqlite", "file", "")
"""Tracking-URI schemes that keep artifacts in a local folder."""


class TrainingSettings(BaseSettings):
    """Where training reads and writes, and under which MLflow names."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    data_dir: Path = config.DEFAULT_DATA_DIR
    tracking_uri: str | None = Field(default_factory=config.tracking_uri)
    artifact_root: Path | None = None
    experiment_name: str = Field(default="threatcast", min_length=1)
    registered_model_name: str = Field(default="threatcast", min_length=1)
    check_timeout: float = Field(default=5.0, gt=0)

    @field_validator("tracking_uri", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        """A blank URI falls through to the next step of :func:`models.config.tracking_uri`."""
        return config.tracking_uri(value)

    def override(self, experiment_name: str | None = None,
                 registered_model_name: str | None = None) -> TrainingSettings:
        """A copy with the given names replaced (``None`` keeps the current one).

        Raises:
            ValueError: on an empty name.
        """
        changes = {k: v for k, v in (("experiment_name", experiment_name),
                                     ("registered_model_name", registered_model_name)) if v is not None}
        for key, value in changes.items():
            if not value.strip():
                raise ValueError(f"{key.replace('_', ' ')} must not be empty")
        return self.model_copy(update=changes)

    @property
    def mlflow_dir(self) -> Path:
        """Folder of the embedded MLflow store."""
        return self.data_dir.resolve() / "mlflow"

    def resolved_tracking_uri(self) -> str:
        """The tracking URI: ``tracking_uri`` if set, else the embedded SQLite store under the data dir.

        ``tracking_uri`` is the argument, else ``THREATCAST_TRACKING_URI``, else ``MLFLOW_TRACKING_URI``
        (a blank value at any step counts as unset), as :mod:`models.config` orders them.
        """
        if self.tracking_uri:
            return self.tracking_uri
        return config.embedded_tracking_uri(self.data_dir)

    def is_local(self) -> bool:
        """Whether tracking is a local store (SQLite or file) rather than a tracking server."""
        return uri_scheme(self.resolved_tracking_uri()) in LOCAL_SCHEMES

    def resolved_artifact_root(self) -> Path | None:
        """The local artifact folder for new experiments; ``None`` when a server stores artifacts."""
        if not self.is_local():
            return None
        return (self.artifact_root or self.mlflow_dir / "artifacts").resolve()


def uri_scheme(uri: str) -> str:
    """The scheme of a URI (``""`` for a plain path), e.g. ``http``, ``sqlite``, ``file``."""
    head, sep, _ = uri.partition("://")
    if not sep:
        return ""
    return head.split("+", 1)[0].lower()
