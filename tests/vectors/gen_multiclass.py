"""Corpus cases of OneVsRestClassifier, OneVsOneClassifier and OutputCodeClassifier
(spec/estimators.md section 23), imported by generate.py: one set per scikit-learn version
of CORPUS_VERSIONS, and a tie case of 1.9.1 only.

The composition's arithmetic is exact given its members' outputs, so a case's tolerance is
its members': trees, forests and boosting raw scores exact, a LogisticRegression's or a
Ridge's scores Linear's (`atol_s`, `_score_atol`), probabilities through an exp as the
generator states them. From there: decision values carry the members' `atol`; one-vs-rest
probabilities divided by their row sum `d` carry `p (M + 1) / d` (`p` the members'
probability atol, `M` the members: each value is at most `d`); one-vs-one's decision values,
sums of `K - 1` scores per class, `(K - 1) atol`. Labels are
exact, and the generator refuses a test row within four times that of a tie: equal top
one-vs-rest scores (the tie rule differs between versions: only the tie case has them, and
only for 1.9.1), a thresholded score, one-vs-one's top two decision values, and for output
codes the squared distances to the nearest code word and the nearest other one within
`1e-9 (1 + d)` plus the members' error (section 23, Exactness). It refuses a one-vs-rest
probability row that sums to 0 too: scikit-learn 1.3.2 divides it (NaN) where the body, and
1.8 and later, leave it.
"""

from __future__ import annotations

from typing import Any

