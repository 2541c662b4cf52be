"""Minimal ONNX reader: the few protobuf messages ``weights-from-onnx`` needs, without onnx/protobuf.

Decodes the protobuf wire format directly (varints, length-delimited fields, fixed32/64) for

* ``ModelProto.graph`` (field 7),
* ``GraphProto``: node (1), name (2), initializer (5), input (11), output (12),
* ``NodeProto``: input (1), output (2), name (3), op_type (4), attribute (5),
* ``AttributeProto``: name (1), f (2), i (3), s (4), t (5), floats (7), ints (8),
* ``TensorProto``: dims (1), data_type (2), float_data (4), int32_data (5), int64_data (7),
  name (8), raw_data (9), double_data (10), data_location (14).

Tensors become numpy arrays (float32/64, int32/64, int8/16, uint8, bool). Tensors stored as
external data are refused with a specific error (the exporter never writes them). Unknown fields
are skipped, as protobuf requires.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import S5Error


class OnnxReadError(S5Error):
    code = "bad_onnx"


# TensorProto.DataType -> numpy dtype
_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
           7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}


@dataclass
class Node:
    name: str
    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)


@dataclass
class Graph:
    nodes: list[Node]
    initializers: dict[str, np.ndarray]
    inputs: list[str]
    outputs: list[str]

    def consumers(self, value: str) -> list[Node]:
        return [n for n in self.nodes if value in n.inputs]

    def producer(self, value: str) -> Node | None:
        for n in self.nodes:
            if value in n.outputs:
                return n
        return None


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise OnnxReadError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise OnnxReadError("varint too long")


def _fields(buf: memoryview):
    """Yield (field number, wire type, value) where value is an int (varint/fixed) or a memoryview."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            if pos + 8 > end:
                raise OnnxReadError("truncated fixed64")
            val = buf[pos:pos + 8]
            pos += 8
        elif wt == 2:
            n, pos = _varint(buf, pos)
            if pos + n > end:
                raise OnnxReadError(f"truncated length-delimited field {num}")
            val = buf[pos:pos + n]
            pos += n
        elif wt == 5:
            if pos + 4 > end:
                raise OnnxReadError("truncated fixed32")
            val = buf[pos:pos + 4]
            pos += 4
        else:
            raise OnnxReadError(f"unsupported protobuf wire type {wt} (field {num})")
        yield num, wt, val


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _packed_varints(val, wt) -> list[int]:
    if wt == 0:
        return [_signed64(val)]
    out, pos = [], 0
    while pos < len(val):
        v, pos = _varint(val, pos)
        out.append(_signed64(v))
    return out


def _str(val) -> str:
    return bytes(val).decode("utf-8")


def parse_tensor(buf: memoryview) -> tuple[str, np.ndarray]:
    dims: list[int] = []
    dtype = 0
    name = ""
    raw = None
    floats: list[float] = []
    doubles: list[float] = []
    ints: list[int] = []
    external = False
    for num, wt, val in _fields(buf):
        if num == 1:
            dims += _packed_varints(val, wt)
        elif num == 2:
            dtype = val
        elif num == 4:
            floats += list(struct.unpack(f"<{len(val) // 4}f", val)) if wt == 2 else \
                [struct.unpack("<f", val)[0]]
        elif num in (5, 7):
            ints += _packed_varints(val, wt)
        elif num == 8:
            name = _str(val)
        elif num == 9:
            raw = bytes(val)
        elif num == 10:
            doubles += list(struct.unpack(f"<{len(val) // 8}d", val)) if wt == 2 else \
                [struct.unpack("<d", val)[0]]
        elif num == 14:
            external = val == 1
    if external:
        raise OnnxReadError(f"tensor {name!r} is stored as external data; not supported")
    if dtype not in _DTYPES:
        raise OnnxReadError(f"tensor {name!r} has unsupported data type {dtype}")
    np_dtype = np.dtype(_DTYPES[dtype]).newbyteorder("<")
    if raw is not None:
        arr = np.frombuffer(raw, dtype=np_dtype).copy()
    elif dtype == 1:
        arr = np.asarray(floats, dtype=np.float32)
    elif dtype == 11:
        arr = np.asarray(doubles, dtype=np.float64)
    else:
        arr = np.asarray(ints, dtype=_DTYPES[dtype])
    count = int(np.prod(dims)) if dims else 1
    if arr.size != count:
        raise OnnxReadError(f"tensor {name!r}: {arr.size} values for dims {dims}")
    return name, arr.astype(_DTYPES[dtype]).reshape(dims)


def _parse_attribute(buf: memoryview) -> tuple[str, object]:
    name, value = "", None
    ints: list[int] = []
    floats: list[float] = []
    for num, wt, val in _fields(buf):
        if num == 1:
            name = _str(val)
        elif num == 2:
            value = struct.unpack("<f", val)[0]
        elif num == 3:
            value = _signed64(val)
        elif num == 4:
            value = bytes(val)
        elif num == 5:
            value = parse_tensor(val)[1]
        elif num == 7:
            floats += list(struct.unpack(f"<{len(val) // 4}f", val)) if wt == 2 else \
                [struct.unpack("<f", val)[0]]
        elif num == 8:
            ints += _packed_varints(val, wt)
    if value is None and ints:
        value = ints
    if value is None and floats:
        value = floats
    return name, value


def _parse_node(buf: memoryview) -> Node:
    node = Node("", "", [], [])
    for num, _wt, val in _fields(buf):
        if num == 1:
            node.inputs.append(_str(val))
        elif num == 2:
            node.outputs.append(_str(val))
        elif num == 3:
            node.name = _str(val)
        elif num == 4:
            node.op_type = _str(val)
        elif num == 5:
            k, v = _parse_attribute(val)
            node.attrs[k] = v
    return node


def _value_info_name(buf: memoryview) -> str:
    for num, _wt, val in _fields(buf):
        if num == 1:
            return _str(val)
    return ""


def parse_graph(buf: memoryview) -> Graph:
    g = Graph([], {}, [], [])
    for num, _wt, val in _fields(buf):
        if num == 1:
            g.nodes.append(_parse_node(val))
        elif num == 5:
            name, arr = parse_tensor(val)
            g.initializers[name] = arr
        elif num == 11:
            g.inputs.append(_value_info_name(val))
        elif num == 12:
            g.outputs.append(_value_info_name(val))
    return g


def read_onnx(path) -> Graph:
    """Parse ``path`` (an ONNX ModelProto) into a :class:`Graph`."""
    path = Path(path)
    try:
        data = memoryview(path.read_bytes())
    except OSError as exc:
        raise OnnxReadError(f"cannot read {path}: {exc}") from exc
    graph = None
    try:
        for num, wt, val in _fields(data):
            if num == 7 and wt == 2:
                graph = parse_graph(val)
    except OnnxReadError as exc:
        raise OnnxReadError(f"{path}: not a readable ONNX model ({exc})") from exc
    if graph is None:
        raise OnnxReadError(f"{path}: no graph in the ONNX model (is this an ONNX file?)")
    return graph
