"""Faces cost where there are faces: the coarse look, the fine look where it
saw something, the decode size, and what the stage reports of its cost."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("dlib")
pytest.importorskip("skimage")

from photoorg.faces.models import PATH_COARSE, PATH_FULL, FaceAnalyzer
from tests.faces_helpers import ASTRONAUT_BOX, astronaut, cat


def _canvas(face_width: int | None, size=(2016, 1512)) -> Image.Image:
    """A large photo (as decoded from a 12 MP JPEG for the detector): the
    cat scaled up, with the astronaut pasted so her face is ``face_width`` wide."""
    canvas = cat().resize(size, Image.Resampling.BILINEAR)
    if face_width:
        scale = face_width / ASTRONAUT_BOX[2]
        x, y, w, h = (v * scale for v in ASTRONAUT_BOX)
        # Her head and shoulders, with the face in the middle of the photo.
        crop = astronaut().crop((0, 0, 512, 512)).resize((round(512 * scale), round(512 * scale)))
        crop = crop.crop((round(x - w), round(y - h / 2), round(x + 2 * w), round(y + 2.5 * h)))
        canvas.paste(crop, (size[0] // 2 - round(1.5 * w), size[1] // 2 - round(1.5 * h)))
    return canvas


def _cpu(analyzer: FaceAnalyzer, image: Image.Image, runs: int = 3) -> float:
    analyzer.detect(image)  # warm: the detector and predictor are built once per thread
    started = time.thread_time()
    for _ in range(runs):
        analyzer.detect(image)
    return (time.thread_time() - started) / runs


def test_a_photo_without_faces_gets_only_the_coarse_look_and_costs_less():
    fast, thorough = FaceAnalyzer(), FaceAnalyzer(cascade=False)
    empty = _canvas(None)
    found = fast.detect(empty)
    assert found.faces == [] and found.path == PATH_COARSE
    assert thorough.detect(empty).path == PATH_FULL
    assert _cpu(fast, empty) < 0.7 * _cpu(thorough, empty)


@pytest.mark.parametrize("face_width", [500, 260])
def test_a_portrait_takes_the_full_path_and_finds_what_the_thorough_look_finds(face_width):
    # 500 px: a portrait (a third of the short side); 260 px: 17%, near the coarse look's limit.
    image = _canvas(face_width)
    fast = FaceAnalyzer().detect(image)
    thorough = FaceAnalyzer(cascade=False).detect(image)
    assert fast.path == PATH_FULL
    assert len(fast.faces) == len(thorough.faces) == 1
    assert np.allclose(fast.faces[0].box, thorough.faces[0].box, atol=0.15 * face_width)
    assert fast.analysed == thorough.analysed == (1333, 1000)


def test_a_photo_decoded_near_the_detection_size_is_scaled_up_to_it():
    # The stage decodes a 12 MP JPEG at 1/4 (1008x756): the detector still
    # looks at 1000 px, so a face of 8% of the short side is found.
    from photoorg.pipeline.work import DECODE_SCALE_KEY

    image = _canvas(130).resize((1008, 756), Image.Resampling.BILINEAR)
    native = FaceAnalyzer(cascade=False).detect(image)  # a photo that is this small
    assert native.analysed == (1008, 756)
    image.info[DECODE_SCALE_KEY] = 4.0  # as work.py marks a 12 MP JPEG decoded at 1/4
    found = FaceAnalyzer(cascade=False).detect(image)
    assert found.analysed == (1333, 1000)
    assert len(found.faces) == 1
    assert (found.width, found.height) == (1008, 756)  # boxes in the decoded image's pixels


def test_small_photos_are_looked_at_whole_as_before():
    found = FaceAnalyzer().detect(astronaut())
    assert found.path == PATH_FULL and found.analysed == (512, 512) and len(found.faces) == 1


def test_the_stage_decodes_at_the_detectors_size_counts_paths_and_reports_its_cpu():
    from photoorg.faces.config import FaceSettings
    from photoorg.faces.stage import FacesStage

    settings = FaceSettings()
    stage = FacesStage(FaceAnalyzer(), settings)
    try:
        assert stage.min_side == 750  # 1/4 scale for a 12 MP JPEG, not 1/2
        prepared = [stage.prepare(_canvas(500), None), stage.prepare(_canvas(None), None)]
        results = stage.infer(prepared)
        assert [len(r.faces) for r in results] == [1, 0]
        assert results[0].faces[0].descriptor.shape == (128,)
        assert stage.paths == {PATH_FULL: 1, PATH_COARSE: 1}
        # The first photo was detected in the helper thread and its face
        # described in the child process: both count, once.
        assert stage.take_cpu_seconds() > 0.01
        assert stage.take_cpu_seconds() == 0.0
    finally:
        stage.close()
