"""Check a Market-1501 folder before torchreid sees it.

torchreid's ``Market1501`` class starts a download when ``<root>/market1501``
is missing and fails with a bare ``AttributeError`` or ``AssertionError`` on a
file name outside its pattern. ``check_market1501(root)`` runs first and turns
each of those cases into one error that names the folder or file and says what
was expected.
"""

import os
import re

from ldrld_core.errors import DatasetError

DATASET_DIR = os.path.join("market1501", "Market-1501-v15.09.15")  # where torchreid looks under data.root (--data-root)
SPLITS = ("bounding_box_train", "bounding_box_test", "query")
# PPPP_cCsS_FFFFFF_BB.jpg: person id (4 digits, or -1 for junk), camera 1-6,
# sequence, frame, box. torchreid accepts person ids 0..1501 and cameras 1..6.
NAME_PATTERN = re.compile(r"^(-1|\d{4})_c(\d)s(\d)_(\d{6})_(\d{2})\.jpg$")
NAME_HELP = (
    "PPPP_cCsS_FFFFFF_BB.jpg (4-digit person id or -1 for junk, camera 1-6, sequence, "
    "6-digit frame, 2-digit box), e.g. 0002_c1s1_000451_03.jpg"
)
MAX_PID, NUM_CAMERAS = 1501, 6

EXPECTED_LAYOUT = (
    "expected Market-1501's layout:\n"
    "  {root}/market1501/Market-1501-v15.09.15/bounding_box_train/*.jpg\n"
    "  {root}/market1501/Market-1501-v15.09.15/bounding_box_test/*.jpg\n"
    "  {root}/market1501/Market-1501-v15.09.15/query/*.jpg\n"
    "with file names " + NAME_HELP + ".\n"
    "Nothing is downloaded: put the data there and pass --data-root (make a toy set with "
    "`python tools/make_toy_data.py reid --out DIR`)."
)


class DatasetNotFoundError(DatasetError):
    """A Market-1501 folder, or one of its splits, that is not there."""


def _data_dir(root):
    """The folder holding the three splits, where torchreid will look for it."""
    market = os.path.join(root, "market1501")
    versioned = os.path.join(root, DATASET_DIR)
    return versioned if os.path.isdir(versioned) else market


def parse_name(name):
    """``(pid, camera)`` of a Market-1501 file name, or None when it does not match."""
    match = NAME_PATTERN.match(name)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def _scan_split(folder):
    """``[(pid, cam)]`` of the .jpg files in ``folder``; any bad name raises."""
    found, bad = [], []
    for entry in sorted(os.listdir(folder)):
        if not entry.lower().endswith(".jpg"):
            continue  # torchreid reads only *.jpg (Market-1501 ships a Thumbs.db)
        parsed = parse_name(entry)
        if parsed is None or not (parsed[0] <= MAX_PID and 1 <= parsed[1] <= NUM_CAMERAS):
            bad.append(entry)
        else:
            found.append(parsed)
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DatasetError(
            f"{len(bad)} file name(s) in {folder} do not match Market-1501's pattern "
            f"(ids 0..{MAX_PID} or -1, cameras 1..{NUM_CAMERAS}): {', '.join(bad[:5])}{more}; "
            f"expected {NAME_HELP}"
        )
    return found


def check_market1501(root) -> dict:
    """Check ``<root>`` holds Market-1501 as torchreid expects it; never downloads.

    Returns ``{'data_dir', 'num_train_pids', 'num_train', 'num_query', 'num_gallery'}``
    (junk, id -1, excluded as torchreid excludes it). Raises
    :class:`DatasetNotFoundError` (the expected layout in the message) or
    :class:`DatasetError` (the file names that do not match).
    """
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    data_dir = _data_dir(root)
    missing = [s for s in SPLITS if not os.path.isdir(os.path.join(data_dir, s))]
    if missing:
        if not os.path.isdir(root):
            problem = f"Market-1501 not found: the --data-root folder {root} does not exist"
        elif not os.path.isdir(data_dir):
            problem = f"Market-1501 not found: no market1501/ folder in --data-root {root}"
        else:
            problem = f"Market-1501 incomplete: {data_dir} has no {', '.join(s + '/' for s in missing)}"
        raise DatasetNotFoundError(problem + "; " + EXPECTED_LAYOUT.format(root=root))
    splits = {}
    for split in SPLITS:
        folder = os.path.join(data_dir, split)
        items = [(pid, cam) for pid, cam in _scan_split(folder) if pid != -1]
        if not items:
            raise DatasetError(f"no Market-1501 images in {folder}: expected *.jpg files named {NAME_HELP}")
        splits[split] = items
    train_pids = {pid for pid, _ in splits["bounding_box_train"]}
    gallery_cams = {}
    for pid, cam in splits["bounding_box_test"]:
        gallery_cams.setdefault(pid, set()).add(cam)
    matched = [(pid, cam) for pid, cam in splits["query"] if gallery_cams.get(pid, set()) - {cam}]
    if not matched:
        raise DatasetError(
            f"no query identity in {os.path.join(data_dir, 'query')} appears in "
            f"{os.path.join(data_dir, 'bounding_box_test')} from another camera, so nothing can be "
            f"evaluated; each query person needs gallery images from a different camera"
        )
    return {
        "data_dir": data_dir,
        "num_train_pids": len(train_pids),
        "num_train": len(splits["bounding_box_train"]),
        "num_query": len(splits["query"]),
        "num_gallery": len(splits["bounding_box_test"]),
    }
