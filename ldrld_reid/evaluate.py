"""CMC rank-k and mAP on query versus gallery, exactly as torchreid evaluates.

Features are the model's eval-mode outputs; the distance matrix comes from
``torchreid.metrics.compute_distance_matrix`` (euclidean by default) and the
scores from ``torchreid.metrics.evaluate_rank`` (same-camera matches of the
same person and junk are excluded there, as in Market-1501's protocol).
"""
import numpy as np
import torch
import torch.nn.functional as F

from . import compat


def _fields(data):
    """``(imgs, pids, camids)`` of a test batch: torchreid's dict batches, or older tuples."""
    if isinstance(data, dict):
        return data["img"], data["pid"], data["camid"]
    return data[0], data[1], data[2]


@torch.no_grad()
def extract_features(model, loader, device):
    """Eval-mode features, person ids and camera ids of every image in ``loader``."""
    model.eval()
    feats, pids, camids = [], [], []
    for data in loader:
        imgs, pid, camid = _fields(data)
        feats.append(model(imgs.to(device)).float().cpu())
        pids.extend(np.asarray(pid).tolist())
        camids.extend(np.asarray(camid).tolist())
    return torch.cat(feats), np.asarray(pids), np.asarray(camids)


def rank_metrics(distmat, q_pids, g_pids, q_camids, g_camids, ranks=(1, 5, 10, 20)) -> dict:
    """``{'rank1', 'rank5', ..., 'mAP'}`` (fractions in [0, 1]) from torchreid's ``evaluate_rank``."""
    cmc, mean_ap = compat.metrics().evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids)
    # evaluate_rank shortens the CMC curve to the gallery size; past its end the curve stays flat.
    out = {f"rank{r}": float(cmc[min(r, len(cmc)) - 1]) for r in ranks}
    out["mAP"] = float(mean_ap)
    return out


def evaluate(model, datamanager, device, dist_metric="euclidean", normalize_feature=False,
             ranks=(1, 5, 10, 20), return_distmat=False):
    """Evaluate ``model`` on the data manager's Market-1501 query and gallery.

    Returns ``{'rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'num_query', 'num_gallery'}``,
    plus ``(distmat, q_pids, g_pids, q_camids, g_camids)`` when ``return_distmat``.
    """
    loaders = datamanager.test_loader
    name = next(iter(loaders))
    qf, q_pids, q_camids = extract_features(model, loaders[name]["query"], device)
    gf, g_pids, g_camids = extract_features(model, loaders[name]["gallery"], device)
    if normalize_feature:
        qf, gf = F.normalize(qf, p=2, dim=1), F.normalize(gf, p=2, dim=1)
    distmat = compat.metrics().compute_distance_matrix(qf, gf, dist_metric).numpy()
    result = rank_metrics(distmat, q_pids, g_pids, q_camids, g_camids, ranks)
    result.update(num_query=int(len(q_pids)), num_gallery=int(len(g_pids)))
    if return_distmat:
        return result, (distmat, q_pids, g_pids, q_camids, g_camids)
    return result


def format_results(result, ranks=(1, 5, 10, 20)):
    """The lines a run ends with."""
    lines = [f"mAP: {result['mAP']:.1%}"]
    lines += [f"Rank-{r:<3}: {result[f'rank{r}']:.1%}" for r in ranks]
    return lines
