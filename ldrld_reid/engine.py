"""torchreid's softmax engine, with atomic checkpoints and a frozen teacher.

Training, evaluation and checkpointing are torchreid's own ``Engine.run``; the
two subclasses here override what they must and nothing else:

- :class:`SoftmaxEngine` (the teacher, and a student trained alone) overrides
  ``save_model``: a checkpoint keeps torchreid's keys and place
  (``<save_dir>/model/model.pth.tar-<epoch>``; ``state_dict``, ``epoch`` =
  epochs done, ``rank1``, ``optimizer``, ``scheduler``), is written atomically
  (a crash while saving leaves the previous file intact), loads with
  ``weights_only=True``, and adds ``meta`` (architecture, class count,
  loss) and the random-number states, so that ``--resume`` continues exactly
  where the uninterrupted run would have been; and ``_evaluate``, torchreid's own
  evaluation from its parts, to pass its ``evaluate_rank`` the CMC length the gallery
  has (``max_rank``), which ``Engine._evaluate`` cannot pass on.
- :class:`DistillSoftmaxEngine` overrides ``forward_backward`` as well: the
  label-smoothed cross-entropy of torchreid's ``ImageSoftmaxEngine`` plus an
  ``ldrld_core`` loss built with ``ce_weight=0`` (LDRLD, KD or DKD) on the
  student's and the frozen teacher's identity logits. The teacher is frozen by
  ``ldrld_mm.teacher.freeze`` (the policy of every task) and is a plain attribute,
  not a registered model: torchreid never switches it to train mode, gives it an
  optimizer or saves it; its logits are its ``classifier`` applied to
  its eval-mode features (torchreid models return features in eval mode).

Each term is logged under its own name (``loss_ce``, ``loss_local``,
``loss_rntk`` / ``loss_kd`` / ``loss_tckd``, ``loss_nckd``) beside the total
``loss`` and the batch accuracy; :class:`ResultsWriter` writes them, and the rank-1
and mAP of every test, where MMEngine writes its scalars.
"""

import json
import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from ldrld_core import build_loss
from ldrld_core.atomic_io import atomic_torch_save
from ldrld_core.checkpoint import write_last_checkpoint
from ldrld_core.errors import ConfigError
from ldrld_mm.teacher import freeze  # the one teacher policy of the three tasks (re-exported for the runner)

from . import compat

ImageSoftmaxEngine = compat.image_softmax_engine()


def model_logits(model, imgs):
    """Identity logits of a torchreid model in eval mode: its classifier on its features."""
    model.eval()
    with torch.no_grad():
        features = model(imgs)
        if isinstance(features, (tuple, list)):
            raise ConfigError(
                f"{type(model).__name__} returned {len(features)} outputs in eval mode; expected one "
                f"feature tensor (a torchreid model built with loss='softmax')"
            )
        return model.classifier(features)


def random_states() -> dict:
    states = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def checkpoint_path(save_dir, epoch) -> str:
    """Where torchreid's ``save_checkpoint`` puts the checkpoint after ``epoch`` epochs."""
    return os.path.join(save_dir, "model", f"model.pth.tar-{epoch}")


