"""Refusals at save: the public class, its position in the model, every refused part, and
where the support table is; `amber.supported` answers before a dump."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import amber


def _xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return rng.normal(size=(40, 3)), np.arange(40) % 2


def test_every_refused_part_is_named_by_public_class_and_position() -> None:
    X, y = _xy()
    model = make_pipeline(
        make_column_transformer((PCA(1), [0, 1]), (StandardScaler(), [2])), SVC()
    ).fit(X, y)
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(model)
    text = str(err.value)
    assert err.value.code == "E_UNSUPPORTED"
    assert "steps/columntransformer/pca: sklearn.decomposition.PCA" in text
    assert "steps/svc: sklearn.svm.SVC" in text
    assert "._" not in text  # no private module path (sklearn.svm._classes)
    assert "README.md" in text and "amber.supported" in text
    assert err.value.reasons == [
        "steps/columntransformer/pca: sklearn.decomposition.PCA is not supported by this "
        "Amber version",
        "steps/svc: sklearn.svm.SVC is not supported by this Amber version",
    ]


def test_supported_answers_before_a_dump() -> None:
    X, y = _xy()
    good = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    bad = make_pipeline(StandardScaler(), SVC()).fit(X, y)
    assert amber.supported(good) and amber.supported(good).reasons == []
    answer = amber.supported(bad)
    assert not answer
    assert answer.reasons == ["steps/svc: sklearn.svm.SVC is not supported by this Amber version"]
    assert "steps/svc" in repr(answer)


def test_a_refused_root_says_so_in_one_line() -> None:
    X, y = _xy()
    with pytest.raises(amber.AmberError, match=r"^E_UNSUPPORTED: cannot save: sklearn\.svm\.SVC"):
        amber.dumps(SVC().fit(X, y))
