"""The strict wire profile of spec/format.md section 3.1 (check 10), rule by rule.

Each manifest is built byte by byte, so the test does not depend on how the protobuf runtime
would encode or decode it; crates/amber-codec/src/wire.rs has the same cases for Rust.
"""

from __future__ import annotations

import pytest

import amber
from amber import _container, _wire


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _code(manifest: bytes) -> str:
    try:
        _wire.check(manifest)
    except amber.AmberError as exc:
        return exc.code
    return "ok"


def _reason(manifest: bytes) -> str:
    with pytest.raises(amber.AmberError) as info:
        _wire.check(manifest)
    return str(info.value)


# Manifest: 1 required_features (repeated string), 2 producer, 3 tensors, 4 estimator.
# Estimator: 2 params, 4 n_features_in (uint64), 16.. the body oneof (16 standard_scaler,
# 17 linear). TensorInfo: 2 dtype (enum), 3 shape (repeated uint64). Value: 2 bool_value.


def test_empty_manifest_is_well_formed() -> None:
    assert _wire.check(b"") == _wire.Counts(items=1)


def test_w1_field_number_zero_and_groups() -> None:
    assert _code(b"\x00\x00") == "E_MANIFEST_DECODE"  # field 0
    assert _code(_varint(15 << 3 | 3)) == "E_MANIFEST_DECODE"  # group start
    assert _code(_varint(15 << 3 | 6)) == "E_MANIFEST_DECODE"
    assert _code(_varint(((1 << 29) - 1) << 3)) == "E_MANIFEST_DECODE"  # no value follows
    assert _code(_varint(((1 << 29) - 1) << 3) + b"\x00") == "ok"
    assert _code(_varint((1 << 29) << 3) + b"\x00") == "E_MANIFEST_DECODE"


def test_w2_varints_shortest_at_most_10_bytes_below_2_64() -> None:
    assert _code(_len(4, b"\x20\x01")) == "ok"
    assert "shortest form" in _reason(_len(4, b"\x20\x81\x00"))
    assert "64 bits" in _reason(_len(4, b"\x20" + b"\xff" * 9 + b"\x02"))
    assert _code(_len(4, b"\x20" + b"\xff" * 9 + b"\x01")) == "ok"  # 2^64 - 1
    assert "10 bytes" in _reason(_len(4, b"\x20" + b"\xff" * 10 + b"\x01"))


def test_w3_lengths_stay_inside_their_message() -> None:
    assert _code(b"\x7a\x05\x00") == "E_MANIFEST_DECODE"  # unknown LEN field past the end
    assert _code(_len(4, b"\x21" + b"\x00" * 3)) == "E_MANIFEST_DECODE"  # I64 cut short
    assert _code(b"\x22\x01") == "E_MANIFEST_DECODE"  # estimator announced, missing


def test_w4_known_field_with_the_wrong_wire_type() -> None:
    assert "wire type 0" in _reason(b"\x20\x01")  # Manifest.estimator as a varint
    assert "wire type 1" in _reason(b"\x11" + bytes(8))  # Manifest.producer as fixed64
    assert "Estimator.n_features_in" in _reason(_len(4, _len(4, b"\x01")))


def test_w4_packed_and_unpacked_repeated_scalars() -> None:
    tensor = _len(3, b"\x01\x02") + b"\x18\x03"  # shape: packed [1, 2], then 3 unpacked
    assert _wire.check(_len(3, tensor)) == _wire.Counts(items=6, tensors=1)
    assert _code(_len(3, _len(3, b"\x81"))) == "E_MANIFEST_DECODE"  # ends inside a varint


def test_w5_int32_enum_uint32_bool_ranges() -> None:
    assert "32 bits" in _reason(_len(3, b"\x10" + _varint((1 << 32) + 1)))  # dtype
    assert _code(_len(3, b"\x10" + _varint((1 << 64) - 1))) == "ok"  # dtype -1
    assert _code(_len(3, b"\x10" + _varint((1 << 64) - (1 << 31)))) == "ok"  # -2^31
    assert _code(_len(3, b"\x10" + _varint((1 << 64) - (1 << 31) - 1))) == "E_MANIFEST_DECODE"
    param = _len(1, b"p") + _len(2, b"\x10\x02")  # Value.bool_value = 2
    assert "bool" in _reason(_len(4, _len(2, param)))


