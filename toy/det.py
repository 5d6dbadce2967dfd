"""A tiny COCO 2017 look-alike for tests and the demo.

Images of simple coloured shapes with exact boxes, written in COCO 2017's folder
layout and JSON format. The categories are COCO's own 80 (real ids and names),
so an unmodified COCO config reads the data and its label indices mean what they
mean on COCO. The images use six of them, built from shared parts so that
classes resemble each other, as real ones do: a shape (a tall box, a wide box or
a disc) in a colour family (warm or cool), each jittered ('person' is a tall
warm box, 'bottle' a tall cool one, 'bus' and 'car' wide warm and cool boxes,
'sports ball' and 'frisbee' warm and cool discs). ``configs/toy/det/`` trains
on them at toy scale (the tests); ``write_split`` writes any drawn images in the
layout (``toy.glyph_scenes``: the demo's scenes of real glyphs).
"""

import json
import os
import random

from PIL import Image, ImageDraw

COCO_IDS = (
    list(range(1, 12))
    + list(range(13, 26))
    + [27, 28]
    + list(range(31, 45))
    + list(range(46, 66))
    + [67, 70]
    + list(range(72, 83))
    + list(range(84, 91))
)
SHAPES = {"tall": 0.45, "wide": 2.0, "disc": 1.0}  # aspect w/h
COLOURS = {"warm": (215, 70, 40), "cool": (40, 90, 215)}
CLASSES = {
    "person": ("tall", "warm"),
    "bottle": ("tall", "cool"),
    "bus": ("wide", "warm"),
    "car": ("wide", "cool"),
    "sports ball": ("disc", "warm"),
    "frisbee": ("disc", "cool"),
}


def coco_categories():
    from mmdet.datasets import CocoDataset

    names = CocoDataset.METAINFO["classes"]
    assert len(names) == len(COCO_IDS) == 80
    return [{"id": i, "name": n, "supercategory": "none"} for i, n in zip(COCO_IDS, names)]


def _draw_image(rng, size):
    w, h = size
    base = tuple(rng.randint(90, 170) for _ in range(3))
    img = Image.new("RGB", (w, h), base)
    draw = ImageDraw.Draw(img)
    for _ in range(6):  # faint clutter so the background is not flat
        x, y = rng.randint(0, w - 8), rng.randint(0, h - 8)
        shade = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in base)
        draw.rectangle([x, y, x + rng.randint(4, 14), y + rng.randint(4, 14)], fill=shade)
    objects, placed = [], []
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(sorted(CLASSES))
        shape, family = CLASSES[name]
        colour = tuple(max(0, min(255, c + rng.randint(-40, 40))) for c in COLOURS[family])
        aspect, disc = SHAPES[shape] * rng.uniform(0.8, 1.25), shape == "disc"
        bh = rng.randint(int(0.25 * h), int(0.5 * h))
        bw = max(8, min(int(bh * aspect), w - 4))
        bh = max(8, min(bh, h - 4))
        for _try in range(20):
            x0, y0 = rng.randint(0, w - bw), rng.randint(0, h - bh)
            box = (x0, y0, x0 + bw, y0 + bh)
            if all(box[2] <= p[0] or box[0] >= p[2] or box[3] <= p[1] or box[1] >= p[3] for p in placed):
                break
        else:
            continue
        placed.append(box)
        # draw.rectangle/ellipse include their last pixel: the drawn object spans
        # exactly [x0, x0 + bw) x [y0, y0 + bh), i.e. the COCO box (x0, y0, bw, bh).
        shape = [box[0], box[1], box[2] - 1, box[3] - 1]
        (draw.ellipse if disc else draw.rectangle)(shape, fill=colour)
        objects.append((name, [float(x0), float(y0), float(bw), float(bh)]))
    return img, objects


def write_split(root, split, count, rng, size, categories, draw=None, info=None):
    """``count`` images of ``size`` drawn by ``draw(rng, size) -> (PIL image, [(name, [x, y, w, h]), ...])``
    (default: the coloured shapes) as ``root/<split>2017/*.jpg`` and ``root/annotations/instances_<split>2017.json``;
    ``info`` joins the JSON's ``info`` block."""
    draw = draw or _draw_image
    folder = os.path.join(root, f"{split}2017")
    os.makedirs(folder, exist_ok=True)
    cat_id = {c["name"]: c["id"] for c in categories}
    images, annotations = [], []
    offset = 0 if split == "train" else 100000
    for k in range(count):
        img, objects = draw(rng, size)
        image_id = offset + k + 1
        name = f"{image_id:012d}.jpg"
        img.save(os.path.join(folder, name), quality=95)
        images.append({"id": image_id, "file_name": name, "width": size[0], "height": size[1]})
        for label, (x, y, bw, bh) in objects:
            annotations.append(
                {
                    "id": len(annotations) + 1 + offset,
                    "image_id": image_id,
                    "category_id": cat_id[label],
                    "bbox": [x, y, bw, bh],
                    "area": bw * bh,
                    "iscrowd": 0,
                    "segmentation": [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]],
                }
            )
    ann_dir = os.path.join(root, "annotations")
    os.makedirs(ann_dir, exist_ok=True)
    with open(os.path.join(ann_dir, f"instances_{split}2017.json"), "w") as f:
        json.dump(
            {
                "info": {"description": "LDRLD toy COCO", **(info or {})},
                "licenses": [],
                "images": images,
                "annotations": annotations,
                "categories": categories,
            },
            f,
        )


def make_toy_coco(out_dir, num_train=24, num_val=8, image_size=(160, 128), seed=0):
    """Write ``out_dir/{train2017,val2017}/*.jpg`` and
    ``out_dir/annotations/instances_{train,val}2017.json``; returns ``out_dir``."""
    rng = random.Random(seed)
    categories = coco_categories()
    write_split(out_dir, "train", num_train, rng, tuple(image_size), categories)
    write_split(out_dir, "val", num_val, rng, tuple(image_size), categories)
    return out_dir


def preview(root, out_png, split="train", count=8, columns=4, scale=2):
    """A PNG grid of the first ``count`` images of ``root``'s ``split`` with their boxes and
    category labels (the ``glyph`` field where the categories carry one), to look at the data."""
    from PIL import ImageDraw

    with open(os.path.join(root, "annotations", f"instances_{split}2017.json")) as f:
        ann = json.load(f)
    label = {c["id"]: c.get("glyph", c["name"]) for c in ann["categories"]}
    tiles = []
    for image in ann["images"][:count]:
        img = Image.open(os.path.join(root, f"{split}2017", image["file_name"])).convert("RGB")
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
        draw = ImageDraw.Draw(img)
        for a in ann["annotations"]:
            if a["image_id"] == image["id"]:
                x, y, w, h = (v * scale for v in a["bbox"])
                draw.rectangle([x, y, x + w - 1, y + h - 1], outline=(0, 255, 0), width=2)
                draw.text((x + 3, y + 2), label[a["category_id"]], fill=(255, 255, 0))
        tiles.append(img)
    w, h = tiles[0].size
    rows = -(-len(tiles) // columns)
    grid = Image.new("RGB", (w * min(columns, len(tiles)), h * rows), (255, 255, 255))
    for k, tile in enumerate(tiles):
        grid.paste(tile, ((k % columns) * w, (k // columns) * h))
    grid.save(out_png)
    return out_png