import gen_compose as compose
import gen_voting as voting
import numpy as np
from sklearn.base import is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import (
    OneVsOneClassifier,
    OneVsRestClassifier,
    OutputCodeClassifier,
    _ConstantPredictor,
    _predict_binary,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

_EXACT = {"exact": True}
#: Section 23: output-code labels are exact away from a relative tie of the distances.
CODE_MARGIN = 1e-9


def _member_error(g: Any, member: Any, method: str, X: Any) -> float:
    """How far a reader's `method` output of one member may be from scikit-learn's, as an
    absolute bound: 0 for a constant, trees and raw boosting scores; Linear's atol for a
    LogisticRegression's or Ridge's scores (twice it for its probabilities); else the
    generator's tolerance of that member alone."""
    if type(member) is _ConstantPredictor:
        return 0.0
    last = member.steps[-1][1] if isinstance(member, Pipeline) else member
    if hasattr(last, "coef_"):
        atol = g._score_atol(member, X)
        return g._pow10_ceil(2 * atol) if method == "predict_proba" else atol
    spec = voting._member_methods(g, member, X)[method]
    if spec["exact"]:
        return 0.0
    out = np.asarray(getattr(member, method)(X), dtype=np.float64)
    return spec["atol"] + spec["rtol"] * float(np.abs(out).max())


def _score_method(member: Any) -> str:
    """The method `_predict_binary` calls (a constant's score is exact: any will do)."""
    if type(member) is _ConstantPredictor or is_regressor(member):
        return "predict"
    return "decision_function" if hasattr(member, "decision_function") else "predict_proba"


def _scores(g: Any, est: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """The members' scores `_predict_binary` reads, [n, M], and each one's error bound."""
    S = np.stack([np.asarray(_predict_binary(e, X), dtype=np.float64) for e in est.estimators_], 1)
    errors = np.asarray([_member_error(g, e, _score_method(e), X) for e in est.estimators_])
    return S, errors


def _spec(atol: float, g: Any) -> dict[str, Any]:
    return dict(_EXACT) if atol == 0.0 else {"exact": False, "rtol": g.RTOL, "atol": atol}


def _refuse_near(what: str, margin: np.ndarray, slack: np.ndarray | float) -> None:
    bad = margin <= slack
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise SystemExit(f"{what}: test row {i} is {float(margin[i])} from a tie")


def _thresholded(S: np.ndarray, errors: np.ndarray, t: float, g: Any) -> None:
    """Rows whose fitted members' scores are within rounding of the threshold."""
    fitted = errors > 0
    if not fitted.any():
        return
    margin = np.abs(S[:, fitted] - t)
    slack = 4 * (errors[fitted] + g.RTOL * np.abs(S[:, fitted]))
    _refuse_near("a thresholded score", margin.min(axis=1), (slack.max(axis=1)))


def _ovr_methods(g: Any, est: Any, X: Any, ties: bool) -> dict[str, dict[str, Any]]:
    S, errors = _scores(g, est, X)
    out: dict[str, dict[str, Any]] = {"predict": dict(_EXACT)}
    e = float(errors.max())
    if est.multilabel_ or S.shape[1] == 1:
        _thresholded(S, errors, float(_threshold(est)), g)
    else:
        top = np.sort(S, axis=1)
        margin = top[:, -1] - top[:, -2]
        if not ties:
            # equal top scores: the versions' tie rules disagree (the tie case has them)
            _refuse_near("a one-vs-rest label", margin, 4 * (e + g.RTOL * np.abs(top[:, -1])))
    fitted = [m for m in est.estimators_ if type(m) is not _ConstantPredictor]
    if all(hasattr(m, "predict_proba") for m in fitted):
        Y = np.stack([m.predict_proba(X)[:, 1] for m in est.estimators_], axis=1)
        p = max(_member_error(g, m, "predict_proba", X) for m in est.estimators_)
        if est.multilabel_:
            bound = p
        else:
            d = Y.sum(axis=1) if Y.shape[1] > 1 else np.ones(len(Y))
            if not ties and np.any(d == 0):
                raise SystemExit("a one-vs-rest probability row sums to 0 (1.3.2 gives NaN)")
            bound = p * (Y.shape[1] + 1) / float(d[d > 0].min()) if p else 0.0
        out["predict_proba"] = _spec(g._pow10_ceil(bound) if bound else 0.0, g)
    if all(hasattr(m, "decision_function") for m in fitted):
        out["decision_function"] = _spec(e, g)
    return out


def _threshold(est: Any) -> float:
    from sklearn.multiclass import _threshold_for_binary_predict

    return _threshold_for_binary_predict(est.estimators_[0])


def _ovo_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    X = np.asarray(X, dtype=np.float64)  # one-vs-one validates X: its members read the array
    S, errors = _scores(g, est, X)
    for m, s, err in zip(est.estimators_, S.T, errors):
        if err and _score_method(m) == "decision_function":
            # its label (the sign of its score) is a vote
            _refuse_near("a one-vs-one member's label", np.abs(s), 4 * (err + g.RTOL * np.abs(s)))
    k = len(est.classes_)
    atol = (k - 1) * float(errors.max())
    D = est.decision_function(X)
    if k == 2:
        margin = np.abs(D - float(_threshold(est)))
        _refuse_near("a one-vs-one label", margin, 4 * (atol + g.RTOL * np.abs(D)))
    else:
        top = np.sort(D, axis=1)
        margin = top[:, -1] - top[:, -2]
        _refuse_near("a one-vs-one label", margin, 4 * (atol + g.RTOL * np.abs(top[:, -1])))
    return {"predict": dict(_EXACT), "decision_function": _spec(g._pow10_ceil(atol), g)}


def _code_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """Every row's squared distance to its nearest code word and to the nearest other code
    word differ by more than `CODE_MARGIN (1 + d)` plus what the members' errors can move
    them: reader and scikit-learn then pick the same word."""
    S, errors = _scores(g, est, X)
    book = est.code_book_
    dist = ((S[:, None, :] - book[None, :, :]) ** 2).sum(axis=2)  # [n, n_classes]
    nearest = dist.argmin(axis=1)
    for i in range(len(S)):
        k1 = nearest[i]
        other = [k for k in range(len(book)) if not np.array_equal(book[k], book[k1])]
        if not other:
            continue
        k2 = min(other, key=lambda k: dist[i, k])
        d1, d2 = dist[i, k1], dist[i, k2]
        move = float(
            np.sum(2 * errors * (np.abs(S[i] - book[k1]) + np.abs(S[i] - book[k2])) + 2 * errors**2)
        )
        slack = CODE_MARGIN * (1 + d2) + 4 * move
        if not d2 - d1 > slack:
            raise SystemExit(f"an output-code label: test row {i} is {d2 - d1} from a tie")
    return {"predict": dict(_EXACT)}


def multiclass_methods(g: Any, est: Any, X: Any, ties: bool = False) -> dict[str, dict[str, Any]]:
    """The methods of a fitted multiclass model and how each is compared (module doc)."""
    if isinstance(est, OneVsRestClassifier):
        return _ovr_methods(g, est, X, ties)
    if isinstance(est, OneVsOneClassifier):
        return _ovo_methods(g, est, X)
    return _code_methods(g, est, X)


# ---------------------------------------------------------------------------- cases


def _lr() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))])


