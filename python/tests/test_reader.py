"""Every error the reader can raise, each triggered by a small hand-built byte string.

The base file is built without scikit-learn: a Linear body (identity link) with a coef
[2] tensor, an intercept [] tensor and a tensor param.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

import amber
from amber import _container as c
from amber import _tree
from amber._proto.amber.v1 import amber_pb2 as pb


def _manifest() -> pb.Manifest:
    m = pb.Manifest()
    m.producer.name = "hand"
    e = m.estimator
    e.producer_type = "sklearn.linear_model.LinearRegression"
    e.n_features_in = 2
    e.linear.coef = "coef_"
    e.linear.intercept = "intercept_"
    e.linear.link = pb.LINEAR_LINK_IDENTITY
    e.params.add(name="w", value=pb.Value(tensor="params/w"))
    return m


def _tensors() -> list[c.Tensor]:
    return [
        c.Tensor.from_array("coef_", np.array([1.5, -2.0])),
        c.Tensor.from_array("intercept_", np.float64(0.25)),
        c.Tensor.from_array("params/w", np.array([1, 2, 3], dtype=np.int32)),
    ]


def _file(m: pb.Manifest | None = None) -> bytes:
    return c.write_container(m or _manifest(), _tensors())


def _raw(m: pb.Manifest, data: bytes, **header) -> bytes:
    """Frame a manifest as is (no canonical table rebuild), with valid checksums."""
    return c.frame(m.SerializeToString(deterministic=True), data, **header)


def _parts(blob: bytes):
    got = c.read_container(blob)
    return got.header, got.manifest, bytes(got.data)


def _header(blob: bytes, **fields) -> bytes:
    h, _, _ = _parts(blob)
    values = {k: v for k, v in h.__dict__.items() if k != "header_crc32"}
    values.update(fields)
    return c.pack_header(**values) + blob[64:]


def _code(blob: bytes) -> str:
    with pytest.raises(amber.AmberError) as info:
        amber.validate(blob)
    return info.value.code


def _edit(edit) -> bytes:
    _, m, data = _parts(_file())
    edit(m)
    return _raw(m, data)


def test_base_file_is_valid() -> None:
    blob = _file()
    amber.validate(blob)
    assert c.reencode(c.read_container(blob)) == blob
    # 'w' is no param of LinearRegression: the rebuild refuses it (spec/sklearn.md) ...
    with pytest.raises(amber.AmberError, match="'w' is not a param") as info:
        amber.loads(blob)
    assert info.value.code == "E_PROVENANCE"
    # ... and the body alone rebuilds and predicts.
    m = _manifest()
    del m.estimator.params[:]
    model = amber.loads(c.write_container(m, _tensors()[:2]))
    assert model.predict(np.array([[2.0, 1.0]]))[0] == 1.25


def test_layout_matches_spec() -> None:
    blob = _file()
    h = c.Header.unpack(blob)
    assert blob[:8] == b"\x89AMB\r\n\x1a\n"
    assert (h.major, h.minor, h.flags, h.reserved) == (1, 0, 0, bytes(8))
    assert h.data_offset == c.align64(64 + h.manifest_length) and h.data_offset % 64 == 0
    assert h.file_length == len(blob) == h.data_offset + h.data_length
    assert struct.unpack("<I", blob[60:64])[0] == c.crc32(blob[:60])
    offsets = [t.offset for t in c.read_container(blob).manifest.tensors]
    assert offsets == [0, 64, 128]


def test_io_error(tmp_path) -> None:
    with pytest.raises(amber.AmberError) as info:
        amber.validate(str(tmp_path / "missing.amber"))
    assert info.value.code == "E_IO"


def test_bad_magic() -> None:
    assert _code(_header(_file(), magic=b"\x89AMX\r\n\x1a\n")) == "E_MAGIC"


def test_short_non_magic() -> None:
    assert _code(b"PK\x03") == "E_MAGIC"


def test_crlf_conversion() -> None:
    assert _code(_file().replace(b"\n", b"\r\n")) == "E_MAGIC"


def test_lf_conversion() -> None:
    assert _code(_file().replace(b"\r\n", b"\n")) == "E_MAGIC"


def test_empty_file_is_truncated() -> None:
    assert _code(b"") == "E_TRUNCATED"


def test_magic_prefix_is_truncated() -> None:
    assert _code(b"\x89AMB") == "E_TRUNCATED"


def test_truncated_header() -> None:
    assert _code(_file()[:63]) == "E_TRUNCATED"


def test_truncated_data() -> None:
    assert _code(_file()[:-1]) == "E_TRUNCATED"


def test_trailing_bytes() -> None:
    assert _code(_file() + b"\0") == "E_TRAILING_BYTES"


def test_header_bit_flip() -> None:
    blob = bytearray(_file())
    blob[17] ^= 0x10
    assert _code(bytes(blob)) == "E_HEADER_CHECKSUM"


def test_header_crc_bit_flip() -> None:
    blob = bytearray(_file())
    blob[63] ^= 0x80
    assert _code(bytes(blob)) == "E_HEADER_CHECKSUM"


def test_unknown_major() -> None:
    assert _code(_header(_file(), major=2)) == "E_VERSION"


def test_newer_minor_is_accepted() -> None:
    amber.validate(_header(_file(), minor=7))


def test_reserved_flags() -> None:
    assert _code(_header(_file(), flags=0x100)) == "E_HEADER"


def test_reserved_bytes() -> None:
    assert _code(_header(_file(), reserved=b"\x01" + bytes(7))) == "E_HEADER"


def test_bad_data_offset() -> None:
    h = c.Header.unpack(_file())
    blob = _header(_file(), data_offset=h.data_offset - 64, file_length=h.file_length - 64)
    assert _code(blob) == "E_HEADER"


def test_bad_file_length() -> None:
    h = c.Header.unpack(_file())
    assert _code(_header(_file(), file_length=h.file_length + 1)) == "E_HEADER"


def test_header_length_overflow() -> None:
    blob = _header(_file(), data_length=2**64 - 1, file_length=2**64 - 1)
    assert _code(blob) == "E_HEADER"


def test_manifest_too_large() -> None:
    n = c.MAX_MANIFEST_BYTES + 1
    off = c.align64(64 + n)
    header = c.pack_header(
        manifest_length=n, data_offset=off, data_length=0, file_length=off, manifest_crc32=0
    )
    assert _code(header + bytes(off - 64)) == "E_LIMIT"


def test_manifest_bit_flip() -> None:
    blob = bytearray(_file())
    blob[70] ^= 1
    assert _code(bytes(blob)) == "E_MANIFEST_CHECKSUM"


def test_nonzero_manifest_padding() -> None:
    blob = bytearray(_file())
    h = c.Header.unpack(blob)
    assert h.data_offset > 64 + h.manifest_length
    blob[h.data_offset - 1] = 7
    assert _code(bytes(blob)) == "E_PADDING"


def test_manifest_not_protobuf() -> None:
    assert _code(c.frame(b"\x0a\x10short", b"")) == "E_MANIFEST_DECODE"


def test_manifest_invalid_utf8() -> None:
    assert _code(c.frame(b"\x0a\x02\xff\xfe", b"")) == "E_MANIFEST_DECODE"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len_field(tag: int, payload: bytes) -> bytes:
    return _varint(tag << 3 | 2) + _varint(len(payload)) + payload


def test_manifest_too_deep_for_protobuf() -> None:
    # A param whose Value is nested 60 lists deep: ~120 messages, past the runtime's
    # recursion limit of 100. Built by hand: the runtime refuses to build it.
    value = b"\x18\x01"  # Value{int_value: 1}
    for _ in range(60):
        value = _len_field(6, _len_field(1, value))  # Value{list_value{items: [value]}}
    param = _len_field(1, b"deep") + _len_field(2, value)
    manifest = _manifest().SerializeToString(deterministic=True)
    manifest += _len_field(4, _len_field(2, param))  # merged into Manifest.estimator
    assert _code(c.frame(manifest, b"")) == "E_MANIFEST_DECODE"


def test_unknown_required_feature() -> None:
    with pytest.raises(amber.AmberError, match="x-unknown-feature") as info:
        amber.validate(_edit(lambda m: m.required_features.append("x-unknown-feature")))
    assert info.value.code == "E_FEATURE"


def test_too_many_tensors(monkeypatch) -> None:
    # The wire walk of check 10 counts the entries; _container.MAX_TENSORS only re-exports it.
    from amber import _wire

    monkeypatch.setattr(_wire, "MAX_TENSORS", 2)
    assert _code(_file()) == "E_LIMIT"


def test_empty_tensor_name() -> None:
    assert _code(_edit(lambda m: setattr(m.tensors[1], "name", ""))) == "E_TENSOR_NAME"


def test_duplicate_tensor_name() -> None:
    assert _code(_edit(lambda m: setattr(m.tensors[1], "name", "coef_"))) == "E_TENSOR_NAME"


def test_unspecified_dtype() -> None:
    assert _code(_edit(lambda m: setattr(m.tensors[0], "dtype", 0))) == "E_DTYPE"


def test_unknown_dtype() -> None:
    assert _code(_edit(lambda m: setattr(m.tensors[0], "dtype", 42))) == "E_DTYPE"


def test_rank_too_high() -> None:
    def edit(m):
        del m.tensors[1].shape[:]
        m.tensors[1].shape.extend([1] * 9)

    assert _code(_edit(edit)) == "E_LIMIT"


def test_length_does_not_match_shape() -> None:
    assert _code(_edit(lambda m: setattr(m.tensors[0], "length", 24))) == "E_SHAPE"


def test_shape_overflow() -> None:
    def edit(m):
        m.tensors[0].shape.extend([2**40, 2**40])

    assert _code(_edit(edit)) == "E_SHAPE"


def test_misaligned_tensor_offset() -> None:
    assert _code(_edit(lambda m: setattr(m.tensors[1], "offset", 16))) == "E_TENSOR_LAYOUT"


def test_tensor_past_data_length() -> None:
    _, m, data = _parts(_file())
    assert _code(_raw(m, data[:-4])) == "E_TENSOR_LAYOUT"


def test_data_length_longer_than_tensors() -> None:
    _, m, data = _parts(_file())
    assert _code(_raw(m, data + bytes(64))) == "E_TENSOR_LAYOUT"


def test_nonzero_data_padding() -> None:
    blob = bytearray(_file())
    h = c.Header.unpack(blob)
    blob[h.data_offset + 16] = 1  # after coef_ (16 bytes), before intercept_ at 64
    assert _code(bytes(blob)) == "E_PADDING"


def test_flipped_tensor_bit() -> None:
    blob = bytearray(_file())
    h = c.Header.unpack(blob)
    blob[h.data_offset + 64] ^= 4
    assert _code(bytes(blob)) == "E_TENSOR_CHECKSUM"


def test_tensor_checksum_can_be_deferred() -> None:
    blob = bytearray(_file())
    blob[c.Header.unpack(blob).data_offset] ^= 4
    c.read_container(bytes(blob), verify_tensor_checksums=False)


def test_no_estimator() -> None:
    assert _code(_edit(lambda m: m.ClearField("estimator"))) == "E_MODEL"


def test_estimators_too_deep() -> None:
    def edit(m):
        inner = pb.Estimator()
        inner.CopyFrom(m.estimator)
        for _ in range(_tree.MAX_DEPTH):
            outer = pb.Estimator(producer_type="sklearn.pipeline.Pipeline")
            outer.pipeline.steps.add(name="s").estimator.CopyFrom(inner)
            inner = outer
        m.estimator.CopyFrom(inner)

    assert _code(_edit(edit)) == "E_LIMIT"


def test_value_too_deep() -> None:
    def edit(m):
        v = pb.Value(int_value=1)
        for _ in range(_tree.MAX_DEPTH):
            outer = pb.Value()
            outer.list_value.items.append(v)
            v = outer
        m.estimator.params.add(name="deep", value=v)

    assert _code(_edit(edit)) == "E_LIMIT"


def test_no_estimator_body() -> None:
    assert _code(_edit(lambda m: m.estimator.ClearField("linear"))) == "E_UNKNOWN_ESTIMATOR"


def test_unknown_estimator_body() -> None:
    # Field 99 (length-delimited) is a body kind from the future: an unknown field here.
    def edit(m):
        m.estimator.ClearField("linear")
        m.estimator.MergeFromString(b"\x9a\x06\x00")

    assert _code(_edit(edit)) == "E_UNKNOWN_ESTIMATOR"


def test_missing_tensor_ref() -> None:
    assert _code(_edit(lambda m: setattr(m.estimator.linear, "coef", "nope"))) == "E_TENSOR_REF"


def test_missing_tensor_ref_in_param() -> None:
    def edit(m):
        m.estimator.params[0].value.tensor = "nope"

    assert _code(_edit(edit)) == "E_TENSOR_REF"


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: setattr(m.estimator.linear, "link", 0),
        lambda m: setattr(m.estimator.linear, "link", 9),
        lambda m: setattr(m.estimator, "n_features_in", 3),
        lambda m: setattr(m.estimator.linear, "coef", "params/w"),  # i32, not f64
        lambda m: setattr(m.estimator.linear, "intercept", "coef_"),  # [2] for coef [2]
        lambda m: setattr(m.estimator.linear, "link", pb.LINEAR_LINK_LOGISTIC),  # no classes
        lambda m: m.estimator.linear.classes.ints.values.extend([1, 2]),  # regressor + classes
        lambda m: m.estimator.feature_names_in.extend(["a"]),
    ],
    ids=[
        "unspecified_link",
        "unknown_link",
        "n_features",
        "coef_dtype",
        "intercept_shape",
        "classifier_without_classes",
        "regressor_with_classes",
        "feature_names_count",
    ],
)
def test_model_rules(edit) -> None:
    assert _code(_edit(edit)) == "E_MODEL"


def test_bool_tensor_byte_must_be_0_or_1() -> None:
    m = _manifest()
    # (a param the rebuild reads before the unknown param 'w', which it would refuse)
    m.estimator.params.add(name="positive", value=pb.Value(tensor="params/positive"))
    t = [*_tensors(), c.Tensor("params/positive", pb.DTYPE_BOOL, (), b"\x02")]
    blob = c.write_container(m, t)
    amber.validate(blob)  # the container is fine; using the value is not
    with pytest.raises(amber.AmberError) as info:
        amber.loads(blob)
    # only the rebuild reads a param's tensor: its refusal (spec/sklearn.md)
    assert info.value.code == "E_PROVENANCE"


def test_writer_is_canonical() -> None:
    """Params sorted, tensors in reference order, whatever order they were given in."""
    m = _manifest()
    m.estimator.params.add(name="a", value=pb.Value(int_value=1))
    blob = c.write_container(m, list(reversed(_tensors())))
    got = c.read_container(blob).manifest
    assert [p.name for p in got.estimator.params] == ["a", "w"]
    assert [t.name for t in got.tensors] == ["coef_", "intercept_", "params/w"]
    assert c.reencode(c.read_container(blob)) == blob


def test_negative_zero_is_omitted_as_the_rust_writer_does() -> None:
    """spec/format.md section 4: a double field without presence holding -0.0 is a default
    and is omitted, as +0.0 is (upb alone would write it); a Value's float_value, a oneof
    member, keeps its -0.0. The bytes are written out by hand from the wire format, the same
    as crates/amber-codec/tests/codec.rs `negative_zero_in_a_field_without_presence_is_omitted`
    expects of the Rust writer."""
    m = pb.Manifest()
    m.producer.SetInParent()
    m.estimator.producer_type = "x"
    m.estimator.params.add(name="t", value=pb.Value(float_value=-0.0))
    m.estimator.binarizer.threshold = -0.0
    blob = c.write_container(m, [])
    manifest = bytes.fromhex(
        "1200"  # producer: an empty message
        "2216"  # estimator, 22 bytes
        "0a0178"  # producer_type "x"
        "120e0a0174"  # params[0]: name "t"
        "12092100000000000000"
        "80"  # value: float_value -0.0, its sign kept
        "ba0100"  # binarizer (field 23): threshold -0.0 omitted
    )
    assert struct.unpack_from("<Q", blob, 16)[0] == len(manifest)
    assert blob[64 : 64 + len(manifest)] == manifest
    assert m.estimator.binarizer.threshold == 0.0  # the caller's manifest is not modified
    assert str(m.estimator.binarizer.threshold) == "-0.0"


def test_structure_pass_comes_before_references() -> None:
    # Both an unknown link (pass 1, E_MODEL) and a missing tensor (pass 2, E_TENSOR_REF):
    # spec/format.md check 15 reports the structural defect.
    def edit(m: pb.Manifest) -> None:
        m.estimator.linear.link = 42
        m.estimator.linear.coef = "missing"

    assert _code(_edit(edit)) == "E_MODEL"


def test_references_pass_comes_before_rules() -> None:
    # A missing tensor (pass 2) and a rule violation (pass 3, n_features_in mismatch).
    def edit(m: pb.Manifest) -> None:
        m.estimator.n_features_in = 7
        m.estimator.linear.intercept = "missing"

    assert _code(_edit(edit)) == "E_TENSOR_REF"


def test_linear_needs_n_features_in() -> None:
    assert _code(_edit(lambda m: m.estimator.ClearField("n_features_in"))) == "E_MODEL"


# ---------------------------------------------------------------------------- TreeEnsemble
#
# A hand-built regression tree: record 0 splits feature 1 at 0.5 (missing values left), its
# left child is record 1 (a leaf, row 0 of values) and its right child record 2 (a leaf, row
# 1); every node has training statistics.


def _records(rows: list[tuple[float, int, int]]) -> np.ndarray:
    rec = np.zeros(len(rows), dtype=_tree.NODE_RECORD)
    for i, (threshold, word, nxt) in enumerate(rows):
        rec[i] = (threshold, word, nxt)
    return rec.view(np.uint8).reshape(-1, 16)


_LEAF = _tree.LEAF
_BASE_RECORDS = [(0.5, 1 | _tree.MISSING_LEFT, 2), (0.0, _LEAF, 0), (0.0, _LEAF, 1)]


def _tree_manifest() -> pb.Manifest:
    m = pb.Manifest()
    m.producer.name = "hand"
    e = m.estimator
    e.producer_type = "sklearn.tree.DecisionTreeRegressor"
    e.n_features_in = 2
    t = e.tree_ensemble
    t.nodes, t.tree_offsets, t.values = "nodes", "tree_offsets", "values"
    t.input = pb.TREE_INPUT_F32
    t.leaf_values = pb.LEAF_VALUES_REGRESSION
    t.impurity, t.n_node_samples = "impurity", "n_node_samples"
    t.weighted_n_node_samples = "weighted_n_node_samples"
    return m


def _tree_tensors(**override: np.ndarray) -> list[c.Tensor]:
    arrays = {
        "nodes": _records(_BASE_RECORDS),
        "tree_offsets": np.array([0, 3], dtype=np.uint64),
        "values": np.array([-1.5, 2.0]).reshape(2, 1, 1),
        "impurity": np.array([1.0, 0.0, 0.0]),
        "n_node_samples": np.array([4, 2, 2], dtype=np.int64),
        "weighted_n_node_samples": np.array([4.0, 2.0, 2.0]),
        "ids": np.array([0, 2, 1], dtype=np.uint32),
        "f32": np.zeros(3, dtype=np.float32),
    }
    arrays.update(override)
    return [c.Tensor.from_array(name, arr) for name, arr in arrays.items()]


def _tree_file(edit=None, **override: np.ndarray) -> bytes:
    """The base tree file with tensors replaced, then its manifest edited as is."""
    blob = c.write_container(_tree_manifest(), _tree_tensors(**override))
    if edit is None:
        return blob
    _, m, data = _parts(blob)
    edit(m)
    return _raw(m, data)


def test_tree_base_file_is_valid() -> None:
    blob = _tree_file()
    amber.validate(blob)
    with pytest.warns(amber.AmberWarning, match="values of internal nodes"):
        model = amber.loads(blob)
    X = np.array([[9.0, 0.5], [9.0, np.nextafter(0.5, 1.0)], [0.0, np.nan], [0.0, 0.75]])
    assert model.predict(X).tolist() == [-1.5, -1.5, -1.5, 2.0]
    assert model.tree_.node_count == 3 and model.tree_.max_depth == 1


def _set(field: str, value):
    def edit(m: pb.Manifest) -> None:
        setattr(m.estimator.tree_ensemble, field, value)

    return edit


def _classifier(labels: list[list[int]], counts=pb.LEAF_VALUES_FRACTIONS):
    def edit(m: pb.Manifest) -> None:
        m.estimator.producer_type = "sklearn.tree.DecisionTreeClassifier"
        t = m.estimator.tree_ensemble
        t.leaf_values = counts
        for ls in labels:
            t.classes.add().ints.values.extend(ls)

    return edit


def _tree_code(edit=None, **override) -> str:
    return _code(_tree_file(edit, **override))


def test_tree_structure_unspecified_input() -> None:
    assert _tree_code(_set("input", pb.TREE_INPUT_UNSPECIFIED)) == "E_MODEL"


def test_tree_structure_unknown_input() -> None:
    assert _tree_code(_set("input", 7)) == "E_MODEL"


def test_tree_structure_unspecified_leaf_values() -> None:
    assert _tree_code(_set("leaf_values", pb.LEAF_VALUES_UNSPECIFIED)) == "E_MODEL"


def test_tree_structure_unknown_leaf_values() -> None:
    assert _tree_code(_set("leaf_values", 9)) == "E_MODEL"


@pytest.mark.parametrize("field", ["nodes", "tree_offsets", "values"])
def test_tree_structure_required_name_absent(field: str) -> None:
    assert _tree_code(_set(field, "")) == "E_MODEL"


def test_tree_structure_labels_without_kind() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.tree_ensemble.leaf_values = pb.LEAF_VALUES_COUNTS
        m.estimator.tree_ensemble.classes.add()

    assert _tree_code(edit) == "E_MODEL"


def test_tree_structure_comes_before_references() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.tree_ensemble.input = 0
        m.estimator.tree_ensemble.values = "missing"

    assert _tree_code(edit) == "E_MODEL"


def test_tree_missing_tensor_ref() -> None:
    assert _tree_code(_set("node_ids", "missing")) == "E_TENSOR_REF"


def test_tree_nodes_must_be_u8() -> None:
    assert _tree_code(nodes=_records(_BASE_RECORDS).view("<u4")) == "E_MODEL"


def test_tree_nodes_must_be_16_bytes_wide() -> None:
    assert _tree_code(nodes=_records(_BASE_RECORDS).reshape(-1, 8)) == "E_MODEL"


def test_tree_nodes_must_not_be_empty() -> None:
    empty = np.zeros((0, 16), dtype=np.uint8)
    assert _tree_code(nodes=empty, tree_offsets=np.array([0, 0], np.uint64)) == "E_MODEL"


def test_tree_offsets_must_be_u64() -> None:
    assert _tree_code(tree_offsets=np.array([0, 3], dtype=np.int64)) == "E_MODEL"


def test_tree_offsets_need_one_tree() -> None:
    assert _tree_code(tree_offsets=np.array([3], dtype=np.uint64)) == "E_MODEL"


def test_tree_offsets_start_at_zero() -> None:
    assert _tree_code(tree_offsets=np.array([1, 3], dtype=np.uint64)) == "E_MODEL"


def test_tree_offsets_strictly_increase() -> None:
    assert _tree_code(tree_offsets=np.array([0, 0, 3], dtype=np.uint64)) == "E_MODEL"


def test_tree_offsets_end_at_n_nodes() -> None:
    assert _tree_code(tree_offsets=np.array([0, 2], dtype=np.uint64)) == "E_MODEL"


def test_tree_values_must_be_f64_rank_3() -> None:
    assert _tree_code(values=np.array([-1.5, 2.0])) == "E_MODEL"
    assert _tree_code(values=np.zeros((2, 1, 1), dtype=np.float32)) == "E_MODEL"


def test_tree_values_need_an_output_and_a_column() -> None:
    assert _tree_code(values=np.zeros((2, 0, 1))) == "E_MODEL"
    assert _tree_code(values=np.zeros((2, 1, 0))) == "E_MODEL"


def test_tree_regression_has_no_classes() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.tree_ensemble.classes.add().ints.values.append(1)

    assert _tree_code(edit) == "E_MODEL"


def test_tree_regression_has_one_column() -> None:
    assert _tree_code(values=np.zeros((2, 1, 2))) == "E_MODEL"


def test_tree_classifier_valid() -> None:
    blob = _tree_file(_classifier([[3, 8]]), values=np.array([[[1.0, 0.0]], [[0.25, 0.75]]]))
    amber.validate(blob)
    with pytest.warns(amber.AmberWarning, match="values of internal nodes"):
        model = amber.loads(blob)
    assert model.predict(np.array([[0.0, 0.0], [0.0, 1.0]])).tolist() == [3, 8]


def test_tree_classifier_needs_classes_per_output() -> None:
    values = np.zeros((2, 2, 2))
    assert _tree_code(_classifier([[3, 8]]), values=values) == "E_MODEL"


def test_tree_classifier_classes_fit_columns() -> None:
    assert _tree_code(_classifier([[1, 2, 3]]), values=np.zeros((2, 1, 2))) == "E_MODEL"


def test_tree_classifier_needs_a_class() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.tree_ensemble.leaf_values = pb.LEAF_VALUES_FRACTIONS
        m.estimator.tree_ensemble.classes.add().ints.SetInParent()

    assert _tree_code(edit, values=np.zeros((2, 1, 2))) == "E_MODEL"


def test_tree_classifier_distinct_classes() -> None:
    assert _tree_code(_classifier([[4, 4]]), values=np.zeros((2, 1, 2))) == "E_MODEL"


def test_tree_leaf_row_in_values() -> None:
    rows = [_BASE_RECORDS[0], _BASE_RECORDS[1], (0.0, _LEAF, 2)]
    assert _tree_code(nodes=_records(rows)) == "E_MODEL"


def test_tree_feature_below_n_features_in() -> None:
    rows = [(0.5, 2, 2), *_BASE_RECORDS[1:]]
    assert _tree_code(nodes=_records(rows)) == "E_MODEL"


def test_tree_internal_last_record_has_no_left_child() -> None:
    rows = [*_BASE_RECORDS[:2], (0.5, 0, 2)]
    assert _tree_code(nodes=_records(rows)) == "E_MODEL"


def test_tree_right_child_after_left() -> None:
    rows = [(0.5, 0, 1), *_BASE_RECORDS[1:]]
    assert _tree_code(nodes=_records(rows)) == "E_MODEL"


def test_tree_right_child_inside_tree() -> None:
    # Two trees of 3 and 1 records: tree 0's root points past its own records.
    rows = [(0.5, 0, 3), (0.0, _LEAF, 0), (0.0, _LEAF, 1), (0.0, _LEAF, 2)]
    offsets = np.array([0, 3, 4], dtype=np.uint64)
    stats = {
        "impurity": np.zeros(4),
        "n_node_samples": np.zeros(4, np.int64),
        "weighted_n_node_samples": np.zeros(4),
        "values": np.array([-1.5, 2.0, 3.0]).reshape(3, 1, 1),
    }
    assert _tree_code(nodes=_records(rows), tree_offsets=offsets, **stats) == "E_MODEL"
    rows[0] = (0.5, 0, 2)
    amber.validate(_tree_file(nodes=_records(rows), tree_offsets=offsets, **stats))


def test_tree_values_for_every_node_needs_a_row_per_node() -> None:
    assert _tree_code(_set("values_for_every_node", True)) == "E_MODEL"
    every = np.array([0.25, -1.5, 2.0]).reshape(3, 1, 1)
    # Every node's row: a leaf's row is its own record's (rule 7).
    own = _records([(0.5, 0, 2), (0.0, _LEAF, 1), (0.0, _LEAF, 2)])
    amber.validate(_tree_file(_set("values_for_every_node", True), values=every, nodes=own))
    # Pointing at the rows of the leaves-only layout instead: E_MODEL.
    assert _tree_code(_set("values_for_every_node", True), values=every) == "E_MODEL"


@pytest.mark.parametrize(
    "rows,values",
    [
        ([(0.5, 0, 2), (0.0, _LEAF, 1), (0.0, _LEAF, 0)], [-1.5, 2.0]),  # leaves swap rows
        ([(0.5, 0, 2), (0.0, _LEAF, 0), (0.0, _LEAF, 0)], [-1.5, 2.0]),  # a row shared
        ([(0.5, 0, 2), (0.0, _LEAF, 0), (0.0, _LEAF, 1)], [-1.5, 2.0, 7.0]),  # a row too many
    ],
    ids=["swapped", "shared", "extra_row"],
)
def test_tree_leaves_only_rows_are_the_leaf_ranks(rows, values) -> None:
    values = np.array(values).reshape(-1, 1, 1)
    assert _tree_code(nodes=_records(rows), values=values) == "E_MODEL"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_tree_values_are_finite(bad: float) -> None:
    assert _tree_code(values=np.array([-1.5, bad]).reshape(2, 1, 1)) == "E_MODEL"


def test_tree_node_ids_root_is_node_0() -> None:
    assert _tree_code(_set("node_ids", "ids"), ids=np.array([1, 0, 2], np.uint32)) == "E_MODEL"


@pytest.mark.parametrize(
    "field,bad",
    [
        ("impurity", np.zeros(3, dtype=np.float32)),
        ("impurity", np.zeros(2)),
        ("n_node_samples", np.zeros(3)),
        ("weighted_n_node_samples", np.zeros((3, 1))),
    ],
    ids=["impurity_dtype", "impurity_shape", "n_node_samples_dtype", "weighted_shape"],
)
def test_tree_statistics_one_per_node(field: str, bad: np.ndarray) -> None:
    assert _tree_code(**{field: bad}) == "E_MODEL"


def test_tree_node_ids_valid() -> None:
    amber.validate(_tree_file(_set("node_ids", "ids")))


def test_tree_node_ids_must_be_u32() -> None:
    assert _tree_code(_set("node_ids", "ids"), ids=np.array([0, 2, 1])) == "E_MODEL"


def test_tree_node_ids_in_range() -> None:
    bad = np.array([0, 3, 1], dtype=np.uint32)
    assert _tree_code(_set("node_ids", "ids"), ids=bad) == "E_MODEL"


def test_tree_node_ids_are_a_permutation() -> None:
    bad = np.array([0, 1, 1], dtype=np.uint32)
    assert _tree_code(_set("node_ids", "ids"), ids=bad) == "E_MODEL"


def test_tree_needs_n_features_in() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.ClearField("n_features_in")

    assert _tree_code(edit) == "E_MODEL"


def test_tree_node_ids_rebuild_sklearn_order() -> None:
    """node_ids maps records to scikit-learn ids: record 1 (left leaf) is node 2."""
    with pytest.warns(amber.AmberWarning, match="values of internal nodes"):
        model = amber.loads(_tree_file(_set("node_ids", "ids")))
    assert model.tree_.children_left.tolist() == [2, -1, -1]
    assert model.tree_.children_right.tolist() == [1, -1, -1]
    assert model.tree_.value[:, 0, 0].tolist() == [0.0, 2.0, -1.5]
