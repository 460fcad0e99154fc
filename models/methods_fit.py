"""Fitting and scoring the attack-method classifier (:mod:`models.methods`).

:func:`fit_method_classifier` holds out a stratified share of the labelled texts, fits the
features and the logistic regression on the rest, fits the calibration temperature and chooses the
abstention threshold on out-of-fold predictions of that rest, and scores the final model on the
held-out share (:func:`score`): accuracy, accuracy and coverage of confident predictions, and
per-class precision and recall.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import FeatureUnion

from models.methods import METHODS_VERSION, MethodClassifier, MethodPrediction, normalise, softmax

THRESHOLDS: Final = tuple(round(0.30 + 0.025 * i, 3) for i in range(27))
"""Candidate abstention thresholds (0.30 .. 0.95)."""

MIN_EXAMPLES: Final = 20
"""Labels with fewer training texts than this are left out (too few to learn or to score)."""


def make_features(word_features: int = 20000, char_features: int = 30000) -> FeatureUnion:
    """Word 1-2-gram and character (within word) 2-5-gram TF-IDF features, sublinear term counts."""
    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 max_features=word_features)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                 max_features=char_features)),
    ])


def _fit_model(texts: Sequence[str] | np.ndarray, labels: np.ndarray, c: float,
               features: tuple[int, int]) -> tuple[FeatureUnion, LogisticRegression]:
    vectorizer = make_features(*features)
    matrix = vectorizer.fit_transform(list(texts))
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(matrix, labels)
    return vectorizer, model


def fit_temperature(scores: np.ndarray, labels: np.ndarray, classes: Sequence[str]) -> float:
    """The temperature minimising the log loss of ``softmax(scores / T)`` on ``labels``."""
    index = pd.Index(classes).get_indexer(pd.Index(labels))

    def loss(log_t: float) -> float:
        probs = softmax(scores / np.exp(log_t))
        return float(-np.log(np.maximum(probs[np.arange(len(index)), index], 1e-12)).mean())

    best = minimize_scalar(loss, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(best.x))


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target_accuracy: float) -> float:
    """The lowest threshold of :data:`THRESHOLDS` whose confident predictions reach ``target_accuracy``.

    When none does, the highest candidate.
    """
    for t in THRESHOLDS:
        kept = confidence >= t
        if kept.any() and correct[kept].mean() >= target_accuracy:
            return t
    return THRESHOLDS[-1]


def sentences(text: str, min_words: int = 4) -> list[str]:
    """The sentences of a normalised text with at least ``min_words`` words (the short-text views)."""
    parts = re.split(r"(?<=[a-z0-9)'\"])[.!?]+\s+", text)
    return [p.strip() for p in parts if len(p.split()) >= min_words]


def _expand(texts: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each text, then each of its sentences when it has more than one: texts, labels, is-sentence."""
    out_x: list[str] = []
    out_y: list[str] = []
    short: list[bool] = []
    for text, label in zip(texts, labels, strict=True):
        out_x.append(text)
        out_y.append(label)
        short.append(False)
        parts = sentences(text)
        if len(parts) > 1:
            out_x.extend(parts)
            out_y.extend([label] * len(parts))
            short.extend([True] * len(parts))
    return np.asarray(out_x, dtype=object), np.asarray(out_y, dtype=object), np.asarray(short, dtype=bool)


def threshold_curve(confidence: np.ndarray, correct: np.ndarray) -> list[dict[str, float]]:
    """Accuracy and coverage of the predictions kept at each candidate threshold."""
    rows = []
    for t in THRESHOLDS:
        kept = confidence >= t
        rows.append({"threshold": t, "coverage": round(float(kept.mean()), 4) if len(kept) else 0.0,
                     "accuracy": round(float(correct[kept].mean()), 4) if kept.any() else 0.0})
    return rows