class SoftmaxEngine(ImageSoftmaxEngine):
    """``ImageSoftmaxEngine`` whose checkpoints are atomic, weights-only loadable and resumable.
    ``meta`` describes the run and goes into every checkpoint. ``max_rank``: how long the CMC
    curves of its tests are (the runner sets the length the gallery gives, ``runner.cmc_length``)."""

    meta = {}
    max_rank = 50  # torchreid's evaluate_rank default

    @torch.no_grad()
    def _evaluate(
        self,
        dataset_name="",
        query_loader=None,
        gallery_loader=None,
        dist_metric="euclidean",
        normalize_feature=False,
        visrank=False,
        visrank_topk=10,
        save_dir="",
        use_metric_cuhk03=False,
        ranks=(1, 5, 10, 20),
        rerank=False,
    ):
        """torchreid's ``Engine._evaluate``, put together from torchreid's own parts (its
        ``parse_data_for_eval`` and ``extract_features``, ``metrics.compute_distance_matrix``,
        ``re_ranking``, ``metrics.evaluate_rank``, ``visualize_ranked_results``), printing what it
        prints, with one difference: ``evaluate_rank`` is given ``max_rank=self.max_rank``.
        Each query's CMC curve is the gallery less that query's same-camera matches, cut at
        ``max_rank``: on a gallery shorter than 50 + those matches, queries with different numbers
        of same-camera matches give curves of different lengths, and torchreid's ``np.asarray`` of
        them fails. Cut at the shortest curve's length, every curve has the same length.
        ``Engine._evaluate`` has no ``max_rank`` argument to pass it through."""
        metrics, utils = compat.metrics(), compat.utils()
        print("Extracting features from query set ...")
        qf, q_pids, q_camids = self._features(query_loader)
        print(f"Done, obtained {qf.size(0)}-by-{qf.size(1)} matrix")
        print("Extracting features from gallery set ...")
        gf, g_pids, g_camids = self._features(gallery_loader)
        print(f"Done, obtained {gf.size(0)}-by-{gf.size(1)} matrix")
        if normalize_feature:
            print("Normalzing features with L2 norm ...")
            qf, gf = F.normalize(qf, p=2, dim=1), F.normalize(gf, p=2, dim=1)
        print(f"Computing distance matrix with metric={dist_metric} ...")
        distmat = metrics.compute_distance_matrix(qf, gf, dist_metric).numpy()
        if rerank:
            print("Applying person re-ranking ...")
            distmat = utils.re_ranking(
                distmat,
                metrics.compute_distance_matrix(qf, qf, dist_metric),
                metrics.compute_distance_matrix(gf, gf, dist_metric),
            )
        print("Computing CMC and mAP ...")
        cmc, mAP = metrics.evaluate_rank(
            distmat, q_pids, g_pids, q_camids, g_camids, max_rank=self.max_rank, use_metric_cuhk03=use_metric_cuhk03
        )
        print("** Results **")
        print(f"mAP: {mAP:.1%}")
        print("CMC curve")
        for r in ranks:
            print(f"Rank-{r:<3}: {cmc[r - 1]:.1%}")
        if visrank:
            utils.visualize_ranked_results(
                distmat,
                self.datamanager.fetch_test_loaders(dataset_name),
                self.datamanager.data_type,
                width=self.datamanager.width,
                height=self.datamanager.height,
                save_dir=os.path.join(save_dir, "visrank_" + dataset_name),
                topk=visrank_topk,
            )
        return cmc[0], mAP

    def _features(self, loader):
        """Features (on the CPU), person ids and camera ids of ``loader``'s images, as torchreid extracts them."""
        feats, pids, camids = [], [], []
        for data in loader:
            imgs, pid, camid = self.parse_data_for_eval(data)
            feats.append(self.extract_features(imgs.cuda() if self.use_gpu else imgs).cpu())
            pids.extend(pid.tolist())
            camids.extend(camid.tolist())
        return torch.cat(feats, 0), np.asarray(pids), np.asarray(camids)

    def save_model(self, epoch, rank1, save_dir, is_best=False):
        state = {
            "state_dict": self.model.state_dict(),
            "epoch": epoch + 1,
            "rank1": float(rank1),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "meta": dict(self.meta),
            "rng": random_states(),
        }
        path = atomic_torch_save(state, checkpoint_path(save_dir, epoch + 1))
        write_last_checkpoint(save_dir, path)  # what a resumed run (and a sweep) continues from, as MMEngine's
        print(f"Checkpoint saved to \"{path}\"")


