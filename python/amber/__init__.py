"""Amber: a portable, checksummed file format for scikit-learn models.

    import amber
    amber.dump(model, "model.amber")
    model = amber.load("model.amber")

Loading never imports pickle or joblib and never instantiates a class named by the file:
classes come from a fixed allow-list keyed by the producer type, and only allow-listed,
checked params and attributes reach them. See spec/format.md and spec/sklearn.md.
"""

from ._api import Support, dump, dumps, inspect, load, loads, supported, validate
from ._errors import (
    AmberError,
    AmberWarning,
    FormatError,
    ModelError,
    ProvenanceError,
    UnsupportedError,
)
from ._version import __version__

__all__ = [
    "AmberError",
    "AmberWarning",
    "FormatError",
    "ModelError",
    "ProvenanceError",
    "Support",
    "UnsupportedError",
    "__version__",
    "dump",
    "dumps",
    "inspect",
    "load",
    "loads",
    "supported",
    "validate",
]
