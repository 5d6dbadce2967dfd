"""Write small generated data sets in the real on-disk formats (for tests and the demo).

    python tools/make_toy_data.py det --out data/toy_coco          # COCO 2017 layout
    python tools/make_toy_data.py reid --out data/toy_reid         # <out>/market1501/Market-1501-v15.09.15
    python tools/make_toy_data.py cifar100|imagenet|tiny-imagenet|cub200 --out DIR
"""
import argparse
import os
import sys


CLS_KINDS = ("cifar100", "imagenet", "tiny-imagenet", "cub200")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("det", "reid") + CLS_KINDS)
    parser.add_argument("--out", required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.kind == "det":
        from toy.det import make_toy_coco
        path = make_toy_coco(args.out, seed=args.seed)
    elif args.kind == "reid":
        from toy.reid import make_toy_market1501
        path = make_toy_market1501(args.out, seed=args.seed)
    else:
        from toy.cls import make_toy_dataset
        path = make_toy_dataset(args.kind, args.out, seed=args.seed)
    print(f"wrote toy {args.kind} data to {path}")


if __name__ == "__main__":
    main()
