"""Seeded mutants of Amber files whose checksums stay valid (FUZZING.md, "Mutation strategies").

A byte flipped anywhere in a valid file dies at a checksum (spec/format.md §3 checks 3, 8,
14), which tells nothing about the decoder or the model rules behind them. Every strategy
here therefore repairs what its change breaks: the header and manifest CRCs after a byte
mutation, the lengths and offsets of the header after the manifest changes size, the tensor
table (offsets, lengths, CRCs) after a tensor changes. Only the `bytes-raw` strategy leaves a
file damaged, so that the framing checks themselves are fuzzed too.

The framing is written here from spec/format.md §1, not imported from the reader under test.
`mutate(seed, rng, donors)` returns the mutant's bytes and a list of what was done; the same
`random.Random` state gives the same mutant.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from google.protobuf.descriptor import FieldDescriptor as FD
from google.protobuf.message import DecodeError

from amber._proto.amber.v1 import amber_pb2 as pb

MAGIC = b"\x89AMB\r\n\x1a\n"
HEADER_LEN = 64
_HEADER = struct.Struct("<8sHHIQQQQI8sI")

#: numpy dtype of each Amber dtype code (bool is read as its bytes).
DTYPES = {1: "<f8", 2: "<f4", 3: "<i8", 4: "<i4", 5: "u1", 6: "<u4", 7: "<u8", 8: "u1"}

INT_EXTREMES = {
    FD.TYPE_UINT64: [0, 1, 2**31 - 1, 2**32, 2**33, 2**53 + 1, 2**61, 2**63, 2**64 - 1],
    FD.TYPE_INT64: [0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63)],
    FD.TYPE_UINT32: [0, 1, 2, 255, 256, 2**16, 2**31 - 1, 2**32 - 1],
    FD.TYPE_INT32: [0, 1, -1, 2**31 - 1, -(2**31)],
    FD.TYPE_FIXED32: [0, 1, 2**32 - 1],
}
FLOAT_SPECIALS = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e308, 5e-324, -1.0, 1e-300, 2.0**53]
STRING_SPECIALS = ["", "__class__", "__dict__", "predict", "\x1b[2J", "é", "a" * 300, "\x00"]
ELEMENT_SPECIALS = [math.nan, math.inf, -math.inf, -1, 0, 1, 2**31, 2**53, 1e300, -0.0]


def align64(n: int) -> int:
    return (n + 63) // 64 * 64


def split(file: bytes) -> tuple[bytes, bytes] | None:
    """(manifest, data section) as the header places them, if it places them in the file."""
    if len(file) < HEADER_LEN or file[:8] != MAGIC:
        return None
    manifest_len, data_offset = struct.unpack_from("<QQ", file, 16)
    if HEADER_LEN + manifest_len > len(file):
        return None
    return file[HEADER_LEN : HEADER_LEN + manifest_len], file[data_offset:]


def frame(manifest: bytes, data: bytes) -> bytes:
    """A 1.0 file of `manifest` and `data` with correct lengths, padding and header CRCs."""
    data_offset = align64(HEADER_LEN + len(manifest))
    head = _HEADER.pack(
        MAGIC,
        1,
        0,
        0,
        len(manifest),
        data_offset,
        len(data),
        data_offset + len(data),
        zlib.crc32(manifest),
        b"\0" * 8,
        0,
    )
    head = head[:60] + struct.pack("<I", zlib.crc32(head[:60]))
    return head + manifest + b"\0" * (data_offset - HEADER_LEN - len(manifest)) + data


def repair_header_crcs(file: bytearray) -> None:
    """Rewrite the manifest and header CRCs in place, every other field left as it is."""
    parts = split(bytes(file))
    if parts is not None:
        struct.pack_into("<I", file, 48, zlib.crc32(parts[0]))
    if len(file) >= HEADER_LEN:
        struct.pack_into("<I", file, 60, zlib.crc32(bytes(file[:60])))


def decode(manifest: bytes) -> pb.Manifest | None:
    m = pb.Manifest()
    try:
        m.ParseFromString(manifest)
    except (DecodeError, RecursionError, ValueError):
        return None
    return m


def encode(m: pb.Manifest) -> bytes:
    return m.SerializeToString(deterministic=True)


def repair_tensor_crcs(m: pb.Manifest, data: bytes) -> None:
    """Set every tensor's crc32 to the checksum of the bytes its entry points at."""
    for t in m.tensors:
        if t.offset + t.length <= len(data):
            t.crc32 = zlib.crc32(data[t.offset : t.offset + t.length])


