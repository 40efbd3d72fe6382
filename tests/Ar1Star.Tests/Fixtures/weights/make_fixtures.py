#!/usr/bin/env python3
"""Writes the dtype and layout fixtures of the weights tests, with CPython's own pickle and zipfile.

No torch here: the script stands in for torch.save by laying the bytes out the way
torch/serialization.py does (read from its source), because one case, the legacy form's
storage views (view_metadata), is no longer written by the PyTorch 1.13 of Debian 12. The
mobilenet_w1 fixtures beside these files are written by torch.save itself:
tools/torch-fixtures/make_torch_fixtures.py. Deterministic: running it again gives
byte-identical outputs.

    python3 make_fixtures.py            # writes the files beside this script

Outputs
  dtypes_legacy.pth, dtypes_zip.pth, dtypes.safetensors, dtypes_expected.json
                            float16 / bfloat16 / int64 / float32 tensors, a transposed view, a
                            storage offset, two tensors sharing one storage, a 0-dim counter,
                            a legacy storage view (view_metadata); the JSON lists every value
"""

import collections
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
PICKLE_PROTOCOL = 2  # torch.serialization.DEFAULT_PROTOCOL


# --- stand-ins for the torch globals that a checkpoint's pickle refers to -------------------

torch_module = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch_module._utils = torch_utils
sys.modules["torch"] = torch_module
sys.modules["torch._utils"] = torch_utils

DTYPES = {
    # name: (storage class name, struct format of one element, element size)
    "float32": ("FloatStorage", "f", 4),
    "float16": ("HalfStorage", "e", 2),
    "bfloat16": ("BFloat16Storage", None, 2),
    "int64": ("LongStorage", "q", 8),
}
STORAGE_CLASSES = {}
for _dtype, (_cls, _, _) in DTYPES.items():
    STORAGE_CLASSES[_dtype] = type(_cls, (), {"__module__": "torch"})
    setattr(torch_module, _cls, STORAGE_CLASSES[_dtype])


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks):
    raise AssertionError("never called: only pickled by reference")


_rebuild_tensor_v2.__module__ = "torch._utils"
_rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2


class Storage:
    """One typed storage: its elements as Python numbers, and the pointer torch would key it by."""

    def __init__(self, dtype, values, cdata):
        self.dtype = dtype
        self.values = list(values)
        self.cdata = cdata

    def raw(self):
        return b"".join(encode(self.dtype, v) for v in self.values)


class StorageView:
    """A storage that is a slice of another (torch < 1.x storage views; legacy form only)."""

    def __init__(self, root, offset, size, cdata):
        self.root, self.offset, self.size, self.cdata = root, offset, size, cdata
        self.dtype = root.dtype


class Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)

    def __reduce_ex__(self, protocol):
        # As torch.Tensor._reduce_ex_internal for a CPU strided tensor.
        return (_rebuild_tensor_v2,
                (self.storage, self.offset, self.shape, self.stride, False, collections.OrderedDict()))

    def values(self):
        """Row-major values, read through offset and strides as torch does."""
        storage_values = self.storage.values if isinstance(self.storage, Storage) else \
            self.storage.root.values[self.storage.offset:self.storage.offset + self.storage.size]
        out = []
        for index in all_indices(self.shape):
            out.append(storage_values[self.offset + sum(i * s for i, s in zip(index, self.stride))])
        return out


def all_indices(shape):
    if not shape:
        yield ()
        return
    for i in range(shape[0]):
        for rest in all_indices(shape[1:]):
            yield (i,) + rest


def encode(dtype, value):
    if dtype == "bfloat16":
        return struct.pack("<f", value)[2:]
    return struct.pack("<" + DTYPES[dtype][1], value)


def round_to(dtype, value):
    """The value a storage of this dtype holds after encoding (what a reader must return)."""
    if dtype == "bfloat16":
        return struct.unpack("<f", b"\0\0" + encode(dtype, value))[0]
    return struct.unpack("<" + DTYPES[dtype][1], encode(dtype, value))[0]