def _forest(**kw: Any) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0, **kw)


def _hgb() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=10, max_depth=3, random_state=0)


def _fit(est: Any, g: Any, seed: int, labels: list[Any]):
    X, y, test = g._xy_classes(g.SEED + seed, labels)
    return est.fit(X, y), X, y, test


def _indicator(g: Any, seed: int, first_constant: bool):
    """Four labels from noisy scores, and one constant in training: always 1 in place 2,
    or (`first_constant`) always 0 in place 0, so that `estimators_[0]` is a
    _ConstantPredictor and the threshold 0.5."""
    X, y, test = g._xy_classes(g.SEED + seed, [0, 1, 2, 3])
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    varying = [y == 0, (y == 1) | (z[:, 0] > 1.0), (y == 2) | (z[:, 1] < -0.8)]
    if first_constant:
        cols = [np.zeros(len(y), bool), *varying]
    else:
        cols = [varying[0], varying[1], np.ones(len(y), bool), varying[2]]
    return X, np.stack(cols, axis=1).astype(np.int64), test


def _multilabel_forest(g: Any):
    X, Y, test = _indicator(g, 905, first_constant=False)
    return OneVsRestClassifier(_forest()).fit(X, Y), X, Y, test


def _multilabel_first_constant(g: Any):
    X, Y, test = _indicator(g, 906, first_constant=True)
    return OneVsRestClassifier(LogisticRegression(max_iter=1000)).fit(X, Y), X, Y, test


def _tabular(seed: int):
    X = compose._tabular_frame(seed, compose.N_TRAIN)
    score = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    noisy = score + np.random.RandomState(seed + 1).normal(0, 0.5, len(X))
    y = np.asarray(["low", "mid", "high"])[np.digitize(noisy, [-0.4, 0.5])]
    onehot = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="?")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    features = ColumnTransformer(
        [
            ("cat", onehot, list(compose.CATEGORIES)),
            ("num", SimpleImputer(strategy="median"), ["age", "hours"]),
        ],
        sparse_threshold=0.0,  # HistGradientBoosting reads dense arrays
    )
    est = OneVsRestClassifier(Pipeline([("ct", features), ("hgb", _hgb())]))
    return est.fit(X, y), X, y, compose._tabular_frame(seed + 2, compose.N_TEST, unseen=True)


