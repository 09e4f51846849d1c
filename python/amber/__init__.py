"""Amber: a portable, checksummed file format for scikit-learn models.

    import amber
    amber.dump(model, "model.amber")
    model = amber.load("model.amber")

Loading never imports pickle or joblib and never instantiates a class named by the file:
classes come from a fixed allow-list keyed by the estimator body. See spec/format.md.
"""

from ._api import dump, dumps, inspect, load, loads, validate
from ._errors import AmberError, AmberWarning, FormatError, ModelError, UnsupportedError
from ._version import __version__

__all__ = [
    "AmberError",
    "AmberWarning",
    "FormatError",
    "ModelError",
    "UnsupportedError",
    "__version__",
    "dump",
    "dumps",
    "inspect",
    "load",
    "loads",
    "validate",
]
