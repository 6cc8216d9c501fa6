"""A test person for tests and benchmarks: matplotlib's public-domain grace_hopper.jpg.

Nothing is downloaded: the picture ships inside the matplotlib package.
"""
from __future__ import annotations

import cv2
import numpy as np


def grace_hopper_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """The portrait scaled to fit `height` x `width` and padded with grey: an RGB uint8 frame."""
    from matplotlib import cbook

    path = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
    portrait = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if portrait is None:
        raise OSError(f'cannot read {path}')
    scale = min(width / portrait.shape[1], height / portrait.shape[0])
    resized = cv2.resize(portrait, (round(portrait.shape[1] * scale), round(portrait.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 128, np.uint8)
    top = (height - resized.shape[0]) // 2
    left = (width - resized.shape[1]) // 2
    frame[top:top + resized.shape[0], left:left + resized.shape[1]] = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
    return frame
