"""Findings and their analysis objects as JSON, so that a measurement is made once, stored
beside the runs, and read by every page that shows it (:func:`nslkit.claims.measured`).

:func:`encode` turns a value built of ``None``, bools, numbers, strings, lists, tuples, dicts,
NumPy arrays and scalars, and nslkit's dataclasses into plain JSON; :func:`decode` rebuilds it.
Floats keep every bit (JSON numbers in Python's shortest round-trip form; NaN and ±inf as
``NaN``/``Infinity``, which :mod:`json` reads back). A dataclass is rebuilt by calling it with its
``init`` fields, so derived fields (a finding's verdict) are recomputed by the same code, and only
classes defined in nslkit are rebuilt: a record cannot name arbitrary code.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import numpy as np

__all__ = ["encode", "decode"]

_TAG = "__nslkit__"


def encode(obj: Any) -> Any:
    """``obj`` as JSON-able data (see the module docstring); TypeError for anything else.

    Args:
        obj: the value (a finding, nslkit's dataclasses, arrays, numbers, containers).
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and not isinstance(obj, (np.integer, np.floating)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return {_TAG: "scalar", "dtype": obj.dtype.str, "value": float(obj)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"cannot store an array of dtype {obj.dtype} (numbers and bools only)")
        return {_TAG: "array", "dtype": obj.dtype.str, "shape": list(obj.shape), "data": obj.ravel().tolist()}
    if isinstance(obj, tuple):
        return {_TAG: "tuple", "items": [encode(x) for x in obj]}
    if isinstance(obj, list):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        return {_TAG: "dict", "items": [[encode(k), encode(v)] for k, v in obj.items()]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        if not cls.__module__.startswith("nslkit."):
            raise TypeError(f"cannot store a {cls.__module__}.{cls.__qualname__}: only nslkit's dataclasses")
        fields = {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return {_TAG: "dataclass", "class": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    raise TypeError(f"cannot store a {type(obj).__module__}.{type(obj).__qualname__}")


def decode(data: Any) -> Any:
    """The value :func:`encode` stored as ``data``.

    Args:
        data: what :func:`encode` made.
    """
    if isinstance(data, list):
        return [decode(x) for x in data]
    if not isinstance(data, dict):
        return data
    kind = data.get(_TAG)
    if kind == "scalar":
        return np.dtype(data["dtype"]).type(data["value"])
    if kind == "array":
        return np.asarray(data["data"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if kind == "tuple":
        return tuple(decode(x) for x in data["items"])
    if kind == "dict":
        return {_key(decode(k)): decode(v) for k, v in data["items"]}
    if kind == "dataclass":
        module, _, name = data["class"].partition(":")
        if not module.startswith("nslkit."):
            raise ValueError(f"a stored record names {data['class']!r}; only nslkit's dataclasses are rebuilt")
        cls = importlib.import_module(module)
        for part in name.split("."):
            cls = getattr(cls, part)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ValueError(f"a stored record names {data['class']!r}, which is not a dataclass")
        return cls(**{k: decode(v) for k, v in data["fields"].items()})
    raise ValueError(f"not a stored record: a dict without its {_TAG!r} tag (keys {sorted(data)[:5]})")


def _key(k: Any) -> Any:
    """A dict key as it was: lists (from tuples decoded) stay hashable as tuples."""
    return tuple(k) if isinstance(k, list) else k
