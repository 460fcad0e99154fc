"""Attack method from event text: the fitted classifier, its text rules and its predictions.

A :class:`MethodClassifier` is a TF-IDF vectoriser (word 1-2-grams and character 2-5-grams) and a
multinomial logistic regression trained on ACLED ``notes`` labelled by ``sub_event_type``
(:data:`ACLED_METHOD_LABELS`), its probabilities calibrated by one temperature fitted on
out-of-fold predictions, and an abstention threshold chosen on the same out-of-fold predictions
(see :mod:`models.methods_fit`). Below the threshold it abstains and the source keeps its coded
or default type.

Labels are the attack types ACLED codes plus two that are not threat methods:
:data:`AIR_STRIKE` (government and foreign air or drone strikes, which stay non-threat events) and
:data:`TERRITORY_REGAINED` (a government retaking ground; a battle, so the source's own coding
stays). Text headlines joined by ``;`` are several reports of one event
(:func:`split_reports`); a confident report naming a specific method decides, else the most
confident report (:meth:`MethodClassifier.classify_reports`).

The shipped artefact (``models/data/method_classifier.joblib``, :func:`shipped_classifier`) holds
the vectoriser vocabulary, the coefficients, the temperature, the threshold and the held-out
figures; no event rows. ``THREATCAST_METHODS_MODEL`` points at another artefact, or ``off`` turns
text methods off.

Version history:
    1.0: ACLED notes, 11 labels, temperature calibration, specific-then-most-confident reports.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from models.taxonomy import ACLED_SUB_EVENT, ATTACK_TYPES

METHODS_VERSION: Final = "1.0"

AIR_STRIKE: Final = "air_strike"
TERRITORY_REGAINED: Final = "territory_regained"
NON_THREAT_LABELS: Final[frozenset[str]] = frozenset({AIR_STRIKE, TERRITORY_REGAINED})
"""Classifier labels that are not threat attack types."""

GENERIC_LABELS: Final[frozenset[str]] = frozenset({"armed_clash", "armed_assault"})
"""Labels that name no instrument: a report saying only "attack kills 12" reads as one of these."""

ACLED_METHOD_LABELS: Final[dict[str, str]] = {
    **ACLED_SUB_EVENT,
    "air/drone strike": AIR_STRIKE,
    "government regains territory": TERRITORY_REGAINED,
}
"""ACLED ``sub_event_type`` (lower-cased) to classifier label."""

SHIPPED_PATH: Final = Path(__file__).resolve().parent / "data" / "method_classifier.joblib"
MODEL_ENV: Final = "THREATCAST_METHODS_MODEL"

_MARKUP: Final = re.compile(r"\[/?highlight[^\]]*\]", re.IGNORECASE)
_DATE_PREFIX: Final = re.compile(
    r"^\s*(?:on|between|from)?\s*(?:or (?:around|about)\s*)?(?:\d{1,2}(?:st|nd|rd|th)?\s+)?"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"(?:\s+\d{1,2}(?:st|nd|rd|th)?(?!\d))?(?:\s*(?:-|and)\s*\d{1,2}(?:st|nd|rd|th)?(?!\d))?,?\s*(?:\d{4})?,?\s*",
    re.IGNORECASE)
_AIRWARS: Final = re.compile(
    r"^(?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"\s+\d{1,2}(?:st|nd|rd|th)?(?:\s*-\s*\d{1,2}(?:st|nd|rd|th)?)?,?\s+\d{4}\s*:", re.IGNORECASE)
AIRWARS_TEXT: Final = "coalition air strike reported"
"""What a report in the Airwars incident-record layout (``March 13th, 2015: Hatra, ...``) is read as.

