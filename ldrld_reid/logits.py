"""Identity logits of a trained torchreid model over the test images (for
``tools/plot_corr.py``, Figure 5): its classifier applied to its eval-mode
features, as the distillation engine computes the teacher's logits."""

import torch


def reid_logits(cfg, checkpoint, trust=False):
    """``(N, num_train_ids)`` logits over the query then gallery images of
    ``cfg['data']['root']``, and the images' person ids. The architecture comes
    from the checkpoint's meta (else the config's model.name)."""
    from .engine import model_logits
    from .runner import build_datamanager, load_for_eval, resolve_device

    device = resolve_device(cfg["device"])
    model, _, _ = load_for_eval(cfg, checkpoint, device, trust)
    datamanager = build_datamanager(cfg, device, training=False)
    logits, pids = [], []
    for split in ("query", "gallery"):
        for data in datamanager.test_loader["market1501"][split]:
            logits.append(model_logits(model, data["img"].to(device)).float().cpu())
            pids.append(torch.as_tensor(data["pid"]))
    return torch.cat(logits), torch.cat(pids)
