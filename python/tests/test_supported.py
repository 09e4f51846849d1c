"""Refusals at save: the public class, its position in the model, every refused part, and
where the support table is; `amber.supported` answers before a dump."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import amber
from conftest import ROOT


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


def test_two_refused_branches_of_a_column_transformer_are_both_named() -> None:
    X, y = _xy()
    model = make_pipeline(
        make_column_transformer((PCA(1), [0, 1]), (SelectKBest(k=1), [1, 2])), SVC()
    ).fit(X, y)
    answer = amber.supported(model)
    assert answer.reasons == [
        "steps/columntransformer/pca: sklearn.decomposition.PCA is not supported by this "
        "Amber version",
        "steps/columntransformer/selectkbest: sklearn.feature_selection.SelectKBest is not "
        "supported by this Amber version",
        "steps/svc: sklearn.svm.SVC is not supported by this Amber version",
    ]
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(model)
    assert err.value.reasons == answer.reasons
    assert "._" not in str(err.value)


def test_the_refusal_points_at_a_support_table_that_exists() -> None:
    X, y = _xy()
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(SVC().fit(X, y))
    text = str(err.value)
    # The message names README.md's section and spec/sklearn.md's section 2: both exist.
    assert "README.md ('What it does today')" in text and "spec/sklearn.md section 2" in text
    assert "\n## What it does today\n" in (ROOT / "README.md").read_text()
    assert "\n## 2. Producer types\n" in (ROOT / "spec" / "sklearn.md").read_text()