# ---------------------------------------------------------------------------------------------
# Tensors as arrays, and the one valid layout of spec/format.md §1.3


def arrays_of(m: pb.Manifest, data: bytes) -> list[np.ndarray] | None:
    """Each tensor of the table as an array, or None when the table does not fit the data."""
    out = []
    for t in m.tensors:
        dtype = DTYPES.get(t.dtype)
        if dtype is None or t.offset + t.length > len(data):
            return None
        n = math.prod(t.shape)
        if n * np.dtype(dtype).itemsize != t.length:
            return None
        try:
            raw = np.frombuffer(data, dtype=dtype, count=n, offset=t.offset)
            out.append(raw.reshape(tuple(t.shape)).copy())
        except (ValueError, OverflowError):  # numpy's own limits on dimensions
            return None
    return out


def lay_out(m: pb.Manifest, arrays: list[np.ndarray]) -> bytes:
    """Rewrite the table for `arrays` (dtype codes as the table says) and return the data."""
    data = bytearray()
    for t, a in zip(m.tensors, arrays):
        raw = np.ascontiguousarray(a).astype(DTYPES[t.dtype], copy=False).tobytes()
        data.extend(b"\0" * (align64(len(data)) - len(data)))
        t.offset = len(data)
        t.length = len(raw)
        del t.shape[:]
        t.shape.extend(int(d) for d in a.shape)
        t.crc32 = zlib.crc32(raw)
        data.extend(raw)
    return bytes(data)


# ---------------------------------------------------------------------------------------------
# Structured mutations of the decoded manifest


@dataclass
class Site:
    """One mutable place: a field of a message, or one element of a repeated field."""

    msg: object
    fd: FD
    index: int | None = None
    path: str = ""


def sites(msg, path: str = "") -> list[Site]:
    """Every scalar field and repeated field of `msg` and of every message below it."""
    out: list[Site] = []
    for fd in msg.DESCRIPTOR.fields:
        here = f"{path}.{fd.name}" if path else fd.name
        if fd.is_repeated:
            out.append(Site(msg, fd, None, here))
            values = getattr(msg, fd.name)
            for i, v in enumerate(values):
                if fd.type == FD.TYPE_MESSAGE:
                    out.extend(sites(v, f"{here}[{i}]"))
                else:
                    out.append(Site(msg, fd, i, f"{here}[{i}]"))
        elif fd.type == FD.TYPE_MESSAGE:
            if msg.HasField(fd.name):
                out.append(Site(msg, fd, None, here))
                out.extend(sites(getattr(msg, fd.name), here))
        elif fd.containing_oneof is None or msg.WhichOneof(fd.containing_oneof.name) == fd.name:
            out.append(Site(msg, fd, None, here))
    return out


def _scalar_value(fd: FD, rng: random.Random, strings: list[str]):
    if fd.type in INT_EXTREMES:
        return rng.choice(INT_EXTREMES[fd.type])
    if fd.type == FD.TYPE_ENUM:
        numbers = [v.number for v in fd.enum_type.values]
        return rng.choice([*numbers, 0, max(numbers) + 1, 99, -1])
    if fd.type == FD.TYPE_BOOL:
        return rng.random() < 0.5
    if fd.type == FD.TYPE_DOUBLE:
        return rng.choice(FLOAT_SPECIALS)
    if fd.type == FD.TYPE_STRING:
        return rng.choice(STRING_SPECIALS + strings) if strings else rng.choice(STRING_SPECIALS)
    return None


def _set_scalar(site: Site, value) -> bool:
    try:
        if site.index is None:
            setattr(site.msg, site.fd.name, value)
        else:
            getattr(site.msg, site.fd.name)[site.index] = value
    except (ValueError, TypeError):
        return False
    return True


def _mutate_repeated(site: Site, rng: random.Random) -> str | None:
    values = getattr(site.msg, site.fd.name)
    n = len(values)
    choice = rng.choice(["truncate", "duplicate", "reverse", "clear", "drop"])
    if n == 0 and choice != "clear":
        return None
    if site.fd.type == FD.TYPE_MESSAGE:
        items = [type(v)() for v in values]
        for new, old in zip(items, values):
            new.CopyFrom(old)
    else:
        items = list(values)
    if choice == "truncate":
        items = items[: rng.randrange(n)]
    elif choice == "duplicate":
        i = rng.randrange(n)
        items.insert(i, items[i])
    elif choice == "reverse":
        items.reverse()
    elif choice == "drop":
        del items[rng.randrange(n)]
    else:
        items = []
    del values[:]
    if site.fd.type == FD.TYPE_MESSAGE:
        for item in items:
            values.add().CopyFrom(item)
    else:
        values.extend(items)
    return f"{choice} {site.path}"