class Lcg:
    """A 64-bit linear congruential generator: values that do not depend on Python's random."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def uniform(self, low, high):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return low + (high - low) * ((self.state >> 11) / float(1 << 53))


def values(name, count, low, high, dtype="float32"):
    rng = Lcg(zlib.crc32(name.encode()))
    return [round_to(dtype, rng.uniform(low, high)) for _ in range(count)]


def state_dict(items):
    """An OrderedDict with the _metadata attribute that nn.Module.state_dict() attaches."""
    sd = collections.OrderedDict(items)
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


# --- the two on-disk forms, as torch/serialization.py writes them ---------------------------

def save_legacy(obj, path):
    storages = {}

    class LegacyPickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                storages[str(o.cdata)] = o
                return ("storage", STORAGE_CLASSES[o.dtype], str(o.cdata), "cpu", len(o.values), None)
            if isinstance(o, StorageView):
                storages[str(o.root.cdata)] = o.root
                return ("storage", STORAGE_CLASSES[o.dtype], str(o.root.cdata), "cpu", len(o.root.values),
                        (str(o.cdata), o.offset, o.size))
            return None

    sys_info = dict(protocol_version=PROTOCOL_VERSION, little_endian=True,
                    type_sizes=dict(short=2, int=4, long=8))
    with open(path, "wb") as f:
        pickle.dump(MAGIC_NUMBER, f, protocol=PICKLE_PROTOCOL)
        pickle.dump(PROTOCOL_VERSION, f, protocol=PICKLE_PROTOCOL)
        pickle.dump(sys_info, f, protocol=PICKLE_PROTOCOL)
        LegacyPickler(f, protocol=PICKLE_PROTOCOL).dump(obj)
        keys = sorted(storages.keys())  # strings, sorted as strings
        pickle.dump(keys, f, protocol=PICKLE_PROTOCOL)
        for key in keys:
            f.write(struct.pack("<q", len(storages[key].values)))
            f.write(storages[key].raw())


def save_zip(obj, path, archive_name):
    keys = {}  # storage id -> key, numbered in the order the pickler meets them
    storages = {}

    class ZipPickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                key = keys.setdefault(id(o), str(len(keys)))
                storages[key] = o
                return ("storage", STORAGE_CLASSES[o.dtype], key, "cpu", len(o.values))
            return None

    import io
    buffer = io.BytesIO()
    ZipPickler(buffer, protocol=PICKLE_PROTOCOL).dump(obj)
    records = [("data.pkl", buffer.getvalue()), ("byteorder", b"little")]
    records += [("data/" + key, storages[key].raw()) for key in sorted(storages)]
    records += [("version", b"3\n"), (".data/serialization_id", b"1234567890123456789012345678901234567890")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in records:
            write_aligned(z, archive_name + "/" + name, data)


def write_aligned(z, name, data):
    """A stored entry whose data starts on a 64-byte boundary, padded with an 'FB' extra field
    as PyTorchStreamWriter does (so a reader may map storages in place)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = z.fp.tell() + 30 + len(name.encode())
    padding = (-(start + 4)) % 64
    info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
    z.writestr(info, data)
    assert (info.header_offset + 30 + len(name.encode()) + len(info.extra)) % 64 == 0


def save_safetensors(tensors, path):
    """safetensors: u64 header length, JSON header, then the contiguous little-endian bytes."""
    names = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64"}
    header, blobs, offset = collections.OrderedDict(), [], 0
    header["__metadata__"] = {"format": "pt"}
    for name, (dtype, shape, vals) in tensors.items():
        blob = b"".join(encode(dtype, v) for v in vals)
        header[name] = {"dtype": names[dtype], "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# --- dtypes and layouts -------------------------------------------------------------------

class PointerSource:
    """Fake storage addresses, handed out so their string order differs from creation order."""

    def __init__(self):
        self.next = 0

    def __call__(self):
        self.next += 1
        return 94000000000000 + (self.next * 7919 % 1000) * 1000003 + self.next


def dtype_of(tensor):
    return tensor.storage.dtype


def dtype_cases():
    pointer = PointerSource()
    half = Storage("float16", values("half", 6, -2, 2, "float16"), pointer())
    bf16 = Storage("bfloat16", values("bf16", 5, -3, 3, "bfloat16"), pointer())
    longs = Storage("int64", [-7, 0, 3, 1 << 40, 12, 5], pointer())
    matrix = Storage("float32", values("matrix", 12, -1, 1), pointer())
    counter = Storage("int64", [42], pointer())
    return state_dict([
        ("half", Tensor(half, 0, (2, 3), (3, 1))),
        ("bf16", Tensor(bf16, 0, (5,), (1,))),
        ("longs", Tensor(longs, 0, (6,), (1,))),
        ("matrix", Tensor(matrix, 0, (3, 4), (4, 1))),
        # torch.save keeps a transpose as a stride swap over the same storage
        ("matrix_t", Tensor(matrix, 0, (4, 3), (1, 4))),
        # a slice: offset into the shared storage, columns 1..2 of rows 1..2
        ("matrix_slice", Tensor(matrix, 5, (2, 2), (4, 1))),
        ("bn.num_batches_tracked", Tensor(counter, 0, (), ())),
    ])


def write_dtypes():
    sd = dtype_cases()
    save_zip(sd, os.path.join(HERE, "dtypes_zip.pth"), "dtypes")
    # The legacy form also had storage views: one tensor over a slice [2, 5) of a storage.
    legacy = collections.OrderedDict(sd)
    legacy._metadata = sd._metadata
    root = Storage("float32", values("root", 8, -1, 1), 93000000000001)
    legacy["storage_view"] = Tensor(StorageView(root, 2, 3, 93000000000777), 1, (2,), (1,))
    save_legacy(legacy, os.path.join(HERE, "dtypes_legacy.pth"))
    save_safetensors(collections.OrderedDict(
        (name, (dtype_of(t), t.shape, t.values())) for name, t in sd.items()),
        os.path.join(HERE, "dtypes.safetensors"))
    expected = {name: {"shape": list(t.shape), "dtype": t.storage.dtype, "values": t.values()}
                for name, t in legacy.items()}
    with open(os.path.join(HERE, "dtypes_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    write_dtypes()
