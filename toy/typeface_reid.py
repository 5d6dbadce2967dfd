"""A Re-ID set of unseen identities in Market-1501's exact layout: each identity is a real
typeface (the packaged Google Fonts families, ``toy.fonts``), each image a 128x64 crop of a
short random string in it, so that a model must learn a typeface's style, not the text.

``make_typeface_market1501_pair(out)`` writes two ``--root`` folders::

    <out>/teacher/market1501/Market-1501-v15.09.15/
        bounding_box_train/   the training typefaces (``fonts[0]``), no junk as in the real set
        bounding_box_test/    the gallery: the test typefaces (``fonts[1]``), distractors
                              (id 0000: ``fonts[2]`` other typefaces) and junk (id -1:
                              a crop of background only, or a scribble)
        query/                the test typefaces, each query seen in the gallery from
                              another camera
        typefaces.json        person id -> family and role (training, test, distractor, junk)
    <out>/students/...        the same, but only the first ``student_images_per_id`` of the
                              teacher's training images of each identity

with real file names ``PPPP_cCsS_FFFFFF_BB.jpg`` (person id, camera, sequence, frame, box;
frames unique) and sparse person ids in 1..1501, so torchreid's ``Market1501`` reads it
unchanged and relabels. The three groups of typefaces are disjoint (``split_families``):
test identities are typefaces no model trained on.

Every image holds two lines of two characters on their baselines (``toy.fonts.baseline_text``),
each line drawn per image from ``WORDS``, a small vocabulary that every identity shares (as
every person has a head and legs: what differs is how they look), at the identity's own
weight (300..700, drawn once per typeface, like a person's clothes) give or take 100, with
slant, rotation, scale and position jitter. The six cameras are six rendering
conditions, changing how a typeface looks as cameras change how a person looks:

    c1  dark ink on light paper
    c2  light ink on a dark ground
    c3  blurred (Gaussian, radius 1.2-2.2 px)
    c4  a textured, cluttered background (colour blotches, blocks and stray strokes)
    c5  low-contrast colour ink on a colour ground under strong noise
    c6  heavier slant (0.25-0.5) and rotation (8-18 degrees), either polarity

Deterministic from ``seed`` (seeded generators only, JPEG quality 90): the same seed writes
the same bytes.
"""

import json
import os
import random
import shutil

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ldrld_core.errors import ConfigError
from ldrld_reid.layout import DATASET_DIR, SPLITS

from .fonts import baseline_text, split_families
from .glyph_scenes import background
from .reid import IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CAMERAS, market1501_name

# lines that show a typeface's traits: bowls and tails (g, Q, a), terminals and serifs (f, k, R),
# diagonals (W, y), figures and capital against small proportions
WORDS = ("Ag", "Rk", "ey", "Qa", "fb", "38", "Ws", "Mt")
WEIGHTS = (300, 400, 500, 600, 700)
TRAIN, GALLERY, QUERY = "bounding_box_train", "bounding_box_test", "query"
RECORD = "typefaces.json"
CAP_HEIGHT = (26, 34)  # px of the 128x64 crop: 13-17 px at the study's 64x32 input, where strokes still show


