"""A small generated data set in Market-1501's exact layout (for tests and demos).

``make_toy_market1501(root)`` writes::

    <root>/market1501/Market-1501-v15.09.15/
        bounding_box_train/   training identities (no junk, as in the real set)
        bounding_box_test/    the gallery: test identities, distractors (id 0000)
                              and junk (id -1)
        query/                test identities, each seen in the gallery from
                              another camera

with real file names ``PPPP_cCsS_FFFFFF_BB.jpg`` (person id, camera, sequence,
frame, box; junk written ``-1_c...``). Person ids are sparse, as in the real
set, so torchreid's relabelling is exercised. Every identity has its own
clothing colours and stripe pattern, so a model can learn to tell them apart;
each image adds a camera tint, a small shift, brightness change and noise.
torchreid's own ``Market1501`` class reads the result unchanged.
"""

import os
import shutil

import numpy as np
from PIL import Image

from ldrld_core.errors import ConfigError
from ldrld_reid.layout import DATASET_DIR, SPLITS

IMAGE_HEIGHT, IMAGE_WIDTH = 128, 64  # the size of Market-1501's crops
NUM_CAMERAS = 6


def market1501_name(pid: int, cam: int, seq: int, frame: int, box: int) -> str:
    """File name in Market-1501's pattern, e.g. ``0002_c1s1_000451_03.jpg`` or ``-1_c3s2_000100_01.jpg``."""
    person = "-1" if pid == -1 else f"{pid:04d}"
    return f"{person}_c{cam}s{seq}_{frame:06d}_{box:02d}.jpg"


PALETTE = np.array([(200, 40, 40), (40, 60, 200), (40, 170, 60), (220, 200, 50), (30, 30, 30), (230, 230, 230)])
PERIODS = (6, 10, 14)


def _identity_look(rng, shared=False):
    """Colours and stripe pattern that make one identity recognisable. ``shared``: drawn
    from a small palette of clothing colours and stripe periods, so that identities share
    parts (the same top, the same trousers) as people do, and only the combination tells
    them apart; each sighting of such an identity is also partly hidden by something in
    front of it and lit more differently by each camera."""
    if shared:
        top, bottom, stripe = (PALETTE[rng.integers(len(PALETTE))] + rng.integers(-12, 13, size=3) for _ in range(3))
        return {
            "top": top,
            "bottom": bottom,
            "stripe": stripe,
            "stripe_period": int(rng.choice(PERIODS)),
            "split": float(rng.uniform(0.5, 0.55)),
            "hard": True,
        }
    return {
        "top": rng.integers(20, 236, size=3),
        "bottom": rng.integers(20, 236, size=3),
        "stripe": rng.integers(20, 236, size=3),
        "stripe_period": int(rng.integers(6, 20)),
        "split": float(rng.uniform(0.45, 0.6)),
    }


