"""The Re-ID study's stand-in for ImageNet: single characters of the training typefaces as
identities, in Market-1501's layout, so that ``tools/train_reid.py
configs/toy/reid_typefaces/pretrain.py`` trains a torchreid backbone to classify them (torchreid's
softmax recipe is identity classification) and its run can start a Re-ID network (a teacher's or
a student's) through ``model.init_checkpoint``.

``make_glyph_market1501(out)`` writes one ``--root`` folder::

    <out>/market1501/Market-1501-v15.09.15/
        bounding_box_train/   62 identities (digits, A-Z, a-z), ``images_per_char`` each
        bounding_box_test/    ``gallery_per_char`` more images of every character
        query/                one image of every character, from a camera its gallery lacks

Every image is one character drawn as the Re-ID study draws its strings (``toy.typeface_reid
.render``: the same six cameras and jitter), but large (a cap height of 56-80 of the 128 px,
where the strings' is 26-34), in a typeface of the Re-ID study's
*training* group for the same ``seed`` and ``fonts`` (``split_families``), so the typefaces
that the study queries are unseen here too. Character ``k`` is person id ``k + 1``. The
query and gallery only show that the pretraining learned (retrieving characters); the Re-ID
study measures unseen typefaces. Deterministic from ``seed``.
"""

import os
import random
import shutil

from ldrld_core.errors import ConfigError
from ldrld_reid.layout import DATASET_DIR, SPLITS

from .fonts import DIGITS, LOWER, UPPER, split_families
from .reid import NUM_CAMERAS
from .typeface_reid import GALLERY, QUERY, TRAIN, WEIGHTS, MarketWriter, render

CHARACTERS = DIGITS + UPPER + LOWER
GLYPH_CAP_HEIGHT = (56, 80)  # px of the 128x64 crop: one character fills it, as ImageNet's objects fill theirs


def make_glyph_market1501(out_dir, seed=0, images_per_char=30, gallery_per_char=3, fonts=(29, 16, 12)):
    """Write the set under ``out_dir`` (see the module docstring) and return ``out_dir``;
    ``fonts`` are the Re-ID study's three group sizes, of which the first is drawn from."""
    for name, value in (("images_per_char", images_per_char), ("gallery_per_char", gallery_per_char)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1 (images of each character), got {value}")
    if gallery_per_char >= NUM_CAMERAS:
        raise ConfigError(
            f"gallery_per_char must be below {NUM_CAMERAS} (the query's camera is left out), got {gallery_per_char}"
        )
    families = split_families(tuple(fonts), seed)[0]
    rng = random.Random(f"glyph-reid-{seed}")
    data_dir = os.path.join(os.fspath(out_dir), DATASET_DIR)
    for split in SPLITS:  # a rerun into the same folder must not keep an older set's images
        shutil.rmtree(os.path.join(data_dir, split), ignore_errors=True)
        os.makedirs(os.path.join(data_dir, split))
    writer = MarketWriter(data_dir, rng)
    for k, char in enumerate(CHARACTERS):
        cams = [(TRAIN, 1 + (i + k) % NUM_CAMERAS) for i in range(images_per_char)]
        cams += [(QUERY, 1 + k % NUM_CAMERAS)]  # the gallery's cameras are the ones after the query's
        cams += [(GALLERY, 1 + (k + 1 + j) % NUM_CAMERAS) for j in range(gallery_per_char)]
        for split, cam in cams:
            image = render(rng, rng.choice(families), rng.choice(WEIGHTS), cam, [char], GLYPH_CAP_HEIGHT)
            writer.write(split, k + 1, cam, image)
    return os.fspath(out_dir)
