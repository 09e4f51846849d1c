"""The container codec: framing, checksums, limits and tensors (spec/format.md).

This module knows bytes, the header, the manifest as a protobuf message and the tensor
table. It knows nothing about scikit-learn. `read_container` performs checks 1-14 of
spec/format.md section 3 in order; check 15 (the estimator tree) is `_tree.validate`.
`write_container` produces the canonical bytes of section 4.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from . import _wire
from ._errors import AmberError, FormatError
from ._proto.amber.v1 import amber_pb2 as pb
from ._tree import canonicalize, tensor_refs

MAGIC = b"\x89AMB\r\n\x1a\n"
HEADER_SIZE = 64
FORMAT_MAJOR = 1
FORMAT_MINOR = 0
#: Header layout: magic, major, minor, flags, manifest_length, data_offset, data_length,
#: file_length, manifest_crc32, reserved, header_crc32 (all little-endian).
_HEADER = struct.Struct("<8sHHIQQQQI8sI")
assert _HEADER.size == HEADER_SIZE
_U64_MAX = (1 << 64) - 1
#: Dimensions and byte lengths must stay below this (a signed 64-bit index, as numpy's).
_I64_LIMIT = 1 << 63

#: Default 64 MiB. Stops a header announcing a huge manifest from forcing a large
#: allocation before the manifest checksum is verified.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
#: MAX_TENSORS (65,536 tensor entries), MAX_MANIFEST_ITEMS (1,048,576 messages and elements
#: of repeated fields) and MAX_ESTIMATORS (65,536): counted by the wire walk of check 10,
#: before the manifest is decoded, since a decoded message costs far more memory than its
#: 2 bytes of manifest.
MAX_TENSORS = _wire.MAX_TENSORS
MAX_MANIFEST_ITEMS = _wire.MAX_MANIFEST_ITEMS
MAX_ESTIMATORS = _wire.MAX_ESTIMATORS
#: Default 8. Stops shapes with absurd rank.
MAX_RANK = 8

#: Required features this reader implements. Format 1.0 defines none.
SUPPORTED_FEATURES: frozenset[str] = frozenset()

#: DType enum value -> little-endian numpy dtype.
DTYPES: dict[int, np.dtype] = {
    pb.DTYPE_F64: np.dtype("<f8"),
    pb.DTYPE_F32: np.dtype("<f4"),
    pb.DTYPE_I64: np.dtype("<i8"),
    pb.DTYPE_I32: np.dtype("<i4"),
    pb.DTYPE_U8: np.dtype("u1"),
    pb.DTYPE_U32: np.dtype("<u4"),
    pb.DTYPE_U64: np.dtype("<u8"),
    pb.DTYPE_BOOL: np.dtype("?"),
}
_NUMPY_TO_DTYPE = {(dt.kind, dt.itemsize): code for code, dt in DTYPES.items()}


def align64(n: int) -> int:
    """The smallest multiple of 64 that is >= n."""
    return (n + 63) // 64 * 64


def crc32(data: bytes | memoryview) -> int:
    """CRC-32 (IEEE 802.3), as zlib computes it."""
    return zlib.crc32(data) & 0xFFFFFFFF


#: Checksum tensors in parallel threads (zlib releases the GIL) when they hold at least
#: this many bytes in all; below it, starting threads costs more than it saves.
PARALLEL_CRC_BYTES = 16 * 1024 * 1024


def _crcs(chunks: list[memoryview], max_workers: int = 4) -> list[int]:
    """crc32 of each chunk, each byte hashed once; large sets of chunks on several threads."""
    workers = min(len(chunks), os.cpu_count() or 1, max_workers)
    if workers < 2 or sum(len(c) for c in chunks) < PARALLEL_CRC_BYTES:
        return [crc32(c) for c in chunks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(crc32, chunks))


def dtype_name(code: int) -> str:
    """'DTYPE_F64' for a known code, the number otherwise."""
    try:
        return pb.DType.Name(code)
    except ValueError:
        return str(code)


@dataclass(frozen=True)
class Header:
    """The 64-byte header, field by field (spec/format.md section 1.1)."""

    major: int
    minor: int
    flags: int
    manifest_length: int
    data_offset: int
    data_length: int
    file_length: int
    manifest_crc32: int
    reserved: bytes
    header_crc32: int

    @classmethod
    def unpack(cls, raw: bytes | memoryview) -> Header:
        (_, *fields) = _HEADER.unpack(bytes(raw[:HEADER_SIZE]))
        return cls(*fields)


def pack_header(
    *,
    manifest_length: int,
    data_offset: int,
    data_length: int,
    file_length: int,
    manifest_crc32: int,
    major: int = FORMAT_MAJOR,
    minor: int = FORMAT_MINOR,
    flags: int = 0,
    reserved: bytes = bytes(8),
    magic: bytes = MAGIC,
) -> bytes:
    """Pack a header and compute its CRC. Does not check consistency (tests forge headers)."""
    head = _HEADER.pack(
        magic,
        major,
        minor,
        flags,
        manifest_length,
        data_offset,
        data_length,
        file_length,
        manifest_crc32,
        reserved,
        0,
    )[:60]
    return head + struct.pack("<I", crc32(head))


def frame(manifest_bytes: bytes, data: bytes, **header_fields: object) -> bytes:
    """Frame already-encoded manifest bytes and a data section into a file.

    The low-level half of the writer: it computes the header, the manifest CRC and the
    padding, but trusts `data` and the manifest's tensor table. `header_fields` override
    header fields (major, minor, flags, reserved, magic) to forge invalid files in tests.
    """
    return _head(manifest_bytes, len(data), **header_fields) + data


def _head(manifest_bytes: bytes, data_length: int, **header_fields: object) -> bytes:
    """Header, manifest and padding: everything before a data section of `data_length`."""
    data_offset = align64(HEADER_SIZE + len(manifest_bytes))
    header = pack_header(
        manifest_length=len(manifest_bytes),
        data_offset=data_offset,
        data_length=data_length,
        file_length=data_offset + data_length,
        manifest_crc32=crc32(manifest_bytes),
        **header_fields,  # type: ignore[arg-type]
    )
    padding = bytes(data_offset - HEADER_SIZE - len(manifest_bytes))
    return header + manifest_bytes + padding


@dataclass(frozen=True)
class Tensor:
    """One tensor to write: its name, DType code, shape and raw little-endian bytes.

    `data` is any bytes-like object; `from_array` gives a read-only byte view of the
    array (no copy), so the array must not change until the tensor is written.
    """

    name: str
    dtype: int
    shape: tuple[int, ...]
    data: bytes | memoryview

    @classmethod
    def from_array(cls, name: str, array: np.ndarray | np.generic) -> Tensor:
        """Encode a numpy array (or numpy scalar, as shape []) of a supported dtype."""
        arr = np.asarray(array)
        code = _NUMPY_TO_DTYPE.get((arr.dtype.kind, arr.dtype.itemsize))
        if code is None:
            raise AmberError(
                "E_UNSUPPORTED", f"tensor {name!r}: numpy dtype {arr.dtype} has no Amber dtype"
            )
        le = np.ascontiguousarray(arr, dtype=DTYPES[code]).reshape(-1).view(np.uint8)
        le.flags.writeable = False
        return cls(name, code, tuple(int(d) for d in arr.shape), memoryview(le))


_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)


def omit_negative_zeros(msg: Message) -> None:
    """Clear, in place, every singular `double` or `float` field without presence (proto3's
    implicit presence) that holds `-0.0`, in `msg` and every message nested in it: such a
    zero is a default value, omitted as `+0.0` is (spec/format.md section 4). prost, the
    Rust writer's runtime, omits it by comparing with `0.0`; protobuf's official runtimes
    (upb here) compare bits and would write it."""
    for f, v in msg.ListFields():
        if f.type == FieldDescriptor.TYPE_MESSAGE:
            for m in v if f.is_repeated else (v,):
                omit_negative_zeros(m)
        elif f.type in _FLOATS and v == 0.0 and not f.is_repeated and not f.has_presence:
            msg.ClearField(f.name)


def write_container(manifest: pb.Manifest, tensors: Iterable[Tensor]) -> bytes:
    """Encode `manifest` and `tensors` canonically (spec/format.md section 4); see
    `encode_container`."""
    return b"".join(encode_container(manifest, tensors))


def encode_container(manifest: pb.Manifest, tensors: Iterable[Tensor]) -> list[bytes | memoryview]:
    """The canonical bytes of `manifest` and `tensors` (spec/format.md section 4), as the
    consecutive pieces of the file: written out in turn, they are the file, with no copy of
    the tensors' data made to assemble it.

    The manifest's tensor table is rebuilt: entries are ordered by the depth-first order
    in which the estimator tree first refers to them (tensors it never refers to follow,
    in the order given); offsets, lengths and CRCs are computed here. Params and
    attributes are sorted by name. `manifest` is not modified.
    """
    by_name: dict[str, Tensor] = {}
    for t in tensors:
        if not t.name:
            raise AmberError("E_TENSOR_NAME", "a tensor has an empty name")
        if t.name in by_name:
            raise AmberError("E_TENSOR_NAME", f"tensor name {t.name!r} is repeated")
        by_name[t.name] = t
    out = pb.Manifest()
    out.CopyFrom(manifest)
    canonicalize(out)
    omit_negative_zeros(out)
    order: list[str] = []
    seen: set[str] = set()
    if out.HasField("estimator"):
        for ref in tensor_refs(out.estimator):
            if ref not in seen:
                if ref not in by_name:
                    raise AmberError("E_TENSOR_REF", f"the estimator refers to tensor {ref!r}")
                seen.add(ref)
                order.append(ref)
    order.extend(name for name in by_name if name not in seen)

    del out.tensors[:]
    chunks: list[bytes | memoryview] = []
    end = 0
    for name in order:
        t = by_name[name]
        offset = align64(end) if chunks else 0
        if offset > end:
            chunks.append(bytes(offset - end))
        chunks.append(t.data)
        end = offset + len(t.data)
        info = out.tensors.add()
        info.name = t.name
        info.dtype = t.dtype
        info.shape.extend(t.shape)
        info.offset = offset
        info.length = len(t.data)
    for info, crc in zip(out.tensors, _crcs([by_name[name].data for name in order])):
        info.crc32 = crc
    return [_head(out.SerializeToString(deterministic=True), end), *chunks]


@dataclass
class Container:
    """A checked file: header, decoded manifest and the data section."""

    header: Header
    manifest: pb.Manifest
    data: memoryview
    tensors: dict[str, pb.TensorInfo]

    def tensor_bytes(self, name: str) -> bytes:
        info = self.tensors[name]
        return bytes(self.data[info.offset : info.offset + info.length])

    def tensor(self, name: str) -> Tensor:
        info = self.tensors[name]
        return Tensor(name, info.dtype, tuple(info.shape), self.tensor_bytes(name))

    def array(self, name: str) -> np.ndarray:
        """A native-endian, writeable copy of a tensor (a numpy scalar's 0-d array for [])."""
        info = self.tensors[name]
        dtype = DTYPES[info.dtype]
        raw = self.tensor_bytes(name)
        if info.dtype == pb.DTYPE_BOOL and any(b > 1 for b in raw):
            raise AmberError("E_MODEL", f"tensor {name!r}: a bool byte is neither 0 nor 1")
        arr = np.frombuffer(raw, dtype=dtype).reshape(tuple(info.shape))
        return arr.astype(dtype.newbyteorder("="), copy=True)

    def view(self, name: str) -> np.ndarray:
        """A read-only view of a tensor in place (no copy), with its little-endian dtype."""
        info = self.tensors[name]
        dtype = DTYPES[info.dtype]
        count = info.length // dtype.itemsize
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=info.offset)
        return arr.reshape(tuple(info.shape))

    def all_tensors(self) -> list[Tensor]:
        return [self.tensor(name) for name in self.tensors]


