"""Boosting.raw_scores (spec/estimators.md section 7.2, spec/format.md section 3.2): each
writer says which arithmetic its raw scores follow, a file without the field reads as
STAGED, and a rebuilding reader refuses a body whose arithmetic is not its class's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

import amber
from amber import _container as c
from amber._proto.amber.v1 import amber_pb2 as pb

X = np.random.default_rng(0).normal(size=(90, 3))
Y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)


def _with(blob: bytes, raw_scores: int) -> bytes:
    """The file with Boosting.raw_scores replaced (manifest re-encoded, tensors kept)."""
    container = c.read_container(blob)
    m = pb.Manifest()
    m.CopyFrom(container.manifest)
    m.estimator.boosting.raw_scores = raw_scores
    tensors = [
        c.Tensor(t.name, t.dtype, tuple(t.shape), container.data[t.offset : t.offset + t.length])
        for t in m.tensors
    ]
    return c.write_container(m, tensors)


@pytest.mark.parametrize(
    ("est", "written", "other"),
    [
        (
            GradientBoostingClassifier(n_estimators=5),
            pb.BOOSTING_RAW_SCORES_STAGED,
            pb.BOOSTING_RAW_SCORES_HISTOGRAM,
        ),
        (
            HistGradientBoostingClassifier(max_iter=5),
            pb.BOOSTING_RAW_SCORES_HISTOGRAM,
            pb.BOOSTING_RAW_SCORES_STAGED,
        ),
    ],
)
def test_writers_say_their_arithmetic_and_readers_check_it(est, written, other) -> None:
    est.fit(X, Y)
    blob = amber.dumps(est)
    assert c.read_container(blob).manifest.estimator.boosting.raw_scores == written
    # A file written before the field (UNSPECIFIED) rebuilds, and predicts as before.
    old = _with(blob, pb.BOOSTING_RAW_SCORES_UNSPECIFIED)
    np.testing.assert_array_equal(amber.loads(old).predict_proba(X), est.predict_proba(X))
    # The other producer's arithmetic is not this class's: E_PROVENANCE for a rebuild,
    # while a reader that predicts from the body accepts it.
    amber.validate(_with(blob, other))
    with pytest.raises(amber.AmberError) as e:
        amber.loads(_with(blob, other))
    assert e.value.code == "E_PROVENANCE"
    # A value the enum does not list: check 15, pass 1.
    with pytest.raises(amber.AmberError) as e:
        amber.validate(_with(blob, 7))
    assert e.value.code == "E_MODEL"
