"""Typed exceptions carrying the stable error codes of spec/format.md section 6."""

from __future__ import annotations

#: Every code of spec/format.md section 6, in the order the spec lists them.
CODES = (
    "E_IO",
    "E_MAGIC",
    "E_TRUNCATED",
    "E_TRAILING_BYTES",
    "E_HEADER_CHECKSUM",
    "E_VERSION",
    "E_HEADER",
    "E_LIMIT",
    "E_MANIFEST_CHECKSUM",
    "E_PADDING",
    "E_MANIFEST_DECODE",
    "E_FEATURE",
    "E_TENSOR_NAME",
    "E_DTYPE",
    "E_SHAPE",
    "E_TENSOR_LAYOUT",
    "E_TENSOR_CHECKSUM",
    "E_TENSOR_REF",
    "E_UNKNOWN_ESTIMATOR",
    "E_MODEL",
    "E_UNSUPPORTED",
    "E_METHOD",
    "E_INPUT",
    "E_PROVENANCE",
)


class AmberError(Exception):
    """Base of every Amber error; `code` is the spec's stable error code."""

    code: str

    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise ValueError(f"unknown Amber error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class FormatError(AmberError):
    """The bytes are not a valid Amber container (checks 1-14 of spec/format.md)."""


class ModelError(AmberError):
    """The estimator tree is invalid (check 15: E_MODEL, E_TENSOR_REF, ...)."""


class ProvenanceError(AmberError):
    """A rebuilding reader cannot rebuild the producing library's object (E_PROVENANCE).

    The producer type, a param or an attribute of the file is not one the rebuild knows, or
    contradicts the body (spec/sklearn.md). The body itself may be valid: a reader that
    predicts from the body alone (the Rust reader, `amber predict`) can still use the file.
    """

    def __init__(self, message: str) -> None:
        super().__init__("E_PROVENANCE", message)


class UnsupportedError(AmberError):
    """A writer cannot represent the object in this format version (E_UNSUPPORTED)."""

    def __init__(self, message: str) -> None:
        super().__init__("E_UNSUPPORTED", message)
        #: Each part of the model that cannot be saved, by its position ("<root>",
        #: "steps/svc", ...), with why.
        self.reasons: list[str] = [message]


class AmberWarning(UserWarning):
    """Something was dropped or substituted while loading (see amber.load)."""