def _fail(code: str, message: str) -> FormatError:
    return FormatError(code, message)


def read_container(
    buf: bytes | bytearray | memoryview,
    *,
    verify_tensor_checksums: bool = True,
    supported_features: frozenset[str] = SUPPORTED_FEATURES,
) -> Container:
    """Check `buf` against spec/format.md section 3, checks 1-14, in order."""
    container = _read_layout(buf, supported_features)
    if verify_tensor_checksums:
        table = container.manifest.tensors
        _compare_crcs(table, _crcs([container.data[t.offset : t.offset + t.length] for t in table]))
    return container


def open_container(
    buf: bytes | bytearray | memoryview,
    *,
    supported_features: frozenset[str] = SUPPORTED_FEATURES,
) -> tuple[Container, TensorChecksums]:
    """Checks 1-13 of spec/format.md section 3 now, check 14 (the tensor checksums) started
    in the background: the caller does check 15 and its decoding inside `with checksums:`,
    which waits for them (see `TensorChecksums`)."""
    container = _read_layout(buf, supported_features)
    return container, TensorChecksums(container.manifest.tensors, container.data)


def _compare_crcs(table: Sequence[pb.TensorInfo], crcs: Sequence[int]) -> None:
    """Check 14: the first tensor, in table order, whose checksum is not its stored one."""
    for t, got in zip(table, crcs):
        if got != t.crc32:
            raise _fail("E_TENSOR_CHECKSUM", f"tensor {t.name!r}: checksum does not match")