def test_w6_strings_are_utf8() -> None:
    assert _code(_len(1, b"a")) == "ok"
    assert "UTF-8" in _reason(_len(1, b"\xff"))
    assert "UTF-8" in _reason(_len(1, b"\xed\xa0\x80"))  # a surrogate
    assert "UTF-8" in _reason(_len(1, b"\xc0\x80"))  # overlong NUL


def test_w7_singular_field_twice_and_second_oneof_member() -> None:
    assert "twice" in _reason(_len(2, b"") + _len(2, b""))
    assert "oneof" in _reason(_len(4, _len(16, b"") + _len(17, b"")))
    assert "twice" in _reason(_len(4, _len(17, b"") + _len(17, b"")))
    assert _code(_len(1, b"") + _len(1, b"")) == "ok"  # a repeated field repeats


def _nested(levels: int) -> bytes:
    value = b""
    for _ in range(levels):
        value = _len(6, _len(1, value))  # Value.list_value { items: [value] }
    return _len(4, _len(2, _len(2, value)))  # Manifest.estimator.params[0].value


def test_w8_message_depth() -> None:
    # The innermost Value of n lists is at depth 4 + 2n.
    assert _code(_nested(48)) == "ok"
    assert "MAX_MESSAGE_DEPTH" in _reason(_nested(49))


def test_w9_unknown_fields_are_skipped() -> None:
    assert _code(b"\x78\x05" + _len(15, b"anything") + b"\x7d" + bytes(4)) == "ok"


def test_limits_are_checked_as_counts_grow() -> None:
    over = _len(3, b"") * (_wire.MAX_TENSORS + 1)
    assert "tensor count" in _reason(over)
    # A wire fault met before the limit is crossed is reported instead; one met after is not.
    assert _code(b"\x20\x01" + over) == "E_MANIFEST_DECODE"
    assert _code(over + b"\x20\x01") == "E_LIMIT"
    steps = _len(1, _len(2, b"")) * (_wire.MAX_ESTIMATORS + 1)
    assert "estimator count" in _reason(_len(4, _len(18, steps)))
    items = _len(3, _len(3, b"\x01" * _wire.MAX_MANIFEST_ITEMS))
    assert "manifest items" in _reason(items)


def test_walk_runs_before_decoding_in_validate() -> None:
    blob = _container.frame(b"\x20\x01", b"")
    with pytest.raises(amber.AmberError) as info:
        amber.validate(blob)
    assert info.value.code == "E_MANIFEST_DECODE"
    assert "Manifest.estimator" in str(info.value)


def _verdict(manifest: bytes) -> tuple[str, str]:
    try:
        return ("ok", repr(_wire.check(manifest)))
    except amber.AmberError as exc:
        return (exc.code, str(exc))


@pytest.mark.parametrize("items_limit", [_wire.MAX_MANIFEST_ITEMS, 40, 130])
def test_packed_fast_path_agrees_with_the_element_walk(monkeypatch, items_limit) -> None:
    import random

    rng = random.Random(1203)
    monkeypatch.setattr(_wire, "MAX_MANIFEST_ITEMS", items_limit)
    alphabet = [0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xFF]
    for _ in range(1500):
        n = rng.randrange(60, 200)
        run = bytes(
            rng.choice(alphabet) if rng.random() < 0.7 else rng.randrange(256) for _ in range(n)
        )
        shapes = _len(3, _len(3, run))  # TensorInfo.shape, packed uint64
        floats = _len(4, _len(17, _len(4, _len(2, _len(1, run)))))  # FloatLabels.values
        for manifest in (shapes, floats):
            monkeypatch.setattr(_wire, "_FAST_RUN", 64)
            fast = _verdict(manifest)
            monkeypatch.setattr(_wire, "_FAST_RUN", 1 << 62)
            slow = _verdict(manifest)
            assert fast == slow, (run.hex(), fast, slow)