def _render(look, cam, rng):
    """One 128x64 crop of a 'person' wearing ``look``, seen by camera ``cam``."""
    h, w = IMAGE_HEIGHT, IMAGE_WIDTH
    img = np.empty((h, w, 3), np.float32)
    img[:] = rng.integers(60, 200, size=3)  # background
    dx, dy = rng.integers(-4, 5, size=2)
    left, right = 14 + dx, w - 14 + dx
    head, feet = 10 + dy, h - 6 + dy
    waist = int(head + look["split"] * (feet - head))
    img[head:waist, left:right] = look["top"]
    rows = np.arange(head, waist)
    stripes = rows[(rows - head) % look["stripe_period"] < look["stripe_period"] // 3]
    img[stripes, left:right] = look["stripe"]
    img[waist:feet, left + 3 : right - 3] = look["bottom"]
    img[max(head - 8, 0) : head, w // 2 - 6 + dx : w // 2 + 6 + dx] = (200, 160, 130)  # the head
    if look.get("hard"):  # what varies from one sighting to the next: something in front, the light
        oh, ow = int(rng.integers(16, 48)), int(rng.integers(16, 40))
        oy, ox = int(rng.integers(0, h - oh)), int(rng.integers(0, w - ow))
        img[oy : oy + oh, ox : ox + ow] = rng.integers(40, 220, size=3)
    strength = 0.2 if look.get("hard") else 0.06
    tint = np.array([1.0 + strength * ((cam + k) % 3 - 1) for k in range(3)], np.float32)
    img = img * tint * rng.uniform(0.85, 1.15) + rng.normal(0, 16 if look.get("hard") else 8, size=img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


class _Writer:
    """Writes images with unique Market-1501 names (frame numbers never repeat)."""

    def __init__(self, data_dir, rng):
        self.data_dir, self.rng, self.frame = data_dir, rng, 0

    def write(self, split, pid, cam, look):
        self.frame += int(self.rng.integers(1, 40))
        seq = int(self.rng.integers(1, 7))
        name = market1501_name(pid, cam, seq, self.frame, int(self.rng.integers(1, 9)))
        _render(look, cam, self.rng).save(os.path.join(self.data_dir, split, name), quality=90)
        return name


def make_toy_market1501(
    root,
    seed=0,
    num_train_ids=8,
    num_test_ids=6,
    train_images_per_id=6,
    gallery_images_per_id=3,
    num_distractors=4,
    num_junk=3,
    shared_parts=False,
) -> str:
    """Write a toy Market-1501 under ``root`` and return its data folder
    (``<root>/market1501/Market-1501-v15.09.15``); pass ``root`` as ``--root``.

    Training identities and test identities are disjoint, as in Market-1501.
    Each test identity has one query image and ``gallery_images_per_id``
    gallery images, at least one from another camera than the query (plus one
    from the query's own camera, which evaluation must ignore). The gallery
    also holds ``num_distractors`` images of id 0000 and ``num_junk`` of id -1.
    ``shared_parts``: identities dressed from a small palette (see ``_identity_look``).
    """
    if num_train_ids < 1 or num_test_ids < 1 or train_images_per_id < 1 or gallery_images_per_id < 1:
        raise ConfigError(
            "make_toy_market1501 needs at least one training and one test identity, and at least one image per identity"
        )
    rng = np.random.default_rng(seed)
    data_dir = os.path.join(os.fspath(root), DATASET_DIR)
    for split in SPLITS:
        os.makedirs(os.path.join(data_dir, split), exist_ok=True)
    writer = _Writer(data_dir, rng)
    # Sparse ids in 1..1501 like the real set: training and test ids interleave.
    pids = sorted(rng.choice(np.arange(1, 1502), size=num_train_ids + num_test_ids, replace=False).tolist())
    order = rng.permutation(len(pids))
    train_ids = sorted(pids[i] for i in order[:num_train_ids])
    test_ids = sorted(pids[i] for i in order[num_train_ids:])

    for pid in train_ids:
        look = _identity_look(rng, shared_parts)
        for k in range(train_images_per_id):
            writer.write("bounding_box_train", pid, 1 + (k + pid) % NUM_CAMERAS, look)
    for pid in test_ids:
        look = _identity_look(rng, shared_parts)
        query_cam = 1 + pid % NUM_CAMERAS
        writer.write("query", pid, query_cam, look)
        writer.write("bounding_box_test", pid, query_cam, look)  # same camera: ignored by evaluation
        for k in range(gallery_images_per_id):
            writer.write("bounding_box_test", pid, 1 + (query_cam + k) % NUM_CAMERAS, look)
    for _ in range(num_distractors):
        writer.write("bounding_box_test", 0, int(rng.integers(1, NUM_CAMERAS + 1)), _identity_look(rng, shared_parts))
    for _ in range(num_junk):
        writer.write("bounding_box_test", -1, int(rng.integers(1, NUM_CAMERAS + 1)), _identity_look(rng, shared_parts))
    return data_dir


def make_toy_market1501_pair(out_dir, teacher_images_per_id=12, student_images_per_id=3, seed=0, **sizes):
    """``out_dir/teacher`` and ``out_dir/students``: two ``--root`` folders of one toy
    Market-1501 (identities with shared parts), the same identities, query and gallery; the
    teacher's training split holds ``teacher_images_per_id`` images of each identity, the
    students' the first ``student_images_per_id`` of those. ``sizes`` go to ``make_toy_market1501``; the
    defaults are the demo's: 32 training and 16 test identities, 4 gallery images each, 16 distractors.
    Returns the two roots."""
    sizes = {"num_train_ids": 32, "num_test_ids": 16, "gallery_images_per_id": 4, "num_distractors": 16, **sizes}
    teacher = os.path.join(out_dir, "teacher")
    make_toy_market1501(teacher, seed=seed, train_images_per_id=teacher_images_per_id, shared_parts=True, **sizes)
    students = os.path.join(out_dir, "students")
    source, target = os.path.join(teacher, DATASET_DIR), os.path.join(students, DATASET_DIR)
    for split in SPLITS:
        os.makedirs(os.path.join(target, split), exist_ok=True)
        names = sorted(os.listdir(os.path.join(source, split)), key=lambda n: (n.split("_")[0], n.split("_")[2]))
        if split == "bounding_box_train":
            per_id = {}
            for name in names:
                per_id.setdefault(name.split("_")[0], []).append(name)
            names = [n for group in per_id.values() for n in group[:student_images_per_id]]
        for name in names:
            shutil.copyfile(os.path.join(source, split, name), os.path.join(target, split, name))
    return teacher, students