class TensorChecksums:
    """Check 14 of spec/format.md section 3, running beside the caller's work.

    A large file's checksums (PARALLEL_CRC_BYTES or more, on a machine with several cores)
    are computed on a background thread (zlib releases the GIL) while the caller goes on
    with check 15 and building the estimator, which read the same, already checked layout:
    the CRC pass then costs no time of its own. Used as a context manager around that work:
    leaving the block waits for the checksums and raises E_TENSOR_CHECKSUM for the first
    tensor that does not match, in place of any error raised inside the block, since check
    14 comes before check 15. So a file with several defects gets the code a reader checking
    in order gives, and nothing built from a file whose checksums fail is returned.
    """

    def __init__(self, table: Sequence[pb.TensorInfo], data: memoryview) -> None:
        self._table = list(table)
        chunks = [data[t.offset : t.offset + t.length] for t in self._table]
        self._crcs: list[int] = []
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        cores = os.cpu_count() or 1
        if cores < 2 or sum(len(c) for c in chunks) < PARALLEL_CRC_BYTES:
            self._crcs = [crc32(c) for c in chunks]
            return
        # One core is the caller's; the others (up to 3) hash.
        self._thread = threading.Thread(
            target=self._run, args=(chunks, min(cores - 1, 3)), name="amber-crc32", daemon=True
        )
        self._thread.start()

    def _run(self, chunks: list[memoryview], workers: int) -> None:
        try:
            self._crcs = _crcs(chunks, workers)
        except BaseException as exc:  # handed to the caller by wait()
            self._error = exc

    def wait(self) -> None:
        """Wait for the checksums; E_TENSOR_CHECKSUM for the first one that does not match."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error
        _compare_crcs(self._table, self._crcs)

    def __enter__(self) -> TensorChecksums:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self.wait()
        except FormatError as failure:
            raise failure from None  # check 14 comes first: it replaces the block's error


def _read_layout(
    buf: bytes | bytearray | memoryview, supported_features: frozenset[str]
) -> Container:
    """Checks 1-13 of spec/format.md section 3, in order."""
    view = memoryview(buf).cast("B")
    size = len(view)
    # 1. Magic.
    if size < len(MAGIC):
        if bytes(view) == MAGIC[:size]:
            raise _fail("E_TRUNCATED", f"the file is {size} bytes, shorter than the magic")
        raise _fail("E_MAGIC", "not an Amber file (bad magic)")
    if bytes(view[:8]) != MAGIC:
        hint = ""
        if bytes(view[:9]) == b"\x89AMB\r\r\n\x1a\r" or b"\r\r\n" in bytes(view[:9]):
            hint = " (LF was converted to CRLF: a text-mode transfer?)"
        elif bytes(view[:7]) == b"\x89AMB\n\x1a\n":
            hint = " (CRLF was converted to LF: a text-mode transfer?)"
        raise _fail("E_MAGIC", f"not an Amber file (bad magic){hint}")
    # 2. Header size.
    if size < HEADER_SIZE:
        raise _fail("E_TRUNCATED", f"the file is {size} bytes, shorter than the 64-byte header")
    # 3. Header checksum.
    h = Header.unpack(view)
    if crc32(view[:60]) != h.header_crc32:
        raise _fail("E_HEADER_CHECKSUM", "the header checksum does not match")
    # 4. Major version.
    if h.major != FORMAT_MAJOR:
        raise _fail(
            "E_VERSION",
            f"format version {h.major}.{h.minor} is not readable: this reader implements "
            f"{FORMAT_MAJOR}.x",
        )
    # 5. Header fields.
    if h.flags != 0:
        raise _fail("E_HEADER", f"reserved flags are set (0x{h.flags:08x})")
    if h.reserved != bytes(8):
        raise _fail("E_HEADER", "the reserved header bytes 52..60 are not zero")
    if h.data_offset != align64(HEADER_SIZE + h.manifest_length):
        raise _fail(
            "E_HEADER",
            f"data_offset {h.data_offset} is not align64(64 + manifest_length {h.manifest_length})",
        )
    if h.data_offset + h.data_length > _U64_MAX or h.file_length != (h.data_offset + h.data_length):
        raise _fail(
            "E_HEADER",
            f"file_length {h.file_length} is not data_offset {h.data_offset} + "
            f"data_length {h.data_length}",
        )
    # 6. File length.
    if size < h.file_length:
        raise _fail("E_TRUNCATED", f"the file is {size} bytes, the header says {h.file_length}")
    if size > h.file_length:
        raise _fail(
            "E_TRAILING_BYTES",
            f"{size - h.file_length} bytes follow the end of the file ({h.file_length} bytes)",
        )
    # 7. Manifest size.
    if h.manifest_length > MAX_MANIFEST_BYTES:
        raise _fail(
            "E_LIMIT",
            f"manifest_length {h.manifest_length} exceeds MAX_MANIFEST_BYTES {MAX_MANIFEST_BYTES}",
        )
    # 8. Manifest checksum.
    manifest_end = HEADER_SIZE + h.manifest_length
    manifest_bytes = view[HEADER_SIZE:manifest_end]
    if crc32(manifest_bytes) != h.manifest_crc32:
        raise _fail("E_MANIFEST_CHECKSUM", "the manifest checksum does not match")
    # 9. Manifest padding.
    if any(view[manifest_end : h.data_offset]):
        raise _fail("E_PADDING", "a padding byte after the manifest is not zero")
    # 10. Manifest decoding: the strict wire profile and the item limits, then the runtime.
    raw_manifest = bytes(manifest_bytes)
    _wire.check(raw_manifest)
    manifest = pb.Manifest()
    try:
        manifest.ParseFromString(raw_manifest)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise _fail("E_MANIFEST_DECODE", f"the manifest is not a valid Manifest: {exc}") from None
    # 11. Required features.
    for feature in manifest.required_features:
        if feature not in supported_features:
            raise _fail("E_FEATURE", f"required feature {feature!r} is not implemented")
    # 12. Tensor table (MAX_TENSORS was checked by the wire walk of check 10).
    table = manifest.tensors
    tensors: dict[str, pb.TensorInfo] = {}
    prescribed = 0
    for i, t in enumerate(table):
        if not t.name:
            raise _fail("E_TENSOR_NAME", f"tensor {i} has an empty name")
        if t.name in tensors:
            raise _fail("E_TENSOR_NAME", f"tensor name {t.name!r} is repeated")
        if t.dtype not in DTYPES:
            raise _fail("E_DTYPE", f"tensor {t.name!r}: dtype {dtype_name(t.dtype)} is not valid")
        if len(t.shape) > MAX_RANK:
            raise _fail(
                "E_LIMIT", f"tensor {t.name!r}: rank {len(t.shape)} exceeds MAX_RANK {MAX_RANK}"
            )
        count = 1
        for d in t.shape:
            count *= d
        nbytes = count * DTYPES[t.dtype].itemsize
        if any(d >= _I64_LIMIT for d in t.shape) or nbytes >= _I64_LIMIT:
            raise _fail(
                "E_SHAPE",
                f"tensor {t.name!r}: shape {list(t.shape)}: a dimension or the byte length is "
                "2^63 or more",
            )
        if t.length != nbytes:
            raise _fail(
                "E_SHAPE",
                f"tensor {t.name!r}: length {t.length} but shape {list(t.shape)} of "
                f"{dtype_name(t.dtype)} needs {nbytes}",
            )
        if i > 0:
            prev = table[i - 1]
            prescribed = align64(prev.offset + prev.length)
        if t.offset != prescribed:
            raise _fail(
                "E_TENSOR_LAYOUT", f"tensor {t.name!r}: offset {t.offset}, expected {prescribed}"
            )
        if t.offset + t.length > h.data_length:
            raise _fail(
                "E_TENSOR_LAYOUT",
                f"tensor {t.name!r} ends at {t.offset + t.length}, past data_length "
                f"{h.data_length}",
            )
        tensors[t.name] = t
    expected_data_length = table[-1].offset + table[-1].length if len(table) else 0
    if h.data_length != expected_data_length:
        raise _fail(
            "E_TENSOR_LAYOUT",
            f"data_length {h.data_length}, but the tensors end at {expected_data_length}",
        )
    data = view[h.data_offset : h.file_length]
    # 13. Data padding.
    end = 0
    for t in table:
        if any(data[end : t.offset]):
            raise _fail("E_PADDING", f"a padding byte before tensor {t.name!r} is not zero")
        end = t.offset + t.length
    return Container(h, manifest, data, tensors)


def reencode(container: Container) -> bytes:
    """Write a checked container back with the canonical writer (the testee's reencode)."""
    return write_container(container.manifest, container.all_tensors())


__all__: Sequence[str] = [
    "MAGIC",
    "MAX_ESTIMATORS",
    "MAX_MANIFEST_BYTES",
    "MAX_MANIFEST_ITEMS",
    "MAX_RANK",
    "MAX_TENSORS",
    "Container",
    "Header",
    "Tensor",
    "TensorChecksums",
    "align64",
    "crc32",
    "encode_container",
    "frame",
    "open_container",
    "pack_header",
    "read_container",
    "reencode",
    "write_container",
]
