"""MinMaxScaler, MaxAbsScaler, RobustScaler (the FeatureAffine body), Binarizer, Normalizer
(spec/estimators.md sections 10-12): fit with scikit-learn, dump, load, and compare transform
outputs bit for bit, after `amber.load` and from the Rust CLI; the rebuild's refusals
(spec/sklearn.md); the body rules in both readers.

The Rust half runs when the release CLI is built (`cargo build --release -p amber-cli`).
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, MaxAbsScaler, MinMaxScaler, Normalizer, RobustScaler

import amber
from amber._container import Tensor, read_container, write_container
from amber._proto.amber.v1 import amber_pb2 as pb

CLI = Path(__file__).resolve().parents[2] / "target" / "release" / "amber"
HAS_MAXABS_CLIP = "clip" in MaxAbsScaler._get_param_names()


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scales = np.array([1.0, 10.0, 0.1, 3.0, 1e-3])
    train = rng.normal(size=(60, 5)) * scales + [0.5, -20.0, 3.0, 0.0, 7.0]
    train[:, 3] = 0.0  # zero range, zero max |x|, zero IQR: scale 1
    train[5, 1] = np.nan  # ignored by the fit
    test = rng.normal(size=(40, 5)) * scales * 4.0  # well past the training range
    test[3, 0] = np.nan
    test[4, :] = np.nan
    test[8, :] = -0.0
    return train, test


ESTIMATORS = [
    MinMaxScaler(),
    MinMaxScaler(clip=True),
    MinMaxScaler(feature_range=(-3, 0.5), clip=True),
    MinMaxScaler(feature_range=(2.0, 9.0)),
    MaxAbsScaler(),
    RobustScaler(),
    RobustScaler(with_centering=False),
    RobustScaler(with_scaling=False),
    RobustScaler(with_centering=False, with_scaling=False),
    RobustScaler(quantile_range=(5.0, 60.0)),
    RobustScaler(unit_variance=True),
]
if HAS_MAXABS_CLIP:
    ESTIMATORS.append(MaxAbsScaler(clip=True))


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def _rust_transform(model: bytes, X: np.ndarray, tmp_path: Path) -> np.ndarray:
    (tmp_path / "m.amber").write_bytes(model)
    np.save(tmp_path / "x.npy", X)
    done = subprocess.run(
        [
            *(str(CLI), "predict", str(tmp_path / "m.amber"), "--input", str(tmp_path / "x.npy")),
            *("--method", "transform", "--output", str(tmp_path / "z.npy")),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return np.load(tmp_path / "z.npy")


@pytest.mark.parametrize("est", ESTIMATORS, ids=repr)
def test_transform_is_bit_identical_after_load(est, tmp_path: Path) -> None:
    train, test = _data()
    est.fit(train)
    want = est.transform(test)
    model = amber.dumps(est)
    back = amber.loads(model)
    assert type(back) is type(est)
    assert back.get_params() == est.get_params()
    assert _bits(back.transform(test)) == _bits(want)
    assert amber.dumps(back) == model  # canonical bytes
    if CLI.exists():
        assert _bits(_rust_transform(model, test, tmp_path)) == _bits(want)


def test_dataframe_pipeline_with_feature_names(tmp_path: Path) -> None:
    train, test = _data(1)
    names = ["a", "b", "c", "d", "e"]
    y = (np.nan_to_num(train[:, 0]) > 0.5).astype(int) + (np.nan_to_num(train[:, 2]) > 3.0)
    pipe = Pipeline(
        [("mm", MinMaxScaler(clip=True)), ("rb", RobustScaler()), ("clf", LogisticRegression())]
    )
    frame = pd.DataFrame(np.nan_to_num(train), columns=names)
    pipe.fit(frame, y)
    finite = np.nan_to_num(test, posinf=0.0, neginf=0.0)
    back = amber.loads(amber.dumps(pipe))
    assert list(back.feature_names_in_) == names
    got = back.predict_proba(pd.DataFrame(finite, columns=names))
    want = pipe.predict_proba(pd.DataFrame(finite, columns=names))
    assert _bits(got) == _bits(want)
    head = pipe[:-1].transform(pd.DataFrame(finite, columns=names))
    assert _bits(back[:-1].transform(pd.DataFrame(finite, columns=names))) == _bits(head)


def test_body_holds_what_transform_reads() -> None:
    train, _ = _data()
    m = read_container(amber.dumps(MinMaxScaler(feature_range=(-1, 2), clip=True).fit(train)))
    a = m.manifest.estimator.feature_affine
    assert (a.sub, a.div, a.mul, a.add) == ("", "", "scale_", "min_")
    assert (a.clip.lo, a.clip.hi) == (-1.0, 2.0)
    m = read_container(amber.dumps(RobustScaler(with_scaling=False).fit(train)))
    a = m.manifest.estimator.feature_affine
    assert (a.sub, a.div, a.HasField("clip")) == ("center_", "", False)


# ---------------------------------------------------------------------------- refusals


def _edited(est, edit) -> bytes:
    train, _ = _data()
    c = read_container(amber.dumps(est.fit(np.nan_to_num(train))))
    m = c.manifest
    edit(m)
    return write_container(m, c.all_tensors())


def _provenance(blob: bytes) -> str:
    with pytest.raises(amber.AmberError) as info:
        amber.loads(blob)
    assert info.value.code == "E_PROVENANCE", info.value
    return str(info.value)


def test_minmax_clip_must_be_its_feature_range() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.feature_affine.clip.hi = 3.0

    assert "feature_range" in _provenance(_edited(MinMaxScaler(clip=True), edit))


@pytest.mark.parametrize("clip", [True, False])
def test_minmax_feature_range_must_be_a_pair(clip: bool) -> None:
    # scikit-learn's constraint is only `tuple` (1.3.2 accepts a 1-tuple): the rebuild checks
    # the pair fit and clip unpack (found by the seeded hostile mutants under 1.3.2).
    def edit(m: pb.Manifest) -> None:
        (p,) = [p for p in m.estimator.params if p.name == "feature_range"]
        del p.value.list_value.items[1:]

    assert "not a pair" in _provenance(_edited(MinMaxScaler(clip=clip), edit))

    def not_a_number(m: pb.Manifest) -> None:
        (p,) = [p for p in m.estimator.params if p.name == "feature_range"]
        p.value.list_value.items[0].string_value = ""

    assert "not a pair of numbers" in _provenance(_edited(MinMaxScaler(clip=clip), not_a_number))


def test_minmax_body_clip_sets_the_param() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.feature_affine.clip.lo, m.estimator.feature_affine.clip.hi = 0.0, 1.0

    _, test = _data()
    est = amber.loads(_edited(MinMaxScaler(clip=False), edit))
    assert est.clip is True
    assert np.nanmax(est.transform(test)) <= 1.0


def test_a_step_the_class_does_not_do_is_refused() -> None:
    def add_sub(m: pb.Manifest) -> None:
        m.estimator.feature_affine.sub = m.estimator.feature_affine.mul

    assert "sub" in _provenance(_edited(MinMaxScaler(), add_sub))
    assert "sub" in _provenance(_edited(MaxAbsScaler(), add_sub_from_div))

    def clip(m: pb.Manifest) -> None:
        m.estimator.feature_affine.clip.lo, m.estimator.feature_affine.clip.hi = -1.0, 1.0

    assert "clip" in _provenance(_edited(RobustScaler(), clip))


def add_sub_from_div(m: pb.Manifest) -> None:
    m.estimator.feature_affine.sub = m.estimator.feature_affine.div


def test_maxabs_clip_range_is_minus_one_one() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.feature_affine.clip.lo, m.estimator.feature_affine.clip.hi = -2.0, 1.0

    assert "clip" in _provenance(_edited(MaxAbsScaler(), edit))


def test_robust_flags_follow_the_body() -> None:
    def drop_sub(m: pb.Manifest) -> None:
        m.estimator.feature_affine.sub = ""

    blob = _edited(RobustScaler(), drop_sub)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = amber.loads(blob)
    assert (est.with_centering, est.center_) == (False, None)
    assert est.with_scaling


# ---------------------------------------------------------------------------- body rules


def _with_element(c, name: str, i: int, value: float) -> bytes:
    arr = c.array(name)
    arr[i] = value
    tensors = [Tensor.from_array(name, arr) if t.name == name else t for t in c.all_tensors()]
    return write_container(c.manifest, tensors)


def _rule_files() -> dict[str, bytes]:
    """One file per FeatureAffine rule broken (spec/estimators.md 10.1)."""
    train, _ = _data()
    c = read_container(amber.dumps(MinMaxScaler(clip=True).fit(train)))
    a = c.manifest.estimator.feature_affine
    out = {
        "mul_nan": _with_element(c, a.mul, 2, np.nan),
        "add_inf": _with_element(c, a.add, 2, np.inf),
    }
    for lo, hi in ((1.0, 1.0), (2.0, 1.0), (0.0, np.inf), (np.nan, 1.0)):
        m = pb.Manifest()
        m.CopyFrom(c.manifest)
        m.estimator.feature_affine.clip.lo, m.estimator.feature_affine.clip.hi = lo, hi
        out[f"clip_{lo}_{hi}"] = write_container(m, c.all_tensors())
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.n_features_in = 6
    out["wrong_width"] = write_container(m, c.all_tensors())
    c = read_container(amber.dumps(MaxAbsScaler().fit(train)))
    for value in (0.0, -1.0, np.nan):
        out[f"div_{value}"] = _with_element(c, c.manifest.estimator.feature_affine.div, 0, value)
    return out


RULE_FILES = _rule_files()


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_body_rules_e_model_in_both_readers(name: str, tmp_path: Path) -> None:
    blob = RULE_FILES[name]
    with pytest.raises(amber.AmberError) as info:
        amber.validate(blob)
    assert info.value.code == "E_MODEL"
    if CLI.exists():
        (tmp_path / "m.amber").write_bytes(blob)
        done = subprocess.run(
            [str(CLI), "validate", str(tmp_path / "m.amber")], capture_output=True, text=True
        )
        assert done.returncode != 0
        assert "E_MODEL" in done.stderr + done.stdout


# ---------------------------------------------------------------------------- Binarizer


@pytest.mark.parametrize("threshold", [0.0, 0.5, -1.5, 1e-300, -1e308])
def test_binarizer_is_exact_after_load_and_in_rust(threshold: float, tmp_path: Path) -> None:
    _, test = _data()
    test = np.nan_to_num(test)  # scikit-learn's Binarizer refuses NaN
    test[0, :] = [threshold, -0.0, 0.0, np.nextafter(threshold, np.inf), 1.0]
    est = Binarizer(threshold=threshold).fit(test)
    want = est.transform(test)
    model = amber.dumps(est)
    back = amber.loads(model)
    assert back.get_params() == est.get_params()
    assert _bits(back.transform(test)) == _bits(want)
    if CLI.exists():
        assert _bits(_rust_transform(model, test, tmp_path)) == _bits(want)


def test_binarizer_threshold_is_the_body_not_a_param() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.params.add(name="threshold").value.float_value = 3.0

    blob = _edited(Binarizer(threshold=1.0), edit)
    assert "threshold" in _provenance(blob)


@pytest.mark.parametrize("threshold", [np.nan, np.inf, -np.inf])
def test_binarizer_threshold_not_finite_is_e_model_in_both_readers(
    threshold: float, tmp_path: Path
) -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.binarizer.threshold = threshold

    blob = _edited(Binarizer(), edit)
    with pytest.raises(amber.AmberError) as info:
        amber.validate(blob)
    assert info.value.code == "E_MODEL"
    if CLI.exists():
        (tmp_path / "m.amber").write_bytes(blob)
        done = subprocess.run(
            [str(CLI), "validate", str(tmp_path / "m.amber")], capture_output=True, text=True
        )
        assert done.returncode != 0 and "E_MODEL" in done.stderr + done.stdout


# ---------------------------------------------------------------------------- Normalizer


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("n_features", [3, 9, 150])
def test_normalizer_after_load_and_in_rust(norm: str, n_features: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(n_features)
    X = rng.normal(size=(80, n_features)) * np.linspace(0.1, 50.0, n_features)
    X[0], X[1], X[2, 0] = 0.0, 1e-300, -0.0  # norms below 10 * eps: rows left as they are
    est = Normalizer(norm=norm).fit(X)
    want = est.transform(X)
    model = amber.dumps(est)
    back = amber.loads(model)
    assert back.norm == norm
    assert _bits(back.transform(X)) == _bits(want)
    if CLI.exists():
        got = _rust_transform(model, X, tmp_path)
        if norm == "l2":  # einsum's own summation order (spec/estimators.md section 12)
            np.testing.assert_allclose(got, want, rtol=1e-15, atol=1e-15)
        else:
            assert _bits(got) == _bits(want)


def test_normalizer_norm_is_the_body_not_a_param() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.params.add(name="norm").value.string_value = "l1"

    assert "norm" in _provenance(_edited(Normalizer(norm="max"), edit))


def test_normalizer_unknown_norm_is_e_model_in_both_readers(tmp_path: Path) -> None:
    for value in (pb.NORMALIZER_NORM_UNSPECIFIED, 7):

        def edit(m: pb.Manifest, value: int = value) -> None:
            m.estimator.normalizer.norm = value

        blob = _edited(Normalizer(), edit)
        with pytest.raises(amber.AmberError) as info:
            amber.validate(blob)
        assert info.value.code == "E_MODEL"
        if CLI.exists():
            (tmp_path / "m.amber").write_bytes(blob)
            done = subprocess.run(
                [str(CLI), "validate", str(tmp_path / "m.amber")], capture_output=True, text=True
            )
            assert done.returncode != 0 and "E_MODEL" in done.stderr + done.stdout


@pytest.mark.parametrize("with_std", [True, False])
def test_scalers_fitted_on_sparse_input_round_trip(with_std: bool) -> None:
    import scipy.sparse as sp
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(3)
    X = rng.normal(size=(60, 5))
    X[X < 0.4] = 0.0
    S = sp.csr_matrix(X)
    for est in (StandardScaler(with_mean=False, with_std=with_std), MaxAbsScaler()):
        est.fit(S)
        back = amber.loads(amber.dumps(est))
        got, want = back.transform(S), est.transform(S)
        assert sp.issparse(got) and (got != want).nnz == 0
        # The body's arithmetic on the dense rows is the same, value for value.
        assert back.transform(X).tobytes() == est.transform(X).tobytes()