def _text_ink(rng, family, weight, text=None):
    """Two lines of ``WORDS`` (or the lines ``text``) in ``family`` on their baselines (uint8,
    RENDER_SIZE) and the cap height."""
    weight += rng.choice((-100, 0, 100))
    words = text if text is not None else [rng.choice(WORDS) for _ in range(2)]
    lines = [baseline_text(family, word, weight) for word in words]
    cap = max(line[2] for line in lines)
    gap = round(cap * rng.uniform(1.45, 1.8))  # baseline to baseline
    tops = [k * gap - base for k, (_, base, _) in enumerate(lines)]
    tops = [t - min(tops) for t in tops]
    width = max(ink.shape[1] for ink, _, _ in lines)
    block = np.zeros((max(t + ink.shape[0] for t, (ink, _, _) in zip(tops, lines)), width), np.uint8)
    for top, (ink, _, _) in zip(tops, lines):
        left = (width - ink.shape[1]) // 2
        view = block[top : top + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(view, ink, out=view)
    return Image.fromarray(block), cap


def _mask(rng, family, weight, cam, text=None, cap_height=CAP_HEIGHT):
    """The text's ink on the 128x64 canvas, sheared, turned, scaled and shifted (float32 in [0, 1])."""
    img, cap = _text_ink(rng, family, weight, text)
    if cam == 6:
        slant, turn = rng.choice((-1, 1)) * rng.uniform(0.25, 0.5), rng.choice((-1, 1)) * rng.uniform(8, 18)
    else:
        slant, turn = rng.uniform(-0.15, 0.15), rng.uniform(-4, 4)
    w, h = img.size
    pad = int(abs(slant) * h) + 1
    img = img.transform((w + pad, h), Image.AFFINE, (1, slant, -pad if slant > 0 else 0, 0, 1, 0), Image.BILINEAR)
    img = img.rotate(turn, Image.BILINEAR, expand=True)
    img = img.crop(img.point(lambda v: 255 if v > 32 else 0).getbbox())
    scale = min(rng.uniform(*cap_height) / cap, (IMAGE_WIDTH - 6) / img.width, (IMAGE_HEIGHT - 8) / img.height)
    img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    room_x, room_y = IMAGE_WIDTH - img.width, IMAGE_HEIGHT - img.height
    x0 = min(max(0, room_x // 2 + rng.randint(-6, 6)), room_x)
    y0 = min(max(0, room_y // 2 + rng.randint(-16, 16)), room_y)
    mask = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH), np.float32)
    mask[y0 : y0 + img.height, x0 : x0 + img.width] = np.asarray(img, np.float32) / 255.0
    return mask


def _colour(rng, lo, hi):
    return np.array([rng.uniform(lo, hi) for _ in range(3)], np.float32)


def _scribble(rng, canvas, strokes):
    """``strokes`` random polylines drawn on the float canvas (in place)."""
    img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(strokes):
        points = [(rng.uniform(0, IMAGE_WIDTH), rng.uniform(0, IMAGE_HEIGHT)) for _ in range(rng.randint(2, 6))]
        draw.line(points, fill=tuple(int(c) for c in _colour(rng, 0, 255)), width=rng.randint(1, 4))
    canvas[:] = np.asarray(img, np.float32)


def render(rng, family, weight, cam, text=None, cap_height=CAP_HEIGHT):
    """One 128x64 RGB crop of ``family`` near ``weight`` seen by camera ``cam`` (see the module
    docstring): two lines of ``WORDS``, or the lines ``text``, scaled to a cap height drawn
    from ``cap_height`` (px; less where the text would not fit)."""
    size = (IMAGE_WIDTH, IMAGE_HEIGHT)
    mask = _mask(rng, family, weight, cam, text, cap_height)[..., None] * rng.uniform(0.85, 1.0)
    noise = rng.uniform(2, 6)
    light = cam in (1, 3) or (cam == 6 and rng.random() < 0.5)
    if light:
        ground, ink = np.full((*mask.shape[:2], 3), _colour(rng, 195, 245)), _colour(rng, 5, 80)
    elif cam in (2, 6):
        ground, ink = np.full((*mask.shape[:2], 3), _colour(rng, 5, 70)), _colour(rng, 185, 250)
    elif cam == 4:
        ground = background(rng, size)
        _scribble(rng, ground, rng.randint(2, 5))
        level = float(ground.mean())
        ink = _colour(rng, 0, 50) if level > 128 else _colour(rng, 205, 255)
    else:  # 5: a colour ink 30-55 levels off a colour ground, strong noise
        base = _colour(rng, 70, 185)
        ground = np.full((*mask.shape[:2], 3), base)
        ink = base + rng.choice((-1, 1)) * _colour(rng, 30, 55)
        noise = rng.uniform(16, 26)
    img = ground * (1 - mask) + ink * mask
    img += np.random.default_rng(rng.getrandbits(32)).normal(0.0, noise, img.shape).astype(np.float32)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if cam == 3:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(1.2, 2.2)))
    return out


def _junk(rng):
    """Id -1: a crop of background only, or a scribble on paper."""
    if rng.random() < 0.5:
        canvas = background(rng, (IMAGE_WIDTH, IMAGE_HEIGHT))
    else:
        canvas = np.full((IMAGE_HEIGHT, IMAGE_WIDTH, 3), _colour(rng, 150, 245))
        _scribble(rng, canvas, rng.randint(3, 8))
    canvas += np.random.default_rng(rng.getrandbits(32)).normal(0.0, 4.0, canvas.shape).astype(np.float32)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


class MarketWriter:
    """Writes images with unique Market-1501 names (frame numbers never repeat)."""

    def __init__(self, data_dir, rng):
        self.data_dir, self.rng, self.frame = data_dir, rng, 0

    def write(self, split, pid, cam, image):
        self.frame += self.rng.randint(1, 40)
        name = market1501_name(pid, cam, self.rng.randint(1, 6), self.frame, self.rng.randint(1, 8))
        image.save(os.path.join(self.data_dir, split, name), quality=90)
        return name


def _check(teacher_images_per_id, student_images_per_id, gallery_images_per_id, queries_per_id, fonts, counts):
    for name, value in (
        ("teacher_images_per_id", teacher_images_per_id),
        ("student_images_per_id", student_images_per_id),
        ("gallery_images_per_id", gallery_images_per_id),
    ):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1 (images of each identity), got {value}")
    if student_images_per_id > teacher_images_per_id:
        raise ConfigError(
            f"student_images_per_id ({student_images_per_id}) must not exceed teacher_images_per_id "
            f"({teacher_images_per_id}): the students' images are the first of the teacher's"
        )
    if not 1 <= queries_per_id <= NUM_CAMERAS:
        raise ConfigError(f"queries_per_id must be 1..{NUM_CAMERAS} (one per camera), got {queries_per_id}")
    if queries_per_id == NUM_CAMERAS and gallery_images_per_id < 2:
        raise ConfigError("gallery_images_per_id must be at least 2 when every camera has a query")
    for name, value in counts.items():
        if value < 0:
            raise ConfigError(f"{name} must be at least 0, got {value}")
    if len(fonts) != 3 or min(fonts[:2]) < 1 or fonts[2] < 0:
        raise ConfigError(
            f"fonts must be three counts of typefaces (training >= 1, test >= 1, distractor >= 0), got {fonts}"
        )


def make_typeface_market1501_pair(
    out_dir,
    seed=0,
    teacher_images_per_id=100,
    student_images_per_id=25,
    gallery_images_per_id=8,
    queries_per_id=2,
    distractors_per_font=6,
    num_junk=8,
    fonts=(29, 16, 12),
):
    """Write ``out_dir/teacher`` and ``out_dir/students`` (see the module docstring); returns the
    two ``--root`` folders. The defaults are the study's: 29 training typefaces with 100 images
    each for the teacher (the students: the first 25), 16 test typefaces with 2 queries and 8
    gallery images each, 72 distractor and 8 junk gallery images. Query ``j`` of an identity is on its camera ``j``,
    its gallery images on the cameras after the queries', so each query has a match from
    another camera."""
    counts = {"distractors_per_font": distractors_per_font, "num_junk": num_junk}
    _check(teacher_images_per_id, student_images_per_id, gallery_images_per_id, queries_per_id, fonts, counts)
    train_fonts, test_fonts, distractor_fonts = split_families(tuple(fonts), seed)
    rng = random.Random(f"typeface-reid-{seed}")
    pids = rng.sample(range(1, 1502), len(train_fonts) + len(test_fonts))  # sparse, interleaved
    train_ids, test_ids = sorted(pids[: len(train_fonts)]), sorted(pids[len(train_fonts) :])

    teacher, students = os.path.join(out_dir, "teacher"), os.path.join(out_dir, "students")
    data_dir, target = os.path.join(teacher, DATASET_DIR), os.path.join(students, DATASET_DIR)
    for folder in (data_dir, target):  # a rerun into the same folder must not keep an older set's images
        for split in SPLITS:
            shutil.rmtree(os.path.join(folder, split), ignore_errors=True)
            os.makedirs(os.path.join(folder, split))
    writer = MarketWriter(data_dir, rng)
    weight = {family: rng.choice(WEIGHTS) for family in (*train_fonts, *test_fonts, *distractor_fonts)}
    record, train_names = {}, []
    for pid, family in zip(train_ids, train_fonts):
        record[f"{pid:04d}"] = {"family": family, "weight": weight[family], "role": "training"}
        cams = [1 + (k + pid) % NUM_CAMERAS for k in range(teacher_images_per_id)]
        names = [writer.write(TRAIN, pid, cam, render(rng, family, weight[family], cam)) for cam in cams]
        train_names += names[:student_images_per_id]
    for pid, family in zip(test_ids, test_fonts):
        record[f"{pid:04d}"] = {"family": family, "weight": weight[family], "role": "test"}
        for j in range(queries_per_id):
            cam = 1 + (pid + j) % NUM_CAMERAS
            writer.write(QUERY, pid, cam, render(rng, family, weight[family], cam))
        for k in range(gallery_images_per_id):
            cam = 1 + (pid + queries_per_id + k) % NUM_CAMERAS
            writer.write(GALLERY, pid, cam, render(rng, family, weight[family], cam))
    for i, family in enumerate(f for f in distractor_fonts for _ in range(distractors_per_font)):
        cam = 1 + i % NUM_CAMERAS
        writer.write(GALLERY, 0, cam, render(rng, family, weight[family], cam))
    record["0000"] = {"families": list(distractor_fonts), "role": "distractor"}
    for _ in range(num_junk):
        writer.write(GALLERY, -1, rng.randint(1, NUM_CAMERAS), _junk(rng))
    record["-1"] = {"role": "junk", "what": "crops of background only and scribbles"}
    with open(os.path.join(data_dir, RECORD), "w") as f:
        json.dump({"seed": seed, "persons": record}, f, indent=1, sort_keys=True)

    for split in SPLITS:
        names = train_names if split == TRAIN else os.listdir(os.path.join(data_dir, split))
        for name in names:
            shutil.copyfile(os.path.join(data_dir, split, name), os.path.join(target, split, name))
    shutil.copyfile(os.path.join(data_dir, RECORD), os.path.join(target, RECORD))
    return teacher, students


def preview(root, out_png, rows=6):
    """A PNG grid of ``rows`` training identities of the ``--root`` folder ``root`` (rows, labelled
    by typeface) x the first image from each camera (columns c1..c6)."""
    data_dir = os.path.join(os.fspath(root), DATASET_DIR)
    with open(os.path.join(data_dir, RECORD)) as f:
        persons = json.load(f)["persons"]
    by_cell = {}
    for name in sorted(os.listdir(os.path.join(data_dir, TRAIN))):
        pid, cam = name.split("_")[:2]
        by_cell.setdefault((pid, int(cam[1])), name)
    pids = sorted({pid for pid, _ in by_cell})[:rows]
    label_w, head, pad = 120, 18, 4
    cell_w, cell_h = IMAGE_WIDTH + pad, IMAGE_HEIGHT + pad
    sheet = Image.new("RGB", (label_w + NUM_CAMERAS * cell_w, head + len(pids) * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for c in range(NUM_CAMERAS):
        draw.text((label_w + c * cell_w + IMAGE_WIDTH // 2 - 8, 2), f"c{c + 1}", fill="black", font=font)
    for r, pid in enumerate(pids):
        y = head + r * cell_h
        draw.text((4, y + IMAGE_HEIGHT // 2 - 16), persons[pid]["family"], fill="black", font=font)
        draw.text((4, y + IMAGE_HEIGHT // 2 + 2), f"id {pid}", fill="gray", font=font)
        for c in range(NUM_CAMERAS):
            name = by_cell.get((pid, c + 1))
            if name:
                sheet.paste(Image.open(os.path.join(data_dir, TRAIN, name)), (label_w + c * cell_w, y))
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    sheet.save(out_png)
    return out_png
