"""The Re-ID study's pretraining set (toy/glyph_reid.py): single characters of the study's
training typefaces as identities, in Market-1501's layout read by torchreid's own Market1501
class, every query matched from another camera, no test typeface drawn, the same bytes from the
same seed."""

import filecmp
import os
from collections import Counter

import pytest

from ldrld_core.errors import ConfigError
from ldrld_reid import compat
from ldrld_reid.layout import DATASET_DIR, check_market1501, parse_name
from toy.fonts import split_families
from toy.glyph_reid import CHARACTERS, make_glyph_market1501

SIZES = dict(images_per_char=2, gallery_per_char=1, fonts=(3, 2, 2))


def _items(root, split):
    return [parse_name(n) for n in sorted(os.listdir(os.path.join(root, DATASET_DIR, split)))]


def test_torchreid_reads_characters_as_identities(tmp_path):
    root = make_glyph_market1501(tmp_path / "a", seed=3, **SIZES)
    check_market1501(str(root))
    dataset = compat.data().datasets.Market1501(root=str(root))
    assert dataset.num_train_pids == len(CHARACTERS) == 62 and len(dataset.train) == 62 * 2
    query, gallery = _items(root, "query"), _items(root, "bounding_box_test")
    assert Counter(pid for pid, _ in query) == Counter({k + 1: 1 for k in range(62)})
    for pid, cam in query:  # every query has a match in the gallery from another camera
        assert any(p == pid and c != cam for p, c in gallery)
    again = make_glyph_market1501(tmp_path / "b", seed=3, **SIZES)
    for split in ("bounding_box_train", "query", "bounding_box_test"):
        a, b = os.path.join(root, DATASET_DIR, split), os.path.join(again, DATASET_DIR, split)
        names = sorted(os.listdir(a))
        assert names == sorted(os.listdir(b))
        assert filecmp.cmpfiles(a, b, names, shallow=False)[0] == names


def test_only_the_studys_training_typefaces_are_drawn(monkeypatch, tmp_path):
    import toy.glyph_reid as glyph_reid

    drawn = set()
    render = glyph_reid.render

    def spy(rng, family, *args):
        drawn.add(family)
        return render(rng, family, *args)

    monkeypatch.setattr(glyph_reid, "render", spy)
    make_glyph_market1501(tmp_path, seed=5, **SIZES)
    training, test, distractors = split_families(SIZES["fonts"], 5)
    assert drawn and drawn <= set(training)
    assert not drawn & (set(test) | set(distractors))


@pytest.mark.parametrize(
    "sizes, message",
    [
        (dict(images_per_char=0), "images_per_char must be at least 1"),
        (dict(gallery_per_char=6), "gallery_per_char must be below 6"),
    ],
)
def test_bad_sizes_get_one_sentence(tmp_path, sizes, message):
    with pytest.raises(ConfigError, match=message):
        make_glyph_market1501(tmp_path, **sizes)
