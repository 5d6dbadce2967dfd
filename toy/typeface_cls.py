"""A many-class classification set of real typefaces in CIFAR-100's pickle format: 62
characters (0-9, A-Z, a-z) of the packaged Google Fonts families (``toy.fonts``), 32x32 RGB.

``make_typeface_cifar(out)`` writes two data roots that the packaged CIFAR-100 configs
read through the same ``CIFAR100`` data set users train on, changed in nothing but the data
root (and the class count, 62)::

    <out>/teacher/cifar-100-python/    the teacher's training images (``fonts[0]`` typefaces)
    <out>/students/cifar-100-python/   the students' smaller training set (``fonts[1]`` other typefaces)

Both hold the same ``test`` split, drawn in ``fonts[2]`` typefaces that neither training set
uses: the test measures how a model reads typefaces it never saw. ``<out>/typefaces.json``
names the typefaces of each set.

Every image draws its character on its baseline (``toy.fonts.baseline_text``), so a character
keeps its size and place on the line as in print (``o`` smaller and lower than ``O``, ``g``
below the baseline), under the variation a real set has: cap height 12-19 px, position
+-2.5 px, slant and a small rotation, stroke weight (the typeface's weights 300-800 plus a
thickened or thinned stroke), ink and ground colours (dark on light and light on dark), plain,
graded and textured grounds, blur and grain. Classes that print alike (``0 O o Q``,
``l 1 I``, ``5 S s``, ``c C``, ``x X``) stay alike: that is what a teacher's dark knowledge
says. Deterministic from ``seed``.
"""

import json
import os
import pickle
import random

import numpy as np
from PIL import Image, ImageFilter

from ldrld_core.errors import ConfigError

from .cls import write_cifar
from .fonts import DIGITS, LOWER, UPPER, baseline_text, split_families
from .glyph_scenes import background

CLASSES = DIGITS + UPPER + LOWER
SIZE = 32
WEIGHTS = (300, 400, 400, 500, 600, 700, 800)
ROLES = ("teacher", "students", "test")


def _ground(rng):
    """A 32x32 ground: plain, a linear gradient, or a texture (float32 (h, w, 3))."""
    kind = rng.random()
    if kind < 0.35:
        return np.full((SIZE, SIZE, 3), [rng.uniform(0, 255) for _ in range(3)], np.float32)
    if kind < 0.65:
        a, b = (np.array([rng.uniform(0, 255) for _ in range(3)], np.float32) for _ in range(2))
        t = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)
        t = t[:, None] if rng.random() < 0.5 else t[None, :]
        return a + (b - a) * np.broadcast_to(t, (SIZE, SIZE))[..., None]
    return background(rng, (SIZE, SIZE))