def _ties(g: Any):
    """Deep trees on random labels: many test rows where members' probabilities are equal
    (most often all 0), so which member wins is the tie rule of the version that wrote it."""
    rng = np.random.RandomState(g.SEED + 914)
    X, y = rng.normal(size=(g.N_TRAIN, 2)), rng.randint(0, 4, g.N_TRAIN)
    est = OneVsRestClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    test = rng.normal(size=(g.N_TEST, 2))
    scores = np.stack([_predict_binary(e, test) for e in est.estimators_], axis=1)
    tied = (scores == scores.max(axis=1, keepdims=True)).sum(axis=1) > 1
    assert tied.sum() >= 10, "the tie case has too few ties"
    return est, X, y, test


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, helpers)."""

    def _case(name: str, description: str, build, feature_names: bool = False, **kw) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=feature_names,
            methods=lambda est, X: multiclass_methods(g, est, X, **kw),
        )

    words = [f"w{i:02d}" for i in range(12)]
    out = [
        _case(
            "multiclass_ovr_logistic",
            "OneVsRestClassifier(StandardScaler + LogisticRegression), four classes: each "
            "member's decision_function, the largest wins; probabilities normalized by their "
            "row sum",
            lambda: _fit(OneVsRestClassifier(_lr()), g, 901, [0, 1, 2, 3]),
        ),
        _case(
            "multiclass_ovr_forest_12",
            "OneVsRestClassifier(RandomForestClassifier), twelve string labels: scored by "
            "predict_proba[:, 1]; probabilities of twelve members divided by their row sum "
            "(added left to right); exact",
            lambda: _fit(OneVsRestClassifier(_forest()), g, 902, words),
        ),
        _case(
            "multiclass_ovr_binary",
            "OneVsRestClassifier(LogisticRegression), labels no/yes: one member, thresholded "
            "at 0; predict_proba [1 - p, p]",
            lambda: _fit(OneVsRestClassifier(LogisticRegression()), g, 903, ["no", "yes"]),
        ),
        _case(
            "multiclass_ovr_multilabel_forest",
            "OneVsRestClassifier(RandomForestClassifier) on a 4-label indicator, label 2 "
            "always 1 in training (a _ConstantPredictor): predict is the indicator of "
            "predict_proba[:, 1] > 0.5; exact",
            lambda: _multilabel_forest(g),
        ),
        _case(
            "multiclass_ovr_multilabel_first_constant",
            "OneVsRestClassifier(LogisticRegression) on a 4-label indicator whose label 0 is "
            "always 0 in training: estimators_[0] is a _ConstantPredictor, so the threshold is "
            "0.5, applied to the other members' decision values",
            lambda: _multilabel_first_constant(g),
        ),
        _case(
            "multiclass_ovr_ridge",
            "OneVsRestClassifier(Ridge), three classes: each member's predict is its score",
            lambda: _fit(OneVsRestClassifier(Ridge()), g, 907, [-1, 0, 1]),
        ),
        _case(
            "multiclass_ovr_tabular",
            "OneVsRestClassifier of a pipeline over strings with missing values: a "
            "ColumnTransformer (imputed one-hot, imputed numbers) + HistGradientBoosting; "
            "three string labels; input.csv only",
            lambda: _tabular(23),
            feature_names=True,
        ),
        _case(
            "multiclass_ovo_logistic",
            "OneVsOneClassifier(StandardScaler + LogisticRegression), four classes: six pair "
            "members, votes plus the transformed sums of their decision values",
            lambda: _fit(OneVsOneClassifier(_lr()), g, 908, [0, 1, 2, 3]),
        ),
        _case(
            "multiclass_ovo_binary",
            "OneVsOneClassifier(HistGradientBoostingClassifier), labels -1, 1: one member; "
            "decision_function is column 1, thresholded at 0; exact",
            lambda: _fit(OneVsOneClassifier(_hgb()), g, 909, [-1, 1]),
        ),
        _case(
            "multiclass_ovo_forest",
            "OneVsOneClassifier(RandomForestClassifier), five string labels: ten pair members "
            "scored by predict_proba[:, 1]; exact",
            lambda: _fit(OneVsOneClassifier(_forest()), g, 910, ["a", "b", "c", "d", "e"]),
        ),
        _case(
            "multiclass_output_code_logistic",
            "OutputCodeClassifier(StandardScaler + LogisticRegression, code_size=1.5), four "
            "classes: six members on -1/1 code-book columns, the nearest code word wins",
            lambda: _fit(
                OutputCodeClassifier(_lr(), code_size=1.5, random_state=0), g, 911, [0, 1, 2, 3]
            ),
        ),
        _case(
            "multiclass_output_code_forest",
            "OutputCodeClassifier(RandomForestClassifier, code_size=0.7), five classes: three "
            "members on 0/1 columns scored by predict_proba[:, 1]",
            lambda: _fit(
                OutputCodeClassifier(_forest(), code_size=0.7, random_state=1),
                g,
                912,
                [0, 1, 2, 3, 4],
            ),
        ),
        _case(
            "multiclass_output_code_constant",
            "OutputCodeClassifier(HistGradientBoostingClassifier, code_size=4), three classes: "
            "twelve members, code-book columns that hold one value are _ConstantPredictors",
            lambda: _fit(
                OutputCodeClassifier(_hgb(), code_size=4, random_state=3), g, 913, ["x", "y", "z"]
            ),
        ),
    ]
    if version == "1.9.1":
        out.append(
            _case(
                "multiclass_ovr_ties",
                "OneVsRestClassifier(DecisionTreeClassifier) on random labels (scikit-learn "
                "1.9.1 only): many rows where members' probabilities are equal, most often all "
                "0; the first of them wins (ties FIRST), and a row summing to 0 is left as it "
                "is; exact",
                lambda: _ties(g),
                ties=True,
            )
        )
    return out


# ---------------------------------------------------------------------------- invalid files


def _body(m: Any) -> Any:
    return m.estimator.multiclass


def _one_class(m: Any) -> None:
    _body(m).classes.strings.values[:] = ["yes"]


def _member_missing(m: Any) -> None:
    del _body(m).members[1]


def _forest_scored_by_decision(m: Any) -> None:
    _body(m).members[0].score = 1  # BINARY_SCORE_DECISION_FUNCTION: a forest has none


def _constant_of_two(m: Any) -> None:
    member = next(x for x in _body(m).members if x.score == 4)  # BINARY_SCORE_CONSTANT
    member.constant = 2


def _threshold_nan(m: Any) -> None:
    _body(m).threshold = float("nan")


def _ties_unspecified(m: Any) -> None:
    _body(m).ties = 0


def _code_book_narrower(m: Any) -> None:
    del _body(m).members[-1]  # the code book keeps its column


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): Multiclass rules 1 to 5."""
    v = g.VERSION
    files = [
        (
            f"multiclass_ovr_binary-sk{v}",
            "multiclass_one_class",
            "Multiclass rule 1: classes has one entry",
            _one_class,
        ),
        (
            f"multiclass_ovr_logistic-sk{v}",
            "multiclass_member_missing",
            "Multiclass rule 2: a one-vs-rest model of four classes has three members",
            _member_missing,
        ),
        (
            f"multiclass_ovo_forest-sk{v}",
            "multiclass_forest_scored_by_decision_function",
            "Multiclass rule 3: a forest member's score is DECISION_FUNCTION, which it lacks",
            _forest_scored_by_decision,
        ),
        (
            f"multiclass_output_code_constant-sk{v}",
            "multiclass_constant_out_of_range",
            "Multiclass rule 3: a constant member's constant is 2 (an output code's are -1, 0 "
            "or 1)",
            _constant_of_two,
        ),
        (
            f"multiclass_ovr_multilabel_forest-sk{v}",
            "multiclass_threshold_nan",
            "Multiclass rule 4: the threshold is NaN",
            _threshold_nan,
        ),
        (
            f"multiclass_ovr_forest_12-sk{v}",
            "multiclass_ties_unspecified",
            "Multiclass rule 5: a one-vs-rest model without a tie rule",
            _ties_unspecified,
        ),
        (
            f"multiclass_output_code_logistic-sk{v}",
            "multiclass_code_book_wider",
            "Multiclass rule 5: the code book has a column more than the five members",
            _code_book_narrower,
        ),
    ]
    return g.e_model_files(models, files)