def _strings(m: pb.Manifest) -> list[str]:
    names = [t.name for t in m.tensors]
    return [*names, "steps/a/coef_", "nodes", "coef_"]


def mutate_field(m: pb.Manifest, rng: random.Random, donors: list[pb.Manifest]) -> str | None:
    """One structured change: an extreme scalar, a list edit, a cleared or swapped field."""
    all_sites = sites(m)
    if not all_sites:
        return None
    site = rng.choice(all_sites)
    fd = site.fd
    if fd.is_repeated and site.index is None:
        return _mutate_repeated(site, rng)
    if fd.type == FD.TYPE_MESSAGE:
        if rng.random() < 0.5:
            site.msg.ClearField(fd.name)
            return f"clear {site.path}"
        return _swap_from_donor(site, rng, donors)
    if site.index is None and rng.random() < 0.15:
        site.msg.ClearField(fd.name)
        return f"clear {site.path}"
    if rng.random() < 0.2:
        swapped = _swap_scalar_from_donor(site, rng, donors)
        if swapped:
            return swapped
    value = _scalar_value(fd, rng, _strings(m))
    if value is None or not _set_scalar(site, value):
        return None
    return f"set {site.path} = {value!r}"[:200]


#: (id of a donor manifest, message type) -> its messages of that type. Donors are the corpus'
#: decoded manifests, never changed (swaps copy from them), so the walk is done once each.
_BY_TYPE: dict[tuple[int, str], tuple[Any, list]] = {}


def _same_type_messages(m, full_name: str) -> list:
    key = (id(m), full_name)
    hit = _BY_TYPE.get(key)
    if hit is not None and hit[0] is m:
        return hit[1]
    found = _walk_same_type(m, full_name)
    _BY_TYPE[key] = (m, found)
    return found


def _walk_same_type(m, full_name: str) -> list:
    found = []

    def walk(msg):
        if msg.DESCRIPTOR.full_name == full_name:
            found.append(msg)
        for fd, v in msg.ListFields():
            if fd.type != FD.TYPE_MESSAGE:
                continue
            for item in v if fd.is_repeated else [v]:
                walk(item)

    walk(m)
    return found


def _swap_from_donor(site: Site, rng: random.Random, donors: list[pb.Manifest]) -> str | None:
    """Replace a message with one of the same type from another corpus file."""
    target = getattr(site.msg, site.fd.name)
    pool = [x for d in donors for x in _same_type_messages(d, target.DESCRIPTOR.full_name)]
    if not pool:
        return None
    target.CopyFrom(rng.choice(pool))
    return f"swap {site.path} from another case"


def _swap_scalar_from_donor(site: Site, rng: random.Random, donors) -> str | None:
    pool = []
    for d in donors:
        for msg in _same_type_messages(d, site.msg.DESCRIPTOR.full_name):
            values = getattr(msg, site.fd.name)
            pool.extend(values if site.fd.is_repeated else [values])
    if not pool:
        return None
    value = rng.choice(pool)
    if not _set_scalar(site, value):
        return None
    return f"swap {site.path} = {value!r} from another case"[:200]


def mutate_tensor(m: pb.Manifest, arrays: list[np.ndarray], rng: random.Random) -> str | None:
    """Change one tensor's values, dtype or shape; the table is laid out again afterwards."""
    if not arrays:
        return None
    i = rng.randrange(len(arrays))
    a, t = arrays[i], m.tensors[i]
    choice = rng.choice(["element", "element", "dtype", "reshape", "rows", "permute", "zero-dim"])
    if choice == "element" and a.size:
        flat = a.reshape(-1).copy()
        value = rng.choice(ELEMENT_SPECIALS)
        j = rng.randrange(flat.size)
        with np.errstate(all="ignore"):
            try:
                flat[j] = (
                    value if flat.dtype.kind == "f" else int(value) if math.isfinite(value) else 0
                )
            except (OverflowError, ValueError):
                flat[j] = np.iinfo(flat.dtype).max if flat.dtype.kind in "iu" else 0
        arrays[i] = flat.reshape(a.shape)
        return f"tensor {t.name}[{j}] = {value!r}"
    if choice == "dtype":
        t.dtype = rng.choice([c for c in DTYPES if c != t.dtype])
        with np.errstate(all="ignore"):
            arrays[i] = a.astype(DTYPES[t.dtype])
        return f"tensor {t.name} as dtype {t.dtype}"
    if choice == "reshape":
        shapes = [(a.size,), (1, a.size), (a.size, 1)]
        if a.ndim == 2:
            shapes.append(a.shape[::-1])
        arrays[i] = a.reshape(rng.choice(shapes))
        return f"tensor {t.name} reshaped to {arrays[i].shape}"
    if choice == "rows" and a.ndim and a.shape[0]:
        k = rng.randrange(a.shape[0])
        arrays[i] = a[:k] if rng.random() < 0.5 else np.concatenate([a, a[k : k + 1]])
        return f"tensor {t.name} has {arrays[i].shape[0]} rows"
    if choice == "permute" and a.ndim and a.shape[0] > 1:
        arrays[i] = a[list(reversed(range(a.shape[0])))]
        return f"tensor {t.name} rows reversed"
    if choice == "zero-dim":
        arrays[i] = np.zeros((0,), dtype=a.dtype)
        return f"tensor {t.name} emptied"
    return None