def _glyph(rng, family, char):
    """The character's ink mask on a 32x32 canvas (float32 in [0, 1])."""
    ink, base, cap = baseline_text(family, char, rng.choice(WEIGHTS))
    img = Image.fromarray(ink)
    stroke = rng.random()
    if stroke < 0.2:
        img = img.filter(ImageFilter.MaxFilter(3))  # a heavier stroke than the typeface has
    elif stroke < 0.3:
        img = img.filter(ImageFilter.MinFilter(3))  # a lighter one
    slant = rng.uniform(-0.3, 0.3)  # shear about the baseline: x + slant * (height above it)
    w, h = img.size
    left = slant * (h - base) if slant > 0 else -slant * base
    width = int(np.ceil(w + abs(slant) * h))
    img = img.transform((width, h), Image.AFFINE, (1, slant, -left - slant * base, 0, 1, 0), Image.BILINEAR)
    img = img.rotate(rng.uniform(-6, 6), Image.BILINEAR, center=(width / 2, base))
    target = rng.uniform(12, 19)  # cap height in pixels of the 32x32 image
    scale = target / cap
    small = img.resize((max(1, round(width * scale)), max(1, round(h * scale))), Image.LANCZOS)
    mask = np.asarray(small, np.float32) / 255.0
    cols = np.flatnonzero(mask.max(0) > 0.2)
    centre = (cols[0] + cols[-1]) / 2 if len(cols) else mask.shape[1] / 2
    x0 = round(SIZE / 2 + rng.uniform(-2.5, 2.5) - centre)
    y0 = round(SIZE / 2 + target / 2 + rng.uniform(-2.5, 2.5) - base * scale)
    canvas = np.zeros((SIZE, SIZE), np.float32)
    ys, xs = slice(max(0, y0), min(SIZE, y0 + mask.shape[0])), slice(max(0, x0), min(SIZE, x0 + mask.shape[1]))
    canvas[ys, xs] = mask[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    return canvas


def render(rng, family, char):
    """One 32x32 RGB uint8 image of ``char`` in ``family`` (``rng``: a ``random.Random``)."""
    ground = _ground(rng)
    mask = _glyph(rng, family, char)[..., None] * rng.uniform(0.8, 1.0)
    level = float(ground.mean())  # ink at least 70 grey levels from the ground's mean, darker or lighter
    dark = level > 128
    ink = np.array(
        [rng.uniform(0, min(90, level - 70)) if dark else rng.uniform(max(165, level + 70), 255) for _ in range(3)],
        np.float32,
    )
    img = ground * (1 - mask) + ink * mask
    img += np.random.default_rng(rng.getrandbits(32)).normal(0.0, rng.uniform(0, 10), img.shape)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
    return np.asarray(out)


def _split(rng, families, per_font):
    """Every (class, typeface) pair ``per_font`` times, shuffled: images (N, 3, 32, 32), labels."""
    pairs = [(c, f) for c in range(len(CLASSES)) for f in families for _ in range(per_font)]
    rng.shuffle(pairs)
    images = np.stack([render(rng, f, CLASSES[c]).transpose(2, 0, 1) for c, f in pairs])
    return images, [c for c, _ in pairs]


def make_typeface_cifar(out_dir, teacher_per_font=5, student_per_font=3, test_per_font=2, fonts=(25, 16, 16), seed=0):
    """Write the two data roots; returns ``(teacher root, students root)``. Each set holds
    every character of each of its typefaces ``*_per_font`` times (defaults: 7,750 teacher,
    2,976 student and 1,984 test images: the teacher sees 2.6x the students' images, in more
    typefaces, so that it knows more than a student can learn alone; 48 images a class is
    enough for the study's ResNet14 student alone, where ResNet8 stayed near chance at 48 and
    at 96; see docs/typefaces.md)."""
    for name, value in (("teacher_per_font", teacher_per_font), ("student_per_font", student_per_font)):
        if int(value) < 1:
            raise ConfigError(f"{name} must be at least 1 (images of each character per typeface), got {value}")
    if int(test_per_font) < 1:
        raise ConfigError(
            f"test_per_font must be at least 1 (images of each character per typeface), got {test_per_font}"
        )
    groups = dict(zip(ROLES, split_families(fonts, seed)))
    counts = dict(zip(ROLES, (teacher_per_font, student_per_font, test_per_font)))
    split = {role: _split(random.Random(f"{seed}-{role}"), groups[role], counts[role]) for role in ROLES}
    roots = []
    for role in ROLES[:2]:
        root = os.path.join(out_dir, role)
        write_cifar(
            root,
            {"train": split[role], "test": split["test"]},
            list(CLASSES),
            coarse_of=lambda c: 0 if c < 10 else 1 if c < 36 else 2,
            what=f"typefaces-{role}",
        )
        roots.append(root)
    with open(os.path.join(out_dir, "typefaces.json"), "w") as f:
        json.dump({"classes": CLASSES, "seed": seed, **groups}, f, indent=1)
    return tuple(roots)


# rows of the preview: characters that print alike, then a few others
PREVIEW_ROWS = "0OoQ1lI5SsCcxX8B2Zg9aeRk"


def preview(root, out_png, columns=16):
    """A grid of the training images of ``root`` (one row per character of PREVIEW_ROWS)."""
    with open(os.path.join(root, "cifar-100-python", "train"), "rb") as f:
        batch = pickle.load(f)
    images = batch["data"].reshape(-1, 3, SIZE, SIZE).transpose(0, 2, 3, 1)
    labels = np.asarray(batch["fine_labels"])
    pad = 2
    sheet = Image.new("RGB", (22 + columns * (SIZE + pad), len(PREVIEW_ROWS) * (SIZE + pad)), "white")
    from PIL import ImageDraw

    draw = ImageDraw.Draw(sheet)
    for r, char in enumerate(PREVIEW_ROWS):
        index = np.flatnonzero(labels == CLASSES.index(char))[:columns]
        draw.text((4, r * (SIZE + pad) + SIZE // 2 - 6), char, fill="black")
        for k, i in enumerate(index):
            sheet.paste(Image.fromarray(images[i]), (22 + k * (SIZE + pad), r * (SIZE + pad)))
    sheet = sheet.resize((sheet.width * 2, sheet.height * 2), Image.NEAREST)
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    sheet.save(out_png)
    return out_png
