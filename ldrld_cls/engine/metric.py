"""Top-1 / top-5 accuracy (percent) of the student, as an MMEngine metric.

Reported as ``accuracy/top1`` and ``accuracy/top5``. Results are kept per
image, so that MMEngine's distributed collection drops the samples that the
distributed sampler repeats to pad the last batch.
"""

import torch
from mmengine.evaluator import BaseMetric
from mmengine.registry import METRICS

from ldrld_core.errors import ConfigError, DatasetError


@METRICS.register_module()
class TopKAccuracy(BaseMetric):
    default_prefix = "accuracy"

    def __init__(self, topk=(1, 5), collect_device="auto", prefix=None):
        if collect_device == "auto":  # 'gpu' gathers through the process group; 'cpu' needs a shared folder
            collect_device = "gpu" if torch.cuda.is_available() else "cpu"
        super().__init__(collect_device=collect_device, prefix=prefix)
        topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if not topk or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in topk):
            raise ConfigError(f"topk must be positive integers, e.g. (1, 5); got {topk!r}")
        self.topk = topk

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            label = sample["gt_label"]
            if label is None:
                raise DatasetError("TopKAccuracy needs labelled data: a prediction came without gt_label")
            hits = (torch.as_tensor(sample["topk"]) == int(label)).tolist()
            self.results.append(tuple(any(hits[:k]) for k in self.topk))

    def compute_metrics(self, results):
        if not results:
            return {f"top{k}": 0.0 for k in self.topk}
        return {f"top{k}": 100.0 * sum(r[i] for r in results) / len(results) for i, k in enumerate(self.topk)}
