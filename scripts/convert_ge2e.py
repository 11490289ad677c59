"""Convert Resemblyzer's GE2E speaker encoder (``resemblyzer/pretrained.pt``) to the numpy file
that ships in bland_clone/audio/models/ge2e.npy. Run once, by hand; never at run time.

    pip download --no-deps resemblyzer==0.1.4 -d /tmp/r && cd /tmp/r && unzip -q Resemblyzer-*.whl
    python scripts/convert_ge2e.py /tmp/r/resemblyzer/pretrained.pt
    python scripts/convert_ge2e.py old/ge2e.npz   # from the float16 archive shipped before

The checkpoint is a torch pickle in torch's legacy format (a run of pickles, then the raw
storages). It is read with ``pickle`` and numpy alone: torch's classes are replaced by small
stand-ins, so nothing from the file is executed and torch is not needed. Only the encoder's
weights are kept (the optimizer's state, 2/3 of the file, is dropped) and rounded to float16
(1.42 M parameters): the embeddings this gives match the float32 reference at a cosine of
0.9999 or more (scripts/check_ge2e.py). They are stored widened back to float32, already in the
layout the encoder multiplies by (:func:`layout`), as one array in one .npy file (5.7 MB):
voiceprint._weights maps it and slices it, in under a millisecond, where reading the float16
.npz archive shipped before and laying it out cost 14-20 ms at every cold start.
"""

from __future__ import annotations

import pickle
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "bland_clone" / "audio" / "models" / "ge2e.npy"
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


def layout(w: dict[str, np.ndarray]) -> np.ndarray:
    """The weights (float16 values, named as in KEEP with "_" for ".") as voiceprint._weights
    reads them: one float32 array holding, for each LSTM layer, W_ih^T, W_hh^T and the two
    biases summed, then the linear layer's W^T and bias. PyTorch stores the gates as input,
    forget, cell, output; they are reordered to input, forget, output, cell, so that one slice
    takes the three sigmoids."""
    f32 = np.float32
    h = w["lstm_weight_hh_l0"].shape[1]
    order = np.r_[0 : 2 * h, 3 * h : 4 * h, 2 * h : 3 * h]
    parts = []
    for i in range(3):
        parts += [
            np.ascontiguousarray(w[f"lstm_weight_ih_l{i}"][order].T, f32),
            np.ascontiguousarray(w[f"lstm_weight_hh_l{i}"][order].T, f32),
            (w[f"lstm_bias_ih_l{i}"].astype(f32) + w[f"lstm_bias_hh_l{i}"].astype(f32))[order],
        ]
    parts += [np.ascontiguousarray(w["linear_weight"].T, f32), w["linear_bias"].astype(f32)]
    return np.concatenate([p.ravel() for p in parts])


def main() -> None:
    src = Path(sys.argv[1])
    if src.suffix == ".npz":  # the float16 archive shipped before
        with np.load(src) as z:
            weights = {k: z[k] for k in z.files}
    else:
        weights = {k.replace(".", "_"): w.astype(np.float16) for k, w in load(src).items()}
    total = sum(w.size for w in weights.values())
    for k, w in weights.items():
        print(f"{k:20} {w.shape}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.save(OUT, layout(weights))
    print(f"{total} parameters -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
