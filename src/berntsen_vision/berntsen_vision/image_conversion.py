"""Convert between sensor_msgs/Image-like fields and numpy arrays (no cv_bridge, no rclpy).

The functions take and return plain values (encoding, height, width, step, data), so they
work on a real `sensor_msgs.msg.Image` and on anything else with those fields.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# encoding -> channels; all supported encodings are 8 bits per channel
CHANNELS = {'rgb8': 3, 'bgr8': 3, 'mono8': 1, 'rgba8': 4, 'bgra8': 4}


@dataclass(frozen=True)
class ImageFields:
    """The fields of a sensor_msgs/Image that describe the pixels."""

    encoding: str
    height: int
    width: int
    step: int
    data: bytes


def image_to_array(encoding: str, height: int, width: int, step: int, data) -> np.ndarray:
    """Return the pixels as a uint8 array (H, W, C), or (H, W) for mono8.

    The array is a view on `data` where possible (read-only); copy it before changing it.
    Raises ValueError naming the problem for an unsupported encoding, a step or data size
    that does not match the dimensions, or an empty image.
    """
    if encoding not in CHANNELS:
        raise ValueError(f'unsupported image encoding {encoding!r}; expected one of {sorted(CHANNELS)}')
    if height <= 0 or width <= 0:
        raise ValueError(f'empty image: {width}x{height}')
    channels = CHANNELS[encoding]
    row_bytes = width * channels
    if step < row_bytes:
        raise ValueError(f'step {step} is shorter than one {encoding} row of width {width} ({row_bytes} bytes)')
    buffer = np.frombuffer(memoryview(data), dtype=np.uint8) if len(data) else np.empty(0, np.uint8)
    if buffer.size == 0:
        raise ValueError('empty image data')
    if buffer.size != step * height:
        raise ValueError(f'image data has {buffer.size} bytes; step {step} x height {height} needs {step * height}')
    rows = buffer.reshape(height, step)[:, :row_bytes]
    if channels == 1:
        return rows.reshape(height, width)
    return rows.reshape(height, width, channels)


def to_rgb(encoding: str, array: np.ndarray) -> np.ndarray:
    """Return a contiguous (H, W, 3) RGB uint8 array from an array in `encoding`."""
    if encoding not in CHANNELS:
        raise ValueError(f'unsupported image encoding {encoding!r}; expected one of {sorted(CHANNELS)}')
    if encoding == 'rgb8':
        rgb = array
    elif encoding == 'bgr8':
        rgb = array[..., ::-1]
    elif encoding == 'rgba8':
        rgb = array[..., :3]
    elif encoding == 'bgra8':
        rgb = array[..., 2::-1]
    else:  # mono8
        rgb = np.repeat(array[..., np.newaxis], 3, axis=2)
    return np.ascontiguousarray(rgb)


def image_to_rgb(encoding: str, height: int, width: int, step: int, data) -> np.ndarray:
    """Decode image fields straight to a contiguous (H, W, 3) RGB uint8 array."""
    return to_rgb(encoding, image_to_array(encoding, height, width, step, data))


def array_to_image(array: np.ndarray, encoding: str = 'rgb8') -> ImageFields:
    """Pack a uint8 array into image fields (tightly packed rows)."""
    if encoding not in CHANNELS:
        raise ValueError(f'unsupported image encoding {encoding!r}; expected one of {sorted(CHANNELS)}')
    if not isinstance(array, np.ndarray):
        raise TypeError(f'expected a numpy array, got {type(array).__name__}')
    if array.dtype != np.uint8:
        raise ValueError(f'expected a uint8 array, got {array.dtype}')
    channels = CHANNELS[encoding]
    expected_ndim = 2 if channels == 1 else 3
    if array.ndim != expected_ndim or (channels > 1 and array.shape[2] != channels):
        raise ValueError(f'array of shape {array.shape} does not fit encoding {encoding!r} ({channels} channels)')
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(f'empty image: {width}x{height}')
    return ImageFields(encoding=encoding, height=height, width=width, step=width * channels,
                       data=np.ascontiguousarray(array).tobytes())
