"""Pipeline params that change no prediction (spec/sklearn.md, "sklearn.pipeline.Pipeline")."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import amber


@pytest.mark.parametrize("kind", ["path", "joblib.Memory"])
def test_a_pipelines_cache_directory_is_recorded_not_restored(kind, tmp_path) -> None:
    # memory changes no prediction; a file does not choose where a later fit writes
    import warnings

    from joblib import Memory
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from amber._container import read_container

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    memory = str(tmp_path) if kind == "path" else Memory(str(tmp_path), verbose=0)
    pipe = Pipeline([("s", StandardScaler()), ("lr", LogisticRegression())], memory=memory)
    blob = amber.dumps(pipe.fit(X, y))
    params = {p.name: p.value for p in read_container(blob).manifest.estimator.params}
    assert params["memory"].string_value == str(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = amber.loads(blob)
    assert again.memory is None
    assert any(str(tmp_path) in str(w.message) for w in caught)
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))