# ---------------------------------------------------------------------------------------------
# Wire-level mutations: what a decoded message cannot express


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(buf: bytes, i: int) -> tuple[int, int] | None:
    n = shift = 0
    while i < len(buf) and shift < 70:
        b = buf[i]
        n |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return n, i
        shift += 7
    return None


@dataclass
class Record:
    """One field of a message on the wire: number, wire type and payload."""

    number: int
    wire: int
    payload: bytes  # varint: its value's bytes; LEN: the content; fixed: the bytes
    children: list[Record] | None = field(default=None)
    descriptor: object = None

    def encode(self) -> bytes:
        key = _varint(self.number << 3 | self.wire)
        if self.wire == 2:
            content = (
                b"".join(c.encode() for c in self.children)
                if self.children is not None
                else self.payload
            )
            return key + _varint(len(content)) + content
        return key + self.payload


def parse_wire(buf: bytes, descriptor) -> list[Record] | None:
    """The records of a message, submessages parsed too where the schema says so."""
    out, i = [], 0
    while i < len(buf):
        key = _read_varint(buf, i)
        if key is None:
            return None
        k, i = key
        number, wire = k >> 3, k & 7
        if wire == 0:
            v = _read_varint(buf, i)
            if v is None:
                return None
            payload, i = buf[i : v[1]], v[1]
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            payload, i = buf[i : i + size], i + size
            if len(payload) != size:
                return None
        elif wire == 2:
            length = _read_varint(buf, i)
            if length is None or length[1] + length[0] > len(buf):
                return None
            payload, i = buf[length[1] : length[1] + length[0]], length[1] + length[0]
        else:
            return None
        rec = Record(number, wire, payload)
        fd = descriptor.fields_by_number.get(number) if descriptor is not None else None
        if wire == 2 and fd is not None and fd.type == FD.TYPE_MESSAGE:
            rec.children = parse_wire(payload, fd.message_type)
            rec.descriptor = fd.message_type
        out.append(rec)
    return out


def _messages(records: list[Record]) -> list[list[Record]]:
    """Every record list (the top one and each parsed submessage's)."""
    out = [records]
    for r in records:
        if r.children is not None:
            out.extend(_messages(r.children))
    return out


def _retype(rec: Record, rng: random.Random) -> str:
    old = rec.wire
    new = rng.choice([w for w in (0, 1, 2, 5) if w != old])
    if old == 0:
        value = _read_varint(rec.payload, 0)[0]
    elif old in (1, 5):
        value = int.from_bytes(rec.payload, "little")
    else:
        value = len(rec.payload)
    rec.children = None
    if new == 0:
        rec.payload = _varint(value)
    elif new == 1:
        rec.payload = (value & (2**64 - 1)).to_bytes(8, "little")
    elif new == 5:
        rec.payload = (value & (2**32 - 1)).to_bytes(4, "little")
    else:
        rec.payload = rec.payload if old == 2 else _varint(value)
    rec.wire = new
    return f"wire type of field {rec.number}: {old} -> {new}"