class DistillSoftmaxEngine(SoftmaxEngine):
    """``SoftmaxEngine`` plus ``distill_loss(student_logits, teacher_logits, pids)``.

    ``distill_loss`` is an ``ldrld_core`` loss or its config dict, e.g.
    ``dict(type='LDRLDLoss', alpha=1, beta=1, depth=7, temperature=4, ce_weight=0)``.
    """

    def __init__(
        self, datamanager, model, optimizer, teacher, distill_loss, scheduler=None, use_gpu=True, label_smooth=True
    ):
        super().__init__(datamanager, model, optimizer, scheduler=scheduler, use_gpu=use_gpu, label_smooth=label_smooth)
        if not isinstance(getattr(teacher, "classifier", None), torch.nn.Module):
            raise ConfigError(
                f"teacher {type(teacher).__name__} has no `classifier` layer: expected a torchreid "
                f"model built with loss='softmax'"
            )
        if teacher is model:
            raise ConfigError("the teacher and the student are the same model object")
        self.teacher = freeze(teacher)
        self.distill_loss = build_loss(distill_loss)
        if getattr(self.distill_loss, "ce_weight", 0) > 0:
            raise ConfigError(
                f"{type(self.distill_loss).__name__} must have ce_weight=0: torchreid's "
                f"label-smoothed cross-entropy is already the CE term"
            )

    def forward_backward(self, data):
        imgs, pids = self.parse_data_for_train(data)
        if self.use_gpu:
            imgs, pids = imgs.cuda(), pids.cuda()
        outputs = self.model(imgs)
        loss_ce = self.compute_loss(self.criterion, outputs, pids)
        t_logits = model_logits(self.teacher, imgs)
        progress = self.epoch + (self.batch_idx + 1) / max(self.num_batches, 1)  # epochs done (ldrld_core)
        terms = self.distill_loss(outputs, t_logits, pids, progress=progress)
        loss = loss_ce + sum(terms.values())

        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

        summary = {"loss": loss.item(), "loss_ce": loss_ce.item()}
        summary.update((name, value.item()) for name, value in terms.items())
        summary["acc"] = compat.metrics().accuracy(outputs, pids)[0].item()
        return summary


class ResultsWriter(SummaryWriter):
    """torchreid's TensorBoard writer that also writes what torchreid logs where an MMEngine run
    writes its scalars (``scalars_dir/scalars.json``, one JSON object per line, read by
    ``ldrld_core.run_logs``): the training terms of every logged iteration (``Train/<name>`` at
    iteration ``step``, as ``loss``, ``loss_ce`` ...) and the rank-1 and mAP of every test
    (``Test/<dataset>/rank1`` and ``.../mAP`` after epoch ``step - 1``, as ``reid/rank1``, ``reid/mAP``)."""

    def __init__(self, *args, scalars_dir=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.history = {}  # epoch (0-based, as torchreid logs it) -> {'rank1': ..., 'mAP': ...}
        self.scalars = os.path.join(scalars_dir, "scalars.json") if scalars_dir else None
        self._train = None  # (step, {name: value}) not written yet

    def _write(self, record) -> None:
        if self.scalars is None:
            return
        os.makedirs(os.path.dirname(self.scalars), exist_ok=True)
        with open(self.scalars, "a") as f:  # appended line by line, as MMEngine's LocalVisBackend does
            f.write(json.dumps(record) + "\n")

    def _flush_train(self) -> None:
        if self._train is not None:
            step, values = self._train
            self._write(dict(values, step=step))
            self._train = None

    def add_scalar(self, tag, value, global_step=None, *args, **kwargs):
        if tag.startswith("Test/"):
            test = self.history.setdefault(global_step, {})
            test[tag.rsplit("/", 1)[-1]] = float(value)
            if {"rank1", "mAP"} <= set(test):
                self._flush_train()
                epoch = (global_step or 0) + 1
                self._write({"reid/rank1": test["rank1"], "reid/mAP": test["mAP"], "step": epoch})
        elif tag.startswith("Train/"):
            name = tag.split("/", 1)[1]
            name = name if name.startswith(("loss", "acc")) else name.lower()
            if self._train is not None and self._train[0] != global_step:
                self._flush_train()
            self._train = (global_step, self._train[1] if self._train else {})
            self._train[1][name] = float(value)
        return super().add_scalar(tag, value, global_step, *args, **kwargs)

    def close(self):
        self._flush_train()
        return super().close()

    @property
    def results(self) -> dict:
        """The last test's ``{'rank1', 'mAP'}`` (empty before any test)."""
        return self.history[max(self.history, key=lambda k: -1 if k is None else k)] if self.history else {}

    def tests(self) -> list:
        """``[{'epoch': epochs done, 'rank1', 'mAP'}]`` in order."""
        return [dict(epoch=(k or 0) + 1, **v) for k, v in sorted(self.history.items(), key=lambda kv: kv[0] or 0)]
