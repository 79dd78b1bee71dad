"""Reference convolution and pooling in plain NumPy, the output-size formula, classic kernels.

These are written to be read and to be checked against TensorFlow, not to be
fast. Layouts follow TensorFlow: images (H, W) or (H, W, C); kernels
(KH, KW) or (KH, KW, C_in, C_out). Like ``tf.nn.conv2d`` they compute a
cross-correlation (the kernel is not flipped).
"""

from __future__ import annotations

import math

import numpy as np

from . import checks

MAX_PADDING = 4_096  # pixels added along one axis; beyond that a slip, and np.pad runs out of memory
Padding = str | int | tuple  # "valid" | "same" | p | (ph, pw) | ((top, bottom), (left, right))

KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": np.full((3, 3), 1 / 9),
    "gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}


def kernel(name: str) -> np.ndarray:
    """Return a fresh float32 copy of the classic 3×3 kernel called ``name``."""
    checks.one_of(name, "name", tuple(KERNELS))
    return np.asarray(KERNELS[name], dtype=np.float32).copy()


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution or pooling: ``floor((n - k + 2·padding) / stride) + 1``."""
    for argument, value, minimum in (("n", n, 1), ("k", k, 1), ("stride", stride, 1),
                                      ("padding", padding, 0)):
        checks.integer(value, argument, minimum=minimum)
    if k > n + 2 * padding:
        raise ValueError(f"kernel size k={k} is larger than the padded input n + 2·padding = "
                         f"{n + 2 * padding}.")
    return (n - k + 2 * padding) // stride + 1


def same_padding(n: int, k: int, stride: int = 1) -> tuple[int, int]:
    """Padding (before, after) that TensorFlow's ``padding="same"`` adds along one axis.

    The output length is ``ceil(n / stride)``; the total padding that needs is
    split with the extra pixel, if any, after (bottom/right).
    """
    for argument, value in (("n", n), ("k", k), ("stride", stride)):
        checks.integer(value, argument, minimum=1)
    total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def conv2d(x, kernels, stride: int | tuple[int, int] = 1, padding: Padding = "valid",
           bias=None) -> np.ndarray:
    """Cross-correlate image ``x`` with ``kernels`` – what a Conv2D layer computes.

    ``x`` (H, W) or (H, W, C_in); ``kernels`` (KH, KW) for one channel in and
    out, or (KH, KW, C_in, C_out). Returns (OH, OW) for a 2-D image with a 2-D
    kernel, else (OH, OW, C_out); float64.

    Each output pixel is the weighted sum of the input window under the kernel.
    Computed here kernel position by kernel position: for every (i, j), the
    strided slice of the input that meets weight ``kernels[i, j]`` is added in.
    """
    x, kernels, squeeze = _as_conv_arrays(x, kernels)
    kh, kw, c_in, c_out = kernels.shape
    sh, sw = _pair("stride", stride)
    (top, bottom), (left, right) = _resolve_padding(padding, x.shape[:2], (kh, kw), (sh, sw))
    padded = np.pad(x, ((top, bottom), (left, right), (0, 0)))
    oh = conv_output_size(padded.shape[0], kh, sh)
    ow = conv_output_size(padded.shape[1], kw, sw)
    out = np.zeros((oh, ow, c_out))
    for i in range(kh):
        for j in range(kw):
            patch = padded[i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]
            out += patch @ kernels[i, j]  # (OH, OW, C_in) @ (C_in, C_out)
    if bias is not None:
        bias = checks.finite(checks.array(bias, "bias").astype(np.float64), "bias").reshape(-1)
        if bias.shape != (c_out,):
            raise ValueError(f"bias must hold one value per output channel ({c_out}), "
                             f"got shape {bias.shape}.")
        out += bias
    return out[:, :, 0] if squeeze else out


def pool2d(x, size: int | tuple[int, int] = 2, stride: int | tuple[int, int] | None = None,
           padding: str = "valid", mode: str = "max") -> np.ndarray:
    """Max or average pooling of ``x`` (H, W) or (H, W, C), each channel on its own.

    ``stride`` defaults to ``size`` (as in Keras). With ``padding="same"`` the
    padded positions are ignored: they never win a max and do not count in an
    average (TensorFlow's behaviour).
    """
    x = _check_image(x)
    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}.")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same' for pooling, got {padding!r}.")
    squeeze = x.ndim == 2
    x = x[:, :, None] if squeeze else x
    ph, pw = _pair("size", size)
    sh, sw = _pair("stride", (ph, pw) if stride is None else stride)
    (top, bottom), (left, right) = _resolve_padding(padding, x.shape[:2], (ph, pw), (sh, sw))
    padded = np.pad(x.astype(np.float64), ((top, bottom), (left, right), (0, 0)),
                    constant_values=np.nan)
    oh = conv_output_size(padded.shape[0], ph, sh)
    ow = conv_output_size(padded.shape[1], pw, sw)
    windows = np.stack(
        [padded[i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]
         for i in range(ph) for j in range(pw)],
        axis=-1,
    )  # (OH, OW, C, size·size): every window's values side by side
    out = np.nanmax(windows, axis=-1) if mode == "max" else np.nanmean(windows, axis=-1)
    return out[:, :, 0] if squeeze else out


def _pair(argument: str, value) -> tuple[int, int]:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{argument} must be an int or a pair of ints, got {value!r}.")
    for v in pair:
        checks.integer(v, argument, minimum=1)
    return int(pair[0]), int(pair[1])


def _check_image(x) -> np.ndarray:
    return checks.finite(checks.array(x, "x", ndim=(2, 3)), "x")


def _as_conv_arrays(x, kernels):
    x = _check_image(x).astype(np.float64)
    kernels = checks.finite(checks.array(kernels, "kernels", allow_empty=True).astype(np.float64),
                            "kernels")
    squeeze = x.ndim == 2 and kernels.ndim == 2
    if x.ndim == 2:
        x = x[:, :, None]
    if kernels.ndim == 2:
        kernels = kernels[:, :, None, None]
    if kernels.ndim != 4:
        raise ValueError("kernels must be shaped (KH, KW) or (KH, KW, C_in, C_out), "
                         f"got shape {kernels.shape}.")
    if kernels.shape[2] != x.shape[2]:
        raise ValueError(f"kernels expect {kernels.shape[2]} input channel(s) but x has "
                         f"{x.shape[2]}.")
    if 0 in kernels.shape:
        raise ValueError(f"kernels must not have an empty dimension, got shape {kernels.shape}.")
    return x, kernels, squeeze


def _resolve_padding(padding: Padding, shape, kernel_shape, strides):
    """Turn any accepted padding spelling into ((top, bottom), (left, right))."""
    if padding == "valid":
        result = ((0, 0), (0, 0))
    elif padding == "same":
        result = tuple(same_padding(n, k, s) for n, k, s in zip(shape, kernel_shape, strides))
    elif isinstance(padding, str):
        raise ValueError(f"padding must be 'valid', 'same', an int or pairs of ints, got {padding!r}.")
    elif isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        result = ((padding, padding), (padding, padding))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        result = tuple(tuple(p) if isinstance(p, (tuple, list)) else (p, p) for p in padding)
    else:
        raise ValueError(f"padding must be 'valid', 'same', an int or pairs of ints, got {padding!r}.")
    for pair in result:
        if len(pair) != 2:
            raise ValueError(f"padding must be 'valid', 'same', an int or pairs of ints, got {padding!r}.")
        for p in pair:
            checks.integer(p, "padding", minimum=0)
    for n, k, (before, after), axis in zip(shape, kernel_shape, result, ("height", "width")):
        if before + after > MAX_PADDING:
            raise ValueError(f"padding {padding!r} with a {k}-pixel window adds {before + after:,} "
                             f"pixels to the {axis}, more than the {MAX_PADDING:,} allowed: check "
                             "the padding and the kernel or pool size.")
        if k > n + before + after:
            raise ValueError(f"kernel {axis} {k} is larger than the padded input {axis} "
                             f"{n + before + after}.")
    return result
