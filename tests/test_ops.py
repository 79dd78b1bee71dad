"""The NumPy reference ops against TensorFlow, over randomised shapes, and their errors."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import ops

RNG = np.random.default_rng(2024)


def random_conv_case(rng):
    h, w = rng.integers(4, 13, size=2)
    kh, kw = rng.integers(1, 6, size=2)
    sh, sw = rng.integers(1, 4, size=2)
    c_in, c_out = rng.integers(1, 4), rng.integers(1, 5)
    padding = ["valid", "same", int(rng.integers(0, 3)),
               ((int(rng.integers(0, 3)), int(rng.integers(0, 3))),
                (int(rng.integers(0, 3)), int(rng.integers(0, 3))))][rng.integers(0, 4)]
    return (int(h), int(w), int(kh), int(kw), (int(sh), int(sw)), int(c_in), int(c_out), padding)


CONV_CASES = [random_conv_case(RNG) for _ in range(60)]


def tf_padding(padding, kernel_shape, image_shape):
    if padding in ("valid", "same"):
        return padding.upper()
    (top, bottom), (left, right) = ops._resolve_padding(padding, image_shape, kernel_shape, (1, 1))
    return [[0, 0], [top, bottom], [left, right], [0, 0]]


@pytest.mark.parametrize("h, w, kh, kw, stride, c_in, c_out, padding", CONV_CASES)
def test_conv2d_matches_tensorflow(h, w, kh, kw, stride, c_in, c_out, padding):
    try:
        ops._resolve_padding(padding, (h, w), (kh, kw), stride)
    except ValueError:
        pytest.skip("kernel larger than the padded input (covered by the error tests)")
    rng = np.random.default_rng(h * 1000 + w)
    x = rng.uniform(-1, 1, (h, w, c_in)).astype(np.float32)
    k = rng.uniform(-1, 1, (kh, kw, c_in, c_out)).astype(np.float32)
    bias = rng.uniform(-1, 1, c_out).astype(np.float32)
    ours = ops.conv2d(x, k, stride=stride, padding=padding, bias=bias)
    theirs = tf.nn.conv2d(x[None], k, strides=stride, padding=tf_padding(padding, (kh, kw), (h, w)))
    theirs = (theirs[0] + bias).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_conv2d_on_a_hand_checked_example():
    x = np.arange(16).reshape(4, 4)
    k = np.array([[1, 0], [0, -1]])  # top-left minus bottom-right: always 0 - 5 = -5
    np.testing.assert_array_equal(ops.conv2d(x, k), np.full((3, 3), -5.0))
    np.testing.assert_array_equal(ops.conv2d(x, np.ones((2, 2)), stride=2), [[10, 18], [42, 50]])


def test_conv2d_keeps_2d_in_2d_out_and_channels_otherwise():
    assert ops.conv2d(np.ones((5, 6)), np.ones((3, 3))).shape == (3, 4)
    assert ops.conv2d(np.ones((5, 6, 2)), np.ones((3, 3, 2, 4))).shape == (3, 4, 4)


POOL_CASES = [(int(h), int(w), int(c), int(p), int(s), pad, mode)
              for h, w, c, p, s, pad, mode in zip(
                  RNG.integers(3, 12, 30), RNG.integers(3, 12, 30), RNG.integers(1, 4, 30),
                  RNG.integers(1, 4, 30), RNG.integers(1, 4, 30),
                  RNG.choice(["valid", "same"], 30), RNG.choice(["max", "average"], 30))]


@pytest.mark.parametrize("h, w, c, size, stride, padding, mode", POOL_CASES)
def test_pool2d_matches_tensorflow(h, w, c, size, stride, padding, mode):
    x = np.random.default_rng(h * 100 + w).uniform(-1, 1, (h, w, c)).astype(np.float32)
    if padding == "valid" and size > min(h, w):
        pytest.skip("window larger than the input")
    ours = ops.pool2d(x, size, stride, padding, mode)
    pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    theirs = pool(x[None], size, stride, padding.upper())[0].numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_pool2d_by_hand():
    x = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]])
    np.testing.assert_array_equal(ops.pool2d(x, 2), [[4, 8], [12, 16]])
    np.testing.assert_array_equal(ops.pool2d(x, 2, mode="average"), [[2.5, 6.5], [10.5, 14.5]])


@pytest.mark.parametrize("n, k, s, p, expected", [
    (32, 3, 1, 0, 30), (32, 5, 1, 2, 32), (28, 5, 1, 0, 24), (7, 3, 2, 1, 4), (224, 7, 2, 3, 112),
    (5, 2, 2, 0, 2),
])
def test_output_size_formula(n, k, s, p, expected):
    assert ops.conv_output_size(n, k, s, p) == expected
    assert ops.conv2d(np.ones((n, n)), np.ones((k, k)), stride=s, padding=p).shape == (expected,) * 2


@pytest.mark.parametrize("n, k, s, expected", [(5, 3, 1, (1, 1)), (6, 3, 2, (0, 1)), (7, 4, 1, (1, 2)),
                                               (5, 1, 2, (0, 0))])
def test_same_padding_rule(n, k, s, expected):
    assert ops.same_padding(n, k, s) == expected


def test_classic_kernels():
    assert set(ops.KERNELS) >= {"identity", "box blur", "gaussian blur", "sharpen", "sobel x",
                                "sobel y", "laplacian", "edge"}
    image = np.random.default_rng(0).uniform(size=(6, 6))
    np.testing.assert_allclose(ops.conv2d(image, ops.kernel("identity"), padding="same"), image)
    np.testing.assert_allclose(ops.kernel("gaussian blur").sum(), 1.0)
    k = ops.kernel("sobel x")
    k[0, 0] = 99  # a copy: the table is untouched
    assert ops.kernel("sobel x")[0, 0] == -1
    with pytest.raises(ValueError, match="name must be one of 'identity', 'box blur'.*got str 'blurry'"):
        ops.kernel("blurry")


@pytest.mark.parametrize("call, message", [
    (lambda: ops.conv2d(np.ones(5), np.ones((3, 3))), "x must have 2 or 3 dimensions, got shape \\(5,\\)"),
    (lambda: ops.conv2d(np.ones((2, 3, 4, 5)), np.ones((3, 3))), "x must have 2 or 3 dimensions"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((3, 3, 1))), r"kernels must be shaped"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((6, 3))), "kernel height 6 is larger than the padded input height 5"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((8, 8)), padding=1),
     "kernel height 8 is larger than the padded input height 7"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=0), "stride must be at least 1, got 0"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=-2), "stride must be at least 1, got -2"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding="full"), "padding must be 'valid', 'same'"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding=-1), "padding must be at least 0, got -1"),
    (lambda: ops.conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 2, 4))), "kernels expect 2 input channel"),
    (lambda: ops.conv2d(np.ones((5, 5)), np.ones((3, 3)), bias=[1, 2]), "bias must hold one value per output channel"),
    (lambda: ops.pool2d(np.ones((5, 5)), 2, mode="median"), "mode must be 'max' or 'average'"),
    (lambda: ops.pool2d(np.ones((5, 5)), 0), "size must be at least 1, got 0"),
    (lambda: ops.pool2d(np.ones((5, 5)), 2, padding=1), "padding must be 'valid' or 'same' for pooling"),
    (lambda: ops.pool2d(np.ones((1, 5)), 2), "kernel height 2 is larger than the padded input height 1"),
    (lambda: ops.conv_output_size(5, 7), "kernel size k=7 is larger than the padded input"),
    (lambda: ops.conv_output_size(5, 3, stride=0), "stride must be at least 1"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
