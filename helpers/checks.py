"""Argument checks shared by every helper: one place, one wording.

Each check returns the validated (and, where it says so, converted) value, or
raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind, wrong
value) with a message that names the argument, says what was expected and
shows what was received. Learners meet these messages, so they also say what
was probably meant (``x / 255``, a softmax, ``argmax``) where a slip is common.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    """A short description of ``value`` for error messages (type, and shape for arrays)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def integer(value: Any, argument: str, minimum: int | None = None,
            maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in [minimum, maximum]; bool is refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{argument} must be an integer, got {describe(value)}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{argument} must be at least {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{argument} must be at most {maximum:,}, got {value:,}.")
    return value


def positive_int(value: Any, argument: str, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` ≥ 1 (and ≤ ``maximum`` when given)."""
    return integer(value, argument, minimum=1, maximum=maximum)


def number(value: Any, argument: str, low: float | None = None, high: float | None = None,
           *, low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a finite ``float`` within the given bounds (closed unless ``*_open``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating,
                                                                     np.integer)):
        raise TypeError(f"{argument} must be a number, got {describe(value)}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{argument} must be a finite number, got {value}.")
    interval = f"{'(' if low_open else '['}{'-inf' if low is None else low}, " \
               f"{'inf' if high is None else high}{')' if high_open else ']'}"
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{argument} must lie in {interval}, got {value}.")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{argument} must lie in {interval}, got {value}.")
    return value


def boolean(value: Any, argument: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not a string such as ``"no"``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False, got {describe(value)}.")
    return bool(value)


def one_of(value: Any, argument: str, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices`` (``True`` does not count as ``1``)."""
    is_bool = isinstance(value, (bool, np.bool_))
    known = not isinstance(value, (np.ndarray, list, dict, set)) and any(
        isinstance(c, bool) == is_bool and c == value for c in choices)
    if not known:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{argument} must be one of {listed}; got {describe(value)}.")
    return value


def text(value: Any, argument: str) -> str:
    """Return ``value`` if it is a non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a string, got {describe(value)}.")
    if not value.strip():
        raise ValueError(f"{argument} must not be empty.")
    return value


def file_stem(value: Any, argument: str) -> str:
    """Return ``value`` if it can name a file: a non-empty string without path separators."""
    value = text(value, argument)
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError(f"{argument} must be a plain file name such as 'lenet5_mnist', got {value!r}.")
    return value


def array(value: Any, argument: str, ndim: int | Sequence[int] | None = None,
          allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a NumPy array of a numeric dtype, with the given rank(s)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        raise TypeError(f"{argument} must be an array, got {describe(value)}.")
    try:
        result = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise ValueError(f"{argument} must be a rectangular array: {error}") from None
    if result.dtype == object or not (np.issubdtype(result.dtype, np.number)
                                      or result.dtype == np.bool_):
        raise TypeError(f"{argument} must hold numbers, got dtype {result.dtype}.")
    ranks = (ndim,) if isinstance(ndim, int) else ndim
    if ranks is not None and result.ndim not in ranks:
        expected = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{argument} must have {expected} dimensions, got shape {result.shape}.")
    if not allow_empty and result.size == 0:
        raise ValueError(f"{argument} is empty (shape {result.shape}); expected at least one element.")
    return result


def finite(values: np.ndarray, argument: str) -> np.ndarray:
    """Return ``values`` if no entry is NaN or infinite."""
    if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        raise ValueError(f"{argument} must be finite, but {bad:,} of its values are NaN or infinite.")
    return values


def same_length(first: Any, first_argument: str, second: Any, second_argument: str) -> None:
    """Raise unless ``first`` and ``second`` have the same length."""
    for value, argument in ((first, first_argument), (second, second_argument)):
        if not hasattr(value, "__len__") or isinstance(value, (str, bytes)):
            raise TypeError(f"{argument} must have a length (an array or a list), got "
                            f"{describe(value)}.")
    if len(first) != len(second):
        raise ValueError(f"{first_argument} and {second_argument} must have the same length, "
                         f"got {len(first):,} and {len(second):,}.")


def images(value: Any, argument: str = "images", scale: str | None = None,
           channels: Sequence[int] = (1, 3)) -> np.ndarray:
    """Return ``value`` as a batch of images shaped (N, H, W) or (N, H, W, C).

    ``scale``: ``"unit"`` requires floats in [0, 1], ``"uint8"`` requires uint8
    0–255, ``None`` accepts either (but still refuses NaN and floats outside
    [0, 1], which matplotlib would clip and models would misread).
    """
    result = array(value, argument, ndim=(3, 4))
    if result.ndim == 4 and result.shape[-1] not in channels:
        raise ValueError(f"{argument} must be shaped (N, H, W) or (N, H, W, C) with C in "
                         f"{tuple(channels)}, got {result.shape}.")
    return pixel_values(result, argument, scale)


def pixel_values(values: np.ndarray, argument: str, scale: str | None = None) -> np.ndarray:
    """Check that pixel values use one of the two conventions: uint8 0–255 or floats in [0, 1]."""
    if scale not in (None, "unit", "uint8"):
        raise ValueError(f"scale must be None, 'unit' or 'uint8', got {scale!r}.")
    if values.dtype == np.uint8:
        if scale == "unit":
            raise ValueError(f"{argument} must be float images in [0, 1], got uint8 (0–255): "
                             f"convert with {argument}.astype('float32') / 255.")
        return values
    if scale == "uint8":
        raise ValueError(f"{argument} must be uint8 images (0–255), as the dataset loaders "
                         f"return them; got dtype {values.dtype}.")
    if np.issubdtype(values.dtype, np.integer) and scale is None:  # e.g. int64 0–255 for a plot
        if values.min() < 0 or values.max() > 255:
            raise ValueError(f"{argument} must hold pixel values 0–255 when it holds integers, "
                             f"got values from {values.min()} to {values.max()}.")
        return values
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"{argument} must be uint8 (0–255) or float in [0, 1], got dtype "
                         f"{values.dtype}.")
    low, high = float(values.min()), float(values.max())  # NaN and ±inf show in these two
    if not (math.isfinite(low) and math.isfinite(high)):
        finite(values, argument)  # raises, counting them (a pass over a large array spared otherwise)
    if low < 0 or high > 1:
        hint = (" It looks like 0–255 pixel values: divide by 255 first."
                if high > 1 and high <= 255 and low >= 0 else "")
        raise ValueError(f"{argument} must hold float pixel values in [0, 1], got values from "
                         f"{low:g} to {high:g}.{hint}")
    return values


def labels(value: Any, argument: str = "labels", num_classes: int | None = None) -> np.ndarray:
    """Return integer class labels as a flat (N,) array; accepts (N,) or (N, 1).

    One-hot rows and float labels are refused with a hint; with ``num_classes``
    every label must lie in 0..num_classes − 1.
    """
    result = array(value, argument, ndim=(1, 2))
    if result.ndim == 2:
        if result.shape[1] != 1:
            raise ValueError(f"{argument} must be class indices shaped (N,) or (N, 1), got shape "
                             f"{result.shape}; for one-hot labels pass {argument}.argmax(axis=1).")
        result = result[:, 0]
    if not np.issubdtype(result.dtype, np.integer):
        if np.issubdtype(result.dtype, np.floating) and np.all(np.isfinite(result)) \
                and np.all(result == np.round(result)):
            hint = f" (they are whole numbers: use {argument}.astype(int))"
        else:
            hint = ""
        raise TypeError(f"{argument} must be integer class indices, got dtype {result.dtype}{hint}.")
    if num_classes is not None and (result.min() < 0 or result.max() >= num_classes):
        raise ValueError(f"{argument} must lie in 0..{num_classes - 1} (one per class), got values "
                         f"from {result.min()} to {result.max()}.")
    return result


def class_names(value: Any, argument: str = "class_names") -> tuple[str, ...]:
    """Return ``value`` as a tuple of at least two distinct, non-empty strings."""
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{argument} must be a sequence of class names, got {describe(value)}.")
    names = tuple(value)
    if len(names) < 2:
        raise ValueError(f"{argument} must name at least two classes, got {len(names)}.")
    if not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"{argument} must hold non-empty strings, got {names!r}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{argument} must not repeat a name, got {names!r}.")
    return names


def names(value: Any, argument: str, count: int | None = None) -> tuple[str, ...]:
    """Return ``value`` as a tuple of strings (titles, channel names), ``count`` of them if given."""
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{argument} must be a sequence of strings, got {describe(value)}.")
    result = tuple(value)
    if not all(isinstance(n, str) for n in result):
        raise TypeError(f"{argument} must hold strings, got {describe(value)}.")
    if count is not None and len(result) != count:
        raise ValueError(f"{argument} has {len(result)} names for {count} "
                         f"{'channel' if 'channel' in argument else 'item'}s.")
    return result


def probabilities(value: Any, argument: str = "probabilities", rows: int | None = None,
                  columns: int | None = None, tolerance: float = 1e-3) -> np.ndarray:
    """Return class probabilities shaped (N, classes): finite, ≥ 0, each row summing to 1.

    Logits (negative values, rows that do not sum to 1) are refused with a hint
    to apply a softmax.
    """
    result = finite(array(value, argument, ndim=2).astype(np.float64), argument)
    if rows is not None and len(result) != rows:
        raise ValueError(f"{argument} must have one row per example ({rows:,}), got {len(result):,}.")
    if columns is not None and result.shape[1] != columns:
        raise ValueError(f"{argument} must have one column per class ({columns}), got "
                         f"{result.shape[1]}.")
    sums = result.sum(axis=1)
    if result.min() < 0 or np.max(np.abs(sums - 1)) > tolerance:
        raise ValueError(
            f"{argument} must be probabilities (each row ≥ 0 and summing to 1), got values from "
            f"{result.min():.3g} to {result.max():.3g} and row sums from {sums.min():.3g} to "
            f"{sums.max():.3g}. If these are logits (a last layer without softmax), apply "
            "keras.activations.softmax or use helpers.evaluation.class_probabilities.")
    return result
