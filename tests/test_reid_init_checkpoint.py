"""model.init_checkpoint: a backbone of your own for the network a Re-ID config trains (a teacher is trained
by a config of its own, so this is its initialisation too), loaded non-strictly into torchreid's real models
(a classifier of other classes skipped, every skipped and missing key named in one line), another
architecture refused in one sentence naming the file and the first bad key."""

import pytest
import torch

from ldrld_core import CheckpointError
from ldrld_reid import compat
from ldrld_reid.init_weights import load_init_checkpoint


def _model(arch, classes, seed):
    compat.set_random_seed(seed)
    return compat.models().build_model(name=arch, num_classes=classes, loss="softmax", pretrained=False)


def test_a_backbone_trained_on_other_classes_loads_and_its_classifier_is_skipped(tmp_path):
    source = _model("resnet18", 62, seed=0)  # e.g. trained on the 62 glyph classes
    path = tmp_path / "glyphs_resnet18.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, path)
    target = _model("resnet18", 6, seed=1)
    fresh_classifier = target.classifier.weight.detach().clone()
    lines = []
    loaded, skipped, missing = load_init_checkpoint(target, str(path), "model.init_checkpoint", log=lines.append)
    assert skipped == ["classifier.bias", "classifier.weight"] and missing == skipped
    assert len(loaded) == len(source.state_dict()) - 2
    for key, value in target.state_dict().items():
        if not key.startswith("classifier."):
            assert torch.equal(value, source.state_dict()[key]), key
    assert torch.equal(target.classifier.weight, fresh_classifier)  # trained anew on the identities
    assert len(lines) == 1 and "model.init_checkpoint" in lines[0] and str(path) in lines[0]
    assert "skipped 2 (classifier.bias, classifier.weight)" in lines[0]


def test_a_checkpoint_of_another_architecture_is_refused_naming_the_file_and_key(tmp_path):
    path = tmp_path / "resnet50.pth"
    torch.save(_model("resnet50", 62, seed=0).state_dict(), path)
    target = _model("resnet18", 6, seed=1)
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(CheckpointError) as err:
        load_init_checkpoint(target, str(path), "model.init_checkpoint")
    message = str(err.value)
    assert message.startswith(f"model.init_checkpoint {path} does not fit ResNet: layer1.0.conv1.weight has shape")
    assert "\n" not in message
    assert all(torch.equal(v, before[k]) for k, v in target.state_dict().items())  # nothing half-loaded


def test_a_file_sharing_no_key_or_missing_is_one_sentence(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"encoder.weight": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match=r"model\.init_checkpoint .*other\.pth shares no weight with ResNet"):
        load_init_checkpoint(_model("resnet18", 6, seed=1), str(path), "model.init_checkpoint")
    with pytest.raises(CheckpointError, match=r"model\.init_checkpoint .*absent\.pth"):
        load_init_checkpoint(_model("resnet18", 6, seed=1), str(tmp_path / "absent.pth"), "model.init_checkpoint")