Airwars records alleged civilian harm from international coalition air strikes; UCDP GED cites
its records with this headline layout, which carries no words about the method."""

_WORD: Final = re.compile(r"[a-z]{3,}")

LEXICON: Final[dict[str, re.Pattern[str]]] = {
    "lexexplosive": re.compile(r"\bbomb\w*|\bblasts?\b|explo\w*|\bieds?\b|\bvbied|landmines?|\bmines?\b|"
                               r"grenades?"),
    "lexindirect": re.compile(r"mortars?|rockets?|\bshell(?:s|ed|ing)\b|artillery|missiles?"),
    "lexair": re.compile(r"air ?strikes?|air ?raids?|\bdrones?\b|\bjets?\b|aircraft|warplanes?|air force|"
                         r"helicopters?|gunships?|aerial"),
    "lexkidnap": re.compile(r"kidnap\w*|abduct\w*|hostages?|captives?|captors?|ransom"),
    "lexsuicide": re.compile(r"suicide"),
}
"""Method words of different sources' vocabularies ("car bomb" in headlines, "IED" in ACLED notes)
mapped to one marker token each, appended to the normalised text: the same evidence gets the same
feature whichever wording a source uses."""


def acled_method_label(sub_event_type: str) -> str | None:
    """Classifier label of an ACLED ``sub_event_type``, or ``None`` when it is not a method label."""
    return ACLED_METHOD_LABELS.get(sub_event_type.strip().lower())


def normalise(text: str) -> str:
    """Text as the classifier reads it.

    Markup and a leading date are dropped, the text is lower-cased with digits as ``0``, and the
    :data:`LEXICON` markers of the method words it contains are appended.
    """
    cleaned = _MARKUP.sub("", text)
    if _AIRWARS.match(cleaned.strip()):
        return AIRWARS_TEXT + " lexair"  # normalise(normalise(x)) == normalise(x) holds here too
    cleaned = _DATE_PREFIX.sub("", cleaned.strip(), count=1)
    cleaned = re.sub(r"\blex[a-z]+\b", " ", cleaned.lower())  # markers of an earlier pass
    cleaned = re.sub(r"\s+", " ", re.sub(r"\d+", "0", cleaned)).strip()
    markers = [name for name, pattern in LEXICON.items() if pattern.search(cleaned)]
    return " ".join([cleaned, *markers]) if cleaned and markers else cleaned


def split_reports(headline: str) -> list[str]:
    """The reports of one event: ``;``- or line-separated headlines, normalised, without fragments.

    Fragments with fewer than two words of three letters or more (publication names, issue dates,
    links) are dropped.
    """
    parts = re.split(r"[;\n\r]+", headline)
    out = []
    for part in parts:
        text = normalise(part)
        if len(_WORD.findall(text)) >= 2:
            out.append(text)
    return out


@dataclass(frozen=True)
class MethodPrediction:
    """Per-event predictions of the method classifier.

    ``label`` is ``""`` when there is no text, ``confidence`` the calibrated probability (NaN
    without text) and ``abstained`` true below the threshold or without text.
    """

    label: np.ndarray
    confidence: np.ndarray
    abstained: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The predictions as a frame (``label``, ``confidence``, ``abstained``)."""
        return pd.DataFrame({"label": self.label, "confidence": self.confidence, "abstained": self.abstained})


