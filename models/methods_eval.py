"""Transfer of the method classifier to UCDP headlines: the hand-labelled sample and its scores.

The sample (``models/data/method_labels/ucdp_labels.csv``, see the README beside it) holds UCDP
event ids and a hand label; the headlines are joined from a UCDP GED file by event id (the file is
the user's, it is never stored with the labels). :func:`transfer_scores` classifies every headline as
the UCDP reader does (:meth:`models.methods.MethodClassifier.classify_reports`) and scores the
events whose label names a method; ``unclear`` headlines only count toward abstention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from models.methods import MethodClassifier, MethodPrediction
from models.methods_fit import score

SAMPLE_PATH: Final = Path(__file__).resolve().parent / "data" / "method_labels" / "ucdp_labels.csv"
UNCLEAR: Final = "unclear"
LABEL_COLUMNS: Final = ("ucdp_id", "label", "sample")
SAMPLE_COLUMNS: Final = ("ucdp_id", "headline", "label", "sample")


def load_labels(path: str | Path = SAMPLE_PATH) -> pd.DataFrame:
    """The hand labels (:data:`LABEL_COLUMNS`).

    Raises:
        ValueError: when a column is missing or an id repeats.
    """
    frame = pd.read_csv(path, dtype={"ucdp_id": "int64"}, keep_default_na=False)
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks columns {missing}")
    if frame["ucdp_id"].duplicated().any():
        raise ValueError(f"{path} repeats event ids")
    return frame[list(LABEL_COLUMNS)]


def load_headline_sample(ucdp: str | Path | pd.DataFrame, path: str | Path = SAMPLE_PATH) -> pd.DataFrame:
    """The labelled headlines (:data:`SAMPLE_COLUMNS`): the labels at ``path`` joined by event id.

    ``ucdp`` is the UCDP GED file (or a raw frame with ``id`` and ``source_headline``) the headlines
    are read from.

    Raises:
        ValueError: when a column is missing, an id repeats, or labelled events are not in the file.
    """
    labels = load_labels(path)
    raw = ucdp if isinstance(ucdp, pd.DataFrame) else pd.read_csv(ucdp, usecols=["id", "source_headline"])
    if not {"id", "source_headline"} <= set(raw.columns):
        raise ValueError("the UCDP GED file needs the columns id and source_headline")
    ids = pd.to_numeric(raw["id"], errors="coerce")
    headlines = pd.Series(raw["source_headline"].fillna("").astype(str).to_numpy(), index=ids.to_numpy())
    headlines = headlines[~headlines.index.duplicated()]
    found = headlines.reindex(labels["ucdp_id"].to_numpy())
    absent = labels["ucdp_id"][found.isna().to_numpy()]
    if len(absent):
        listed = ", ".join(str(i) for i in absent.head(5))
        raise ValueError(f"{len(absent)} labelled events are not in the UCDP file (e.g. ids {listed})")
    return labels.assign(headline=found.to_numpy())[list(SAMPLE_COLUMNS)]


def transfer_scores(classifier: MethodClassifier, sample: pd.DataFrame) -> dict[str, Any]:
    """Scores of ``classifier`` on the labelled headlines.

    Returns ``all`` and ``random`` (the random part of the sample) scores over events with a
    method label (:func:`models.methods_fit.score`), the abstention over every event of each part
    (``unclear`` included), and how many ``unclear`` headlines got a confident prediction.
    """
    found = classifier.classify_reports(sample["headline"].astype(str).tolist())
    labels = sample["label"].to_numpy(dtype=object)
    out: dict[str, Any] = {"n": len(sample), "unclear": int((labels == UNCLEAR).sum())}
    for part in ("all", "random"):
        rows = np.ones(len(sample), dtype=bool) if part == "all" else (sample["sample"] == part).to_numpy()
        known = rows & (labels != UNCLEAR)
        scored = score(MethodPrediction(found.label[known], found.confidence[known], found.abstained[known]),
                       labels[known])
        abstained = found.abstained[rows]
        scored["abstention_with_unclear"] = round(float(abstained.mean()), 4) if rows.any() else None
        scored["unclear_confident"] = int((rows & (labels == UNCLEAR) & ~found.abstained).sum())
        out[part] = scored
    return out


def abstention_rate(classifier: MethodClassifier, headlines: pd.Series) -> dict[str, Any]:
    """Share of headlines the classifier abstains on, and the confident labels' counts."""
    texts = headlines.fillna("").astype(str)
    texts = texts[texts.str.strip() != ""]
    found = classifier.classify_reports(texts.tolist())
    labels = pd.Series(found.label[~found.abstained]).value_counts()
    rate = round(float(found.abstained.mean()), 4) if len(texts) else None
    return {"headlines": len(texts), "abstention": rate,
            "confident_labels": {str(k): int(v) for k, v in labels.items()}}
