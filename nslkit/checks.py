"""Input checks shared by every layer. Each returns the checked value or raises ValueError that
names the bad value and what is valid, so no module writes these tests again."""
from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterable

import numpy as np

__all__ = ["integer", "number", "choice", "parse_list"]


def integer(value: Any, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum]; bools and non-integers are refused.

    Args:
        value: the value to check.
        name: what it is, for the error message.
        minimum: the least valid value (default 1).
        maximum: the greatest valid value; None for no bound.

    Raises:
        ValueError: naming ``name``, the value and the valid range.
    """
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if ok and value >= minimum and (maximum is None or value <= maximum):
        return int(value)
    if maximum is not None:
        what = f"an integer in [{minimum}, {maximum}]"
    else:
        what = {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"an integer ≥ {minimum}")
    raise ValueError(f"{name} must be {what}, got {value!r}")


def number(value: Any, name: str, positive: bool = False) -> float:
    """``value`` as a finite float; bools are refused.

    Args:
        value: the value to check.
        name: what it is, for the error message.
        positive: also require value > 0.

    Raises:
        ValueError: naming ``name`` and the value.
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def choice(value: Any, name: str, valid: Iterable[Any]) -> Any:
    """``value`` if it is one of ``valid``.

    Args:
        value: the value to check.
        name: what it is, for the error message.
        valid: the valid values.

    Raises:
        ValueError: naming the value and listing the valid ones.
    """
    valid = tuple(valid)
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid values: {', '.join(map(str, valid))}")
    return value


def parse_list(value: Any, item: Callable[[Any], Any] = str) -> list:
    """A notebook's list parameter as a list.

    Args:
        value: a list or tuple as given, one value, or papermill's ``-p`` text: one value
            (``-p widths 10``) or a JSON list (``-p widths "[10, 20]"``).
        item: applied to each entry (default str).

    Example:
        >>> parse_list("[10, 20]", int), parse_list("10", int), parse_list(["silu", "relu"])
        ([10, 20], [10], ['silu', 'relu'])
    """
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else [value]
    elif not isinstance(value, (list, tuple)):
        value = [value]
    return [item(v) for v in value]