@dataclass
class MethodClassifier:
    """A fitted text classifier of attack methods (see the module docstring).

    Attributes:
        vectorizer: fitted word and character TF-IDF features.
        model: fitted multinomial logistic regression.
        temperature: calibration temperature applied to the decision values.
        threshold: calibrated confidence below which the classifier abstains.
        labels: the class labels, in the model's order.
        info: provenance and figures (training counts, held-out metrics, versions).
    """

    vectorizer: FeatureUnion
    model: LogisticRegression
    temperature: float
    threshold: float
    labels: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities ``(n, len(labels))`` of already normalised texts."""
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)))
        scores = self.model.decision_function(self.vectorizer.transform(list(texts)))
        return softmax(np.asarray(scores, dtype=float) / self.temperature)

    def classify(self, texts: Sequence[str]) -> MethodPrediction:
        """Label, confidence and abstention of each raw text (one report per text)."""
        cleaned = [normalise(t) for t in texts]
        return self._decide(self.probabilities(cleaned), np.asarray([bool(t) for t in cleaned]))

    def classify_reports(self, headlines: Sequence[str]) -> MethodPrediction:
        """Label, confidence and abstention of each event from its ``;``-joined reports.

        Each report is classified alone. A report that confidently (at or above the threshold)
        names a specific method, any label but the generic :data:`GENERIC_LABELS`, decides; among
        several, the most confident. Otherwise the most confident report decides. A headline
        that only says "attacks kill 12" thus neither outvotes "car bomb kills 7" in the same event,
        nor is diluted by a publication name or a situation-report title.
        """
        reports = [split_reports(h) for h in headlines]
        flat = [r for rs in reports for r in rs]
        owner = np.repeat(np.arange(len(reports)), [len(rs) for rs in reports])
        probs = self.probabilities(flat)
        best = np.zeros((len(reports), len(self.labels)))
        if len(flat):
            top = probs.max(axis=1)
            said = np.asarray(self.labels, dtype=object)[probs.argmax(axis=1)]
            generic = np.isin(said, list(GENERIC_LABELS))
            specific = ~generic & (top >= self.threshold)
            order = np.lexsort((-top, ~specific, owner))  # per event: specific first, then confidence
            first = np.ones(len(order), dtype=bool)
            first[1:] = owner[order][1:] != owner[order][:-1]
            chosen = order[first]
            best[owner[chosen]] = probs[chosen]
        has_text = np.asarray([bool(rs) for rs in reports], dtype=bool)
        return self._decide(best, has_text)

    def _decide(self, probs: np.ndarray, has_text: np.ndarray) -> MethodPrediction:
        n = len(has_text)
        label = np.full(n, "", dtype=object)
        confidence = np.full(n, np.nan)
        if n and probs.size:
            pick = probs.argmax(axis=1)
            label[has_text] = np.asarray(self.labels, dtype=object)[pick[has_text]]
            confidence[has_text] = probs[np.arange(n), pick][has_text]
        abstained = ~has_text | (np.nan_to_num(confidence, nan=0.0) < self.threshold)
        return MethodPrediction(label=label, confidence=confidence, abstained=abstained)

    def save(self, path: str | Path) -> Path:
        """Write the classifier (compressed joblib) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, target, compress=("zlib", 6))
        return target


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(n, k)`` scores (a single column is read as binary log-odds)."""
    if scores.ndim == 1:
        scores = np.column_stack([-scores / 2, scores / 2])
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def load_classifier(path: str | Path) -> MethodClassifier:
    """Read a classifier written by :meth:`MethodClassifier.save`.

    Raises:
        FileNotFoundError: when there is no file at ``path``.
        ValueError: when the file does not hold a method classifier.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"no method classifier at {source}")
    loaded = joblib.load(source)
    if not isinstance(loaded, MethodClassifier):
        raise ValueError(f"{source} does not hold a method classifier")
    allowed = set(ATTACK_TYPES) | NON_THREAT_LABELS
    unknown = [label for label in loaded.labels if label not in allowed]
    if unknown:
        raise ValueError(f"{source} has labels outside the taxonomy: {unknown}")
    return loaded


@lru_cache(maxsize=4)
def _cached(path: str, stamp: float) -> MethodClassifier:
    del stamp  # part of the cache key: a rewritten file is read again
    return load_classifier(path)


def shipped_classifier() -> MethodClassifier | None:
    """The classifier the readers apply: ``THREATCAST_METHODS_MODEL`` if set, else the shipped one.

    Returns ``None`` when the variable is ``off``.
    """
    chosen = os.environ.get(MODEL_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    path = Path(chosen) if chosen else SHIPPED_PATH
    stamp = path.stat().st_mtime if path.is_file() else 0.0
    return _cached(str(path), stamp)


@contextmanager
def text_methods_off() -> Iterator[None]:
    """Within the block, :func:`shipped_classifier` returns ``None`` (readers use default types).

    For before/after comparisons; restores ``THREATCAST_METHODS_MODEL`` afterwards.
    """
    before = os.environ.get(MODEL_ENV)
    os.environ[MODEL_ENV] = "off"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MODEL_ENV, None)
        else:
            os.environ[MODEL_ENV] = before
