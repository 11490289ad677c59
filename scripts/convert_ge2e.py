"""Convert Resemblyzer's GE2E speaker encoder (``resemblyzer/pretrained.pt``) to the numpy file
that ships in bland_clone/audio/models/ge2e.npz. Run once, by hand; never at run time.

    pip download --no-deps resemblyzer==0.1.4 -d /tmp/r && cd /tmp/r && unzip -q Resemblyzer-*.whl
    python scripts/convert_ge2e.py /tmp/r/resemblyzer/pretrained.pt

The checkpoint is a torch pickle in torch's legacy format (a run of pickles, then the raw
storages). It is read with ``pickle`` and numpy alone: torch's classes are replaced by small
stand-ins, so nothing from the file is executed and torch is not needed. Only the encoder's
weights are kept (the optimizer's state, 2/3 of the file, is dropped), stored as float16:
1.42 M parameters, about 2.8 MB. The embeddings this gives match the float32 reference at a
cosine of 0.9999 or more (scripts/check_ge2e.py).
"""

from __future__ import annotations

import pickle
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "bland_clone" / "audio" / "models" / "ge2e.npz"
DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
KEEP = [
    f"lstm.{k}_l{i}" for i in range(3) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
] + ["linear.weight", "linear.bias"]


class _Storage:
    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(self, key: str, offset: int, size: tuple[int, ...], stride: tuple[int, ...]):
        self.key, self.offset, self.size, self.stride = key, offset, size, stride


def _storage_type(name: str) -> Any:
    return lambda: name


def _rebuild(storage: Any, offset: int, size: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(f)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild
        if module == "torch" and name in DTYPES:
            return name
        raise pickle.UnpicklingError(f"unexpected class in checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0]
        if kind == "module":
            return None
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        storage_type, key, _location, _numel, view = pid[1:6]
        if view is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _Storage(DTYPES[storage_type])
        return key


class _Plain(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected class in header: {module}.{name}")


def load(path: Path) -> dict[str, np.ndarray]:
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as f:
        magic = _Plain(f).load()
        if magic != 0x1950A86A20F9469CFC6C:
            raise SystemExit(f"{path}: not a legacy torch checkpoint")
        _Plain(f).load()  # protocol version
        _Plain(f).load()  # sys info
        root = _Unpickler(f, storages).load()
        keys = _Plain(f).load()
        for key in keys:
            st = storages[key]
            n = int(np.frombuffer(f.read(8), "<i8")[0])
            st.data = np.frombuffer(f.read(n * np.dtype(st.dtype).itemsize), st.dtype)
    state = root["model_state"]
    out: dict[str, np.ndarray] = {}
    for name in KEEP:
        t = state[name]
        data = storages[t.key].data
        assert data is not None
        itemsize = data.dtype.itemsize
        arr = np.lib.stride_tricks.as_strided(
            data[t.offset :], t.size, tuple(s * itemsize for s in t.stride)
        )
        out[name] = np.array(arr, np.float32)
    return out


def main() -> None:
    src = Path(sys.argv[1])
    weights = load(src)
    total = sum(w.size for w in weights.values())
    for k, w in weights.items():
        print(f"{k:20} {w.shape}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # stored, not deflated: deflate saved 7% and cost 34 ms of CPU at every load
    np.savez(OUT, **{k.replace(".", "_"): w.astype(np.float16) for k, w in weights.items()})
    print(f"{total} parameters -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
