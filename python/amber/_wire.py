"""Check 10 of spec/format.md section 3, before the protobuf runtime sees the manifest.

A walk of the manifest's wire format against the schema (the field tables come from the
generated module's descriptors, so they follow proto/ without being written twice), enforcing
the strict profile of section 3.1, and the item counts that check 10's limits bound. Protobuf
runtimes differ in what they tolerate (upb keeps a known field with the wrong wire type as
an unknown field, prost rejects it; both merge a repeated singular message): after this walk
succeeds, every conforming runtime decodes the same message. The walk only counts; it builds
nothing, so the limits hold before the runtime allocates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from ._errors import FormatError
from ._proto.amber.v1 import amber_pb2 as pb

#: Deepest nesting of messages, the manifest at depth 1 (spec/format.md section 5).
MAX_MESSAGE_DEPTH = 100
_MAX_FIELD_NUMBER = (1 << 29) - 1
_U64 = (1 << 64) - 1

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_T = FieldDescriptor
#: Field type -> the wire type its values use.
_WIRE = {
    _T.TYPE_INT32: _VARINT,
    _T.TYPE_INT64: _VARINT,
    _T.TYPE_UINT32: _VARINT,
    _T.TYPE_UINT64: _VARINT,
    _T.TYPE_BOOL: _VARINT,
    _T.TYPE_ENUM: _VARINT,
    _T.TYPE_DOUBLE: _I64,
    _T.TYPE_FIXED32: _I32,
    _T.TYPE_STRING: _LEN,
    _T.TYPE_MESSAGE: _LEN,
}


@dataclass
class Counts:
    """What the walk counted, for the limits of check 10."""

    #: Messages plus elements of repeated fields (packed scalars included).
    items: int = 0
    #: Estimator messages.
    estimators: int = 0
    #: Entries of the tensor table.
    tensors: int = 0


@dataclass(frozen=True)
class _Field:
    name: str
    type: int
    wire: int
    repeated: bool
    oneof: int | None
    message: Descriptor | None


_TABLES: dict[str, dict[int, _Field]] = {}


def _table(desc: Descriptor) -> dict[int, _Field]:
    table = _TABLES.get(desc.full_name)
    if table is None:
        oneofs = {o.name: i for i, o in enumerate(desc.oneofs)}
        table = {}
        for f in desc.fields:
            if f.type not in _WIRE:
                raise NotImplementedError(f"{desc.name}.{f.name}: field type {f.type}")
            oneof = f.containing_oneof
            table[f.number] = _Field(
                f"{desc.name}.{f.name}",
                f.type,
                _WIRE[f.type],
                f.is_repeated,
                oneofs[oneof.name] if oneof is not None else None,
                f.message_type,
            )
        _TABLES[desc.full_name] = table
    return table


#: The limits of check 10 (spec/format.md section 5).
MAX_TENSORS = 65_536
MAX_MANIFEST_ITEMS = 1 << 20
MAX_ESTIMATORS = 1 << 16


def _within_limits(c: Counts) -> None:
    """Checked each time a count grows: the walk stops at the first fault it meets."""
    if (
        c.items <= MAX_MANIFEST_ITEMS
        and c.estimators <= MAX_ESTIMATORS
        and c.tensors <= MAX_TENSORS
    ):
        return
    for what, limit, found in (
        ("manifest items", MAX_MANIFEST_ITEMS, c.items),
        ("estimator count", MAX_ESTIMATORS, c.estimators),
        ("tensor count", MAX_TENSORS, c.tensors),
    ):
        if found > limit:
            raise FormatError("E_LIMIT", f"{what} is {found}, the limit is {limit}")


class _Fail(Exception):
    def __init__(self, offset: int, reason: str, field: str = "") -> None:
        self.offset, self.reason, self.field = offset, reason, field


def check(manifest: bytes) -> Counts:
    """Walk `manifest`; the first fault met is raised: a violation of the strict profile
    (E_MANIFEST_DECODE) or a count above its limit (E_LIMIT)."""
    counts = Counts()
    try:
        _message(manifest, 0, len(manifest), pb.Manifest.DESCRIPTOR, 1, counts)
    except _Fail as e:
        where = f"{e.field}: " if e.field else ""
        raise FormatError(
            "E_MANIFEST_DECODE",
            f"the manifest is not a valid Manifest: manifest byte {e.offset}: {where}{e.reason}",
        ) from None
    return counts


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """(value, next position): at most 10 bytes, below 2^64, in its shortest form."""
    start, value, shift = pos, 0, 0
    while True:
        if pos >= end:
            raise _Fail(start, "a varint runs past the end of its message")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            if pos - start > 1 and b == 0:
                raise _Fail(start, "a varint is not in its shortest form")
            if value > _U64:
                raise _Fail(start, "a varint exceeds 64 bits")
            return value, pos
        shift += 7
        if pos - start >= 10:
            raise _Fail(start, "a varint is longer than 10 bytes")


def _take(buf: bytes, pos: int, end: int, n: int) -> int:
    if n > end - pos:
        raise _Fail(pos, f"{n} bytes announced, fewer remain")
    return pos + n


def _message(buf: bytes, pos: int, end: int, desc: Descriptor, depth: int, counts: Counts) -> None:
    if depth > MAX_MESSAGE_DEPTH:
        raise _Fail(pos, f"messages nest deeper than MAX_MESSAGE_DEPTH ({MAX_MESSAGE_DEPTH})")
    counts.items += 1
    if desc is pb.TensorInfo.DESCRIPTOR:
        counts.tensors += 1
    elif desc is pb.Estimator.DESCRIPTOR:
        counts.estimators += 1
    _within_limits(counts)
    table = _table(desc)
    seen: set[int] = set()
    oneofs: set[int] = set()
    while pos < end:
        tag_at = pos
        tag, pos = _varint(buf, pos, end)
        number, wire = tag >> 3, tag & 7
        if number == 0 or number > _MAX_FIELD_NUMBER:
            raise _Fail(tag_at, f"field number {number} is not valid", desc.name)
        f = table.get(number)
        if f is None:
            pos = _skip(buf, pos, end, wire, tag_at)
            continue
        if not f.repeated:
            if number in seen:
                raise _Fail(tag_at, "a singular field appears twice", f.name)
            seen.add(number)
            if f.oneof is not None:
                if f.oneof in oneofs:
                    raise _Fail(tag_at, "a second member of its oneof is set", f.name)
                oneofs.add(f.oneof)
        try:
            pos = _field(buf, pos, end, f, wire, depth, counts)
        except _Fail as e:
            if not e.field:
                e.field = f.name
            raise


def _field(buf: bytes, pos: int, end: int, f: _Field, wire: int, depth: int, c: Counts) -> int:
    if wire == f.wire:
        if f.repeated:
            c.items += 1
            _within_limits(c)
        return _value(buf, pos, end, f, depth, c)
    if f.repeated and wire == _LEN and f.wire != _LEN:
        n, pos = _varint(buf, pos, end)
        run_end = _take(buf, pos, end, n)
        if n >= _FAST_RUN and f.type in _FAST_TYPES:
            return _packed_run(buf, pos, run_end, f, c)
        while pos < run_end:
            c.items += 1
            _within_limits(c)
            pos = _value(buf, pos, run_end, f, depth, c)
        return pos
    packed = " or 2 (packed)" if f.repeated and f.wire != _LEN else ""
    raise _Fail(pos, f"wire type {wire}, the schema's type needs {f.wire}{packed}")


def _value(buf: bytes, pos: int, end: int, f: _Field, depth: int, c: Counts) -> int:
    t = f.type
    if f.wire == _VARINT:
        v, nxt = _varint(buf, pos, end)
        if t in (_T.TYPE_INT32, _T.TYPE_ENUM) and (1 << 31) <= v <= _U64 - (1 << 31):
            raise _Fail(pos, "an int32 or enum value is outside 32 bits")
        if t == _T.TYPE_UINT32 and v > 0xFFFFFFFF:
            raise _Fail(pos, "a uint32 value is outside 32 bits")
        if t == _T.TYPE_BOOL and v > 1:
            raise _Fail(pos, "a bool value is neither 0 nor 1")
        return nxt
    if f.wire == _I64:
        return _take(buf, pos, end, 8)
    if f.wire == _I32:
        return _take(buf, pos, end, 4)
    n, start = _varint(buf, pos, end)
    stop = _take(buf, start, end, n)
    if t == _T.TYPE_STRING:
        try:
            buf[start:stop].decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise _Fail(pos, "a string is not valid UTF-8") from None
    else:
        _message(buf, start, stop, f.message, depth + 1, c)  # type: ignore[arg-type]
    return stop


#: Packed runs at least this long, of types with no range rule beyond 64 bits, are checked
#: with numpy: the same verdicts and counts as the element-by-element walk, far faster.
_FAST_RUN = 64
_FAST_TYPES = frozenset({_T.TYPE_INT64, _T.TYPE_UINT64, _T.TYPE_DOUBLE, _T.TYPE_FIXED32})


def _packed_run(buf: bytes, pos: int, end: int, f: _Field, c: Counts) -> int:
    """A packed run as the element-by-element walk sees it: element k is counted (and the
    limits compared) before it is read, so a limit crossed at or before the first faulty
    element is reported, else the fault."""
    run = np.frombuffer(buf, dtype=np.uint8, count=end - pos, offset=pos)
    fault: tuple[int, int, str] | None = None  # (element index, byte offset, reason)
    if f.wire == _VARINT:
        ends = np.flatnonzero(run < 0x80)
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts + 1
        last = run[ends]
        bad = (lengths > 10) | ((lengths == 10) & (last > 1)) | ((lengths > 1) & (last == 0))
        complete = len(ends)
        if bad.any():
            k = int(np.argmax(bad))
            n, b = int(lengths[k]), int(last[k])
            why = (
                "a varint is longer than 10 bytes"
                if n > 10
                else "a varint exceeds 64 bits"
                if n == 10 and b > 1
                else "a varint is not in its shortest form"
            )
            fault = (k, pos + int(starts[k]), why)
        elif complete == 0 or ends[-1] != len(run) - 1:
            at = int(ends[-1]) + 1 if complete else 0
            why = (
                "a varint is longer than 10 bytes"
                if len(run) - at > 10
                else "a varint runs past the end of its message"
            )
            fault = (complete, pos + at, why)
    else:
        size = 8 if f.wire == _I64 else 4
        complete = len(run) // size
        if len(run) % size:
            fault = (complete, pos + complete * size, f"{size} bytes announced, fewer remain")
    elements = complete if fault is None else fault[0] + 1
    room = MAX_MANIFEST_ITEMS - c.items  # elements that fit before the limit is crossed
    if elements > room:
        c.items += room + 1
        _within_limits(c)
    c.items += elements
    if fault is not None:
        raise _Fail(fault[1], fault[2])
    return end


def _skip(buf: bytes, pos: int, end: int, wire: int, tag_at: int) -> int:
    """An unknown field: wire type 0, 1, 2 or 5, and its bytes present; content not read."""
    if wire == _VARINT:
        return _varint(buf, pos, end)[1]
    if wire == _I64:
        return _take(buf, pos, end, 8)
    if wire == _I32:
        return _take(buf, pos, end, 4)
    if wire == _LEN:
        n, pos = _varint(buf, pos, end)
        return _take(buf, pos, end, n)
    raise _Fail(tag_at, f"wire type {wire} is not allowed (groups and types 6, 7 are not)")
