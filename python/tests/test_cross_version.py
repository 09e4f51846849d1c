"""What another scikit-learn version's files mean in this one: renamed params and attributes,
placeholders of deprecated params mapped to what fit did with them, and the GradientBoosting
init clip. The whole saver x loader matrix is tests/matrix/run.py; these are the rules it
relies on, checked against this scikit-learn's own fits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.tree import DecisionTreeClassifier

import amber
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._sklearn import _common, gradient_boosting


def _xy():
    X, y = load_breast_cancer(return_X_y=True)
    return (X[:, :6] - X[:, :6].mean(0)) / X[:, :6].std(0), y


@pytest.mark.parametrize(
    ("C", "l1_ratio"), [(1.0, 0.0), (0.5, 1.0), (2.0, 0.4), (math.inf, 0.0), (1.0, None)]
)
def test_logistic_penalty_placeholder_trains_as_the_saver_did(C, l1_ratio):
    """1.8+ writes penalty="deprecated" and resolves the penalty from l1_ratio and C in fit;
    a version without the placeholder gets the penalty it resolved to. Checked here by
    fitting both ways in this scikit-learn (which has both spellings from 1.8)."""
    if "deprecated" not in LogisticRegression().get_params()["penalty"]:
        pytest.skip("this scikit-learn has no penalty='deprecated' (1.8+) to resolve")
    params = {"C": C, "l1_ratio": l1_ratio}
    penalty = _common._logistic_penalty(params)
    X, y = _xy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        placeholder = LogisticRegression(
            solver="saga", max_iter=300, tol=1e-6, random_state=0, **params
        )
        explicit = LogisticRegression(
            penalty=penalty, solver="saga", max_iter=300, tol=1e-6, random_state=0, **params
        )
        placeholder.fit(X, y)
        explicit.fit(X, y)
    assert np.array_equal(placeholder.coef_, explicit.coef_)


def test_placeholder_meaning_applies_where_this_version_refuses_it(monkeypatch):
    """A placeholder this version refuses is replaced by its meaning (simulated: the check
    refuses "deprecated" as a version <= 1.7 would)."""
    real = _common.check_param

    def older(cls, name, value):
        if name == "penalty" and value == "deprecated":
            raise _common.Bad("is 'deprecated', which this version does not know")
        real(cls, name, value)

    monkeypatch.setattr(_common, "check_param", older)
    msg = pb.Estimator()
    for name, value in (("penalty", "deprecated"), ("C", 0.5), ("l1_ratio", 1.0)):
        msg.params.add(name=name, value=_common.encode_value(value, name, None))
    got = _common.read_params(LogisticRegression, msg, None)
    assert got["penalty"] == "l1"
    assert got["C"] == 0.5


def test_ridge_cv_old_names_load_under_this_versions_names():
    """store_cv_values / cv_values_ (before 1.5) are store_cv_results / cv_results_ here."""
    entry = _common.ALLOW[RidgeCV]
    if "store_cv_results" in RidgeCV._get_param_names():
        assert entry.aliases["store_cv_values"] == "store_cv_results"
        assert entry.aliases["cv_values_"] == "cv_results_"
    else:
        assert entry.aliases["store_cv_results"] == "store_cv_values"


def test_gb_init_clip_bound_is_what_this_scikit_learn_clips_to():
    """`_preclip_bound` measures `_init_raw_predictions`; a GradientBoosting with a tree init
    whose leaves predict 0 and 1 gives raw scores at exactly logit(bound)."""
    if gradient_boosting._new_loss_module() is None:
        pytest.skip("scikit-learn < 1.4 clips in its _gb_losses classes, not here")
    X, y = _xy()
    init = DecisionTreeClassifier(max_depth=4, random_state=0)
    gb = GradientBoostingClassifier(n_estimators=3, init=init, random_state=0).fit(X, y)
    bound = gradient_boosting._preclip_bound()
    raw = gb._raw_predict_init(X).ravel()
    p = gb.init_.predict_proba(X)[:, 1]
    pure = (p == 0) | (p == 1)
    assert pure.any(), "the test needs leaves of one class"
    want = np.where(p[pure] == 0, math.log(bound / (1 - bound)), math.log((1 - bound) / bound))
    np.testing.assert_allclose(raw[pure], want, rtol=1e-12)
    # And the file records it, so a reader of another version knows the saver's bound.
    info = amber.inspect(amber.dumps(gb))
    assert "estimator" in info


def test_gb_tree_init_inside_both_bounds_loads_anywhere():
    """`_tree_init_inside`: a tree whose every leaf is mixed needs no clip at either bound."""
    X, y = _xy()
    mixed = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    leaves = mixed.tree_.value[mixed.tree_.children_left == -1]
    leaves = leaves / leaves.sum(axis=-1, keepdims=True)  # counts before 1.4, fractions after
    inside = bool(np.all((leaves > 1e-7) & (leaves < 1 - 1e-7)))
    assert gradient_boosting._tree_init_inside(mixed, 2.0**-23) == inside
    pure = DecisionTreeClassifier(random_state=0).fit(X, y)  # grown to pure leaves
    assert not gradient_boosting._tree_init_inside(pure, 2.0**-23)


def test_one_hot_warn_rule_is_what_this_scikit_learn_does():
    """handle_unknown="warn" encodes an unknown category as infrequent from 1.8 and as zeros
    in 1.6 and 1.7: the body records what the installed version does, checked on a fit
    with two infrequent categories."""
    from sklearn.preprocessing import OneHotEncoder

    from amber._sklearn import encoders

    rule = encoders._warn_rule()
    if rule is None:
        pytest.skip("this scikit-learn has no handle_unknown='warn' (1.6+)")
    X = np.array([["a"]] * 5 + [["b"], ["c"]], dtype=object)
    enc = OneHotEncoder(handle_unknown="warn", min_frequency=2, sparse_output=False).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = enc.transform(np.array([["zzz"]], dtype=object))[0]
    infrequent = row[list(enc.get_feature_names_out()).index("x0_infrequent_sklearn")] == 1
    assert rule == (pb.ONE_HOT_UNKNOWN_INFREQUENT if infrequent else pb.ONE_HOT_UNKNOWN_ZEROS)
    body = amber.inspect(amber.dumps(enc))
    assert body["estimator"]["body"] == "one_hot_encoder"
