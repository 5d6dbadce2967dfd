"""Logits of a trained classifier over a data set (for ``tools/plot_corr.py``, Figure 5).

``classifier_logits(config, checkpoint, data_root)`` builds the network that
``config`` trains (its student, or the network of a vanilla config), loads the
weights of ``checkpoint`` (a ``tools/train_cls.py`` checkpoint, whose network
sits under ``student.``, or a plain state dict), and returns its logits
``(N, num_classes)`` and labels on the config's validation split, in order.
"""

import copy

import torch


def classifier_logits(config, checkpoint, data_root=None, batch_size=64, trust=False):
    from mmengine.registry import MODELS
    from mmengine.runner import Runner

    import ldrld_cls.engine  # noqa: F401  (registers the data sets, preprocessor and model)
    from ldrld_core import extract_state_dict, load_checkpoint_into, read_checkpoint
    from ldrld_mm import student_model_cfg
    from ldrld_mm.cli import read_config

    from .cli import CLASSIFICATION

    cfg = read_config(config, CLASSIFICATION)
    model = MODELS.build(student_model_cfg(cfg.model))  # the network alone; no teacher is loaded
    state = extract_state_dict(read_checkpoint(checkpoint, trust=trust), checkpoint)
    prefix = "student." if any(k.startswith("student.") for k in state) else None
    load_checkpoint_into(model.student, checkpoint, trust=trust, prefix=prefix)
    model.eval()

    loader_cfg = copy.deepcopy(cfg.val_dataloader)
    loader_cfg.update(batch_size=batch_size, num_workers=0, persistent_workers=False, pin_memory=False)
    if data_root is not None:
        loader_cfg["dataset"]["data_root"] = data_root
    loader = Runner.build_dataloader(loader_cfg)
    logits, labels = [], []
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            logits.append(model(data["inputs"], mode="tensor").float().cpu())
            labels.append(torch.as_tensor(data["data_samples"]).cpu())
    return torch.cat(logits), torch.cat(labels)