def mutate_wire(manifest: bytes, rng: random.Random) -> tuple[bytes, str] | None:
    """A wrong wire type, a duplicated, dropped, reordered or unknown field, a padded varint
    or invalid UTF-8, in the top-level message or any submessage; lengths fixed up above."""
    records = parse_wire(manifest, pb.Manifest.DESCRIPTOR)
    if not records:
        return None
    candidates = [msg for msg in _messages(records) if msg]
    msg = rng.choice(candidates)
    i = rng.randrange(len(msg))
    rec = msg[i]
    choice = rng.choice(
        ["retype", "duplicate", "drop", "reorder", "unknown", "long-varint", "utf8"]
    )
    if choice == "retype":
        what = _retype(rec, rng)
    elif choice == "duplicate":
        msg.insert(
            rng.randrange(len(msg) + 1), Record(rec.number, rec.wire, rec.payload, rec.children)
        )
        what = f"field {rec.number} duplicated"
    elif choice == "drop":
        del msg[i]
        what = f"field {rec.number} dropped"
    elif choice == "reorder" and len(msg) > 1:
        j = rng.randrange(len(msg))
        msg[i], msg[j] = msg[j], msg[i]
        what = f"fields {rec.number} and {msg[i].number} swapped"
    elif choice == "unknown":
        wire = rng.choice([0, 1, 2, 5])
        payload = {0: b"\x01", 1: b"\0" * 8, 2: b"abc", 5: b"\0" * 4}[wire]
        number = rng.choice([15, 99, 1000, 2**29 - 1])
        msg.insert(rng.randrange(len(msg) + 1), Record(number, wire, payload))
        what = f"unknown field {number} (wire type {wire}) inserted"
    elif choice == "long-varint" and rec.wire == 0:
        rec.payload = bytes(b | 0x80 for b in rec.payload[:-1]) + bytes([rec.payload[-1] | 0x80, 0])
        what = f"field {rec.number}'s varint padded"
    elif choice == "utf8" and rec.wire == 2 and rec.children is None and rec.payload:
        rec.payload = b"\xff" + rec.payload[1:]
        what = f"field {rec.number}: invalid UTF-8"
    else:
        return None
    return b"".join(r.encode() for r in records), what


# ---------------------------------------------------------------------------------------------
# Byte mutations


def mutate_bytes(buf: bytes, rng: random.Random, keep_length: bool = False) -> bytes:
    b = bytearray(buf)
    if not b:
        return bytes(b)
    for _ in range(rng.choice([1, 1, 2, 4])):
        i = rng.randrange(len(b))
        op = rng.choice(["flip", "set", "varint"] + ([] if keep_length else ["insert", "delete"]))
        if op == "flip":
            b[i] ^= 1 << rng.randrange(8)
        elif op == "set":
            b[i] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        elif op == "varint":
            ext = rng.choice(
                [b"\xff" * 9 + b"\x01", b"\x80\x80\x80\x80\x10", b"\xff\xff\xff\xff\x0f"]
            )
            b[i : i + len(ext)] = ext
            if keep_length:
                del b[len(buf) :]
        elif op == "insert":
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 8])))
        else:
            del b[i : i + rng.choice([1, 2, 8])]
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# The mutator

STRATEGIES = (
    "bytes-raw",
    "bytes-header",
    "bytes-manifest",
    "bytes-data",
    "field",
    "field",
    "field",
    "tensor",
    "tensor",
    "wire",
    "wire",
)


def mutate(file: bytes, rng: random.Random, donors: list[pb.Manifest]) -> tuple[bytes, list[str]]:
    """One mutant of the valid `file`: 1 to 3 changes of one strategy, repaired to pass the
    checksums (all but `bytes-raw`)."""
    strategy = rng.choice(STRATEGIES)
    parts = split(file)
    m = decode(parts[0]) if parts else None
    if parts is None or m is None:
        strategy = "bytes-raw"
    if strategy == "bytes-raw":
        return mutate_bytes(file, rng), ["bytes-raw"]
    manifest, data = parts
    if strategy == "bytes-header":
        b = bytearray(file)
        b[8:60] = mutate_bytes(bytes(b[8:60]), rng, keep_length=True)
        repair_header_crcs(b)
        return bytes(b), ["bytes-header"]
    if strategy == "bytes-manifest":
        return frame(mutate_bytes(manifest, rng), data), ["bytes-manifest"]
    if strategy == "bytes-data":
        data = mutate_bytes(data, rng, keep_length=True)
        repair_tensor_crcs(m, data)
        return frame(encode(m), data), ["bytes-data"]
    if strategy == "wire":
        done = mutate_wire(manifest, rng)
        if done is None:
            return frame(mutate_bytes(manifest, rng), data), ["bytes-manifest"]
        return frame(done[0], data), [f"wire: {done[1]}"]
    what: list[str] = []
    if strategy == "tensor":
        arrays = arrays_of(m, data)
        if arrays is not None:
            for _ in range(rng.choice([1, 1, 2])):
                w = mutate_tensor(m, arrays, rng)
                if w:
                    what.append(w)
            data = lay_out(m, arrays)
    else:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            w = mutate_field(m, rng, donors)
            if w:
                what.append(w)
    return frame(encode(m), data), [f"{strategy}: {w}" for w in what] or [f"{strategy}: nothing"]
