"""Image fields <-> numpy: every encoding, row padding, and each kind of bad input."""
import numpy as np
import pytest

from berntsen_vision.image_conversion import array_to_image, image_to_array, image_to_rgb

RGB = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)


def test_rgb8_round_trip():
    fields = array_to_image(RGB, 'rgb8')
    assert (fields.height, fields.width, fields.step) == (2, 3, 9)
    np.testing.assert_array_equal(image_to_array(**fields.__dict__), RGB)


@pytest.mark.parametrize('encoding, pixels', [
    ('bgr8', RGB[..., ::-1]),
    ('rgba8', np.concatenate([RGB, np.full((2, 3, 1), 255, np.uint8)], axis=2)),
    ('bgra8', np.concatenate([RGB[..., ::-1], np.full((2, 3, 1), 7, np.uint8)], axis=2)),
])
def test_colour_encodings_decode_to_rgb(encoding, pixels):
    fields = array_to_image(np.ascontiguousarray(pixels), encoding)
    rgb = image_to_rgb(fields.encoding, fields.height, fields.width, fields.step, fields.data)
    np.testing.assert_array_equal(rgb, RGB)
    assert rgb.flags['C_CONTIGUOUS']


def test_mono8_decodes_to_grey_rgb():
    mono = np.array([[0, 100], [200, 255]], dtype=np.uint8)
    fields = array_to_image(mono, 'mono8')
    assert fields.step == 2
    rgb = image_to_rgb('mono8', 2, 2, 2, fields.data)
    assert rgb.shape == (2, 2, 3)
    np.testing.assert_array_equal(rgb[..., 1], mono)


def test_padded_rows_are_cropped():
    # step 12 for a 3-pixel rgb8 row: 3 padding bytes per row
    padded = np.zeros((2, 12), np.uint8)
    padded[:, :9] = RGB.reshape(2, 9)
    np.testing.assert_array_equal(image_to_array('rgb8', 2, 3, 12, padded.tobytes()), RGB)


def test_accepts_array_array_data_like_rclpy_messages():
    import array
    data = array.array('B', RGB.tobytes())
    np.testing.assert_array_equal(image_to_rgb('rgb8', 2, 3, 9, data), RGB)


@pytest.mark.parametrize('args, message', [
    (('yuv422', 2, 3, 9, RGB.tobytes()), 'unsupported image encoding'),
    (('rgb8', 2, 3, 8, RGB.tobytes()), 'shorter than one rgb8 row'),
    (('rgb8', 2, 3, 9, RGB.tobytes()[:-1]), 'needs 18'),
    (('rgb8', 2, 3, 10, RGB.tobytes()), 'needs 20'),
    (('rgb8', 2, 3, 9, b''), 'empty image data'),
    (('rgb8', 0, 0, 0, b''), 'empty image'),
])
def test_bad_images_raise_value_error_naming_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        image_to_rgb(*args)


def test_array_to_image_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match='does not fit encoding'):
        array_to_image(RGB, 'rgba8')
    with pytest.raises(ValueError, match='uint8'):
        array_to_image(RGB.astype(np.float32), 'rgb8')
    with pytest.raises(TypeError):
        array_to_image(RGB.tolist(), 'rgb8')
    with pytest.raises(ValueError, match='unsupported'):
        array_to_image(RGB, 'rgb16')