def fit_method_classifier(texts: Sequence[str], labels: Sequence[str], *, test_share: float = 0.2,
                          folds: int = 5, c: float = 10.0, target_accuracy: float = 0.85,
                          features: tuple[int, int] = (20000, 30000), seed: int = 0,
                          source: str = "") -> MethodClassifier:
    """Fit, calibrate, choose the threshold and score on held-out texts.

    The model learns from every text and, as short views close to a headline, from each of its
    sentences (labelled like the text). The split and the folds are by text, so a text's sentences
    never straddle them. The temperature and the threshold are fitted on out-of-fold predictions of
    texts and sentences together, so they hold for headline-length texts too.

    Args:
        texts: raw texts (normalised here with :func:`models.methods.normalise`).
        labels: one label per text.
        test_share: stratified share of texts held out for the reported figures.
        folds: cross-validation folds on the rest, for the temperature and the threshold.
        c: inverse regularisation strength of the logistic regression.
        target_accuracy: accuracy the confident out-of-fold predictions must reach.
        features: caps on the word and character vocabularies (they set the artefact's size).
        seed: random seed of the split and the folds.
        source: what the texts are, recorded in ``info``.

    Raises:
        ValueError: when the inputs differ in length or fewer than two labels have enough texts.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    cleaned = np.asarray([normalise(t) for t in texts], dtype=object)
    y = np.asarray(labels, dtype=object)
    counts = pd.Series(y[cleaned != ""]).value_counts()
    kept_labels = sorted(str(k) for k, v in counts.items() if v >= MIN_EXAMPLES)
    if len(kept_labels) < 2:
        raise ValueError(f"need two labels with at least {MIN_EXAMPLES} texts each, got {counts.to_dict()}")
    use = (cleaned != "") & np.isin(y, kept_labels)
    x_all, y_all = cleaned[use], y[use]
    x_train, x_test, y_train, y_test = train_test_split(x_all, y_all, test_size=test_share,
                                                        random_state=seed, stratify=y_all)
    oof_scores: list[np.ndarray] = []
    oof_truth: list[np.ndarray] = []
    oof_short: list[np.ndarray] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_idx, out_idx in splitter.split(x_train, y_train):
        fit_x, fit_y, _ = _expand(x_train[fit_idx], y_train[fit_idx])
        vec, model = _fit_model(fit_x, fit_y, c, features)
        out_x, out_y, out_short = _expand(x_train[out_idx], y_train[out_idx])
        oof_scores.append(model.decision_function(vec.transform(list(out_x))))
        oof_truth.append(out_y)
        oof_short.append(out_short)
    oof, truth, short = np.vstack(oof_scores), np.concatenate(oof_truth), np.concatenate(oof_short)
    temperature = fit_temperature(oof, truth, kept_labels)
    oof_probs = softmax(oof / temperature)
    oof_label = np.asarray(kept_labels, dtype=object)[oof_probs.argmax(axis=1)]
    threshold = choose_threshold(oof_probs.max(axis=1), oof_label == truth, target_accuracy)
    all_x, all_y, all_short = _expand(x_train, y_train)
    vectorizer, model = _fit_model(all_x, all_y, c, features)
    _compact(vectorizer, model)
    classifier = MethodClassifier(vectorizer=vectorizer, model=model, temperature=temperature,
                                  threshold=threshold, labels=tuple(str(k) for k in model.classes_))
    test_x, test_y, test_short = _expand(x_test, y_test)
    tested = classifier.classify(list(test_x))
    oof_pred = MethodPrediction(oof_label, oof_probs.max(axis=1), oof_probs.max(axis=1) < threshold)
    classifier.info = {
        "version": METHODS_VERSION, "source": source, "sklearn": sklearn.__version__,
        "texts": int(use.sum()), "train": len(x_train), "held_out": len(x_test),
        "train_sentences": int(all_short.sum()),
        "labels_left_out": {str(k): int(v) for k, v in counts.items() if v < MIN_EXAMPLES},
        "train_counts": {str(k): int(v) for k, v in pd.Series(y_train).value_counts().items()},
        "c": c, "folds": folds, "seed": seed, "target_accuracy": target_accuracy,
        "temperature": round(temperature, 4), "threshold": threshold,
        "held_out_scores": score(_subset(tested, ~test_short), test_y[~test_short]),
        "held_out_sentence_scores": score(_subset(tested, test_short), test_y[test_short]),
        "out_of_fold_scores": score(oof_pred, truth),
        "out_of_fold_sentences": int(short.sum()),
        "threshold_curve": threshold_curve(oof_probs.max(axis=1), oof_label == truth),
    }
    return classifier


def _subset(prediction: MethodPrediction, mask: np.ndarray) -> MethodPrediction:
    return MethodPrediction(prediction.label[mask], prediction.confidence[mask], prediction.abstained[mask])


def _compact(vectorizer: FeatureUnion, model: LogisticRegression) -> None:
    """Drop what the artefact does not need: the pruned-term sets, float64 coefficients."""
    for _, part in vectorizer.transformer_list:
        if hasattr(part, "stop_words_"):
            part.stop_words_ = None
    model.coef_ = model.coef_.astype(np.float32)


def score(prediction: MethodPrediction, truth: Sequence[str] | np.ndarray) -> dict[str, Any]:
    """Accuracy, confident accuracy, abstention and per-class precision/recall of predictions.

    Per class: ``support`` (true texts), ``precision``/``recall`` over every prediction, and
    ``confident_precision``/``confident_recall`` over the confident ones (recall counts abstained
    texts of the class as missed). Undefined ratios are ``None``.
    """
    y = np.asarray(truth, dtype=object)
    pred = prediction.label
    kept = ~prediction.abstained
    n = len(y)

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    classes = sorted(set(y.tolist()) | set(pred[pred != ""].tolist()))
    per_class = {}
    for k in classes:
        true_k, said_k = y == k, pred == k
        hits, sure_hits = int((said_k & true_k).sum()), int((said_k & true_k & kept).sum())
        per_class[str(k)] = {
            "support": int(true_k.sum()),
            "precision": ratio(hits, int(said_k.sum())),
            "recall": ratio(hits, int(true_k.sum())),
            "confident_precision": ratio(sure_hits, int((said_k & kept).sum())),
            "confident_recall": ratio(sure_hits, int(true_k.sum())),
        }
    return {
        "n": n,
        "accuracy": ratio(int((pred == y).sum()), n),
        "confident": int(kept.sum()),
        "abstention": ratio(int((~kept).sum()), n),
        "confident_accuracy": ratio(int(((pred == y) & kept).sum()), int(kept.sum())),
        "per_class": per_class,
    }
