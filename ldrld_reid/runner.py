"""One Re-ID run: one network trained (alone, or distilled from a frozen teacher) or evaluated,
each one ``Engine.run`` of torchreid. As in detection and classification, the teacher is trained by a
run of its own config and handed to a student's run as ``--teacher-checkpoint``.

Layout of a run (``work_dir``), as an MMEngine run's::

    model/model.pth.tar-<epoch>                  torchreid's checkpoints (resumable; every eval_freq epochs
                                                 and at the end)
    model.pth                                    the trained network's final weights (with their meta)
    last_checkpoint                              the checkpoint written last (MMEngine's file): a sweep's
                                                 resume, and what a run's work dir stands for
    <timestamp>/vis_data/scalars.json            the losses of every logged iteration and the rank-1 and
                                                 mAP of every test (``reid/rank1``, ``reid/mAP``)
    train.log-<time>                             what the run printed (torchreid's Logger)

Every file is written atomically (temporary file + ``os.replace``). The data
folder, checkpoints and downloads are checked before torchreid reads anything,
so bad input fails fast, with nothing written.
"""

import os
import sys
import time
import warnings
from collections import Counter

import torch

from ldrld_core import CheckpointError, build_loss, read_checkpoint
from ldrld_core.checkpoint import run_checkpoint, write_last_checkpoint
from ldrld_core.downloads import fetch
from ldrld_core.errors import ConfigError, DownloadError

from . import compat
from .checkpoint import (
    allow_torchreid_checkpoints,
    latest_checkpoint,
    load_model_checkpoint,
    num_classes_of,
    resume_training,
    save_weights,
)
from .config import datamanager_kwargs, distill_loss_config, optimizer_kwargs, run_kwargs, scheduler_kwargs
from .init_weights import load_init_checkpoint
from .layout import check_market1501

NO_PRETRAINED = "pass --no-pretrained to start from random weights"
TEACHER_EXAMPLE = "configs/reid/market1501_r50.py"


def resolve_device(name) -> torch.device:
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"device must be auto, cpu or cuda (--cfg-options device=cpu), got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device 'cuda', but torch.cuda.is_available() is False on this machine; use --cfg-options device=cpu"
        )
    return torch.device(name)


def check_data(cfg, training=True) -> dict:
    """Market-1501 where torchreid will look (never lets it start a download), with at least one
    training batch when it trains."""
    data = cfg["data"]
    unsupported = [s for s in list(data["sources"]) + list(data["targets"]) if s != "market1501"]
    if unsupported:
        raise ConfigError(
            f"data.sources/data.targets: this toolkit's Re-ID recipe reads market1501 only, got {unsupported}"
        )
    info = check_market1501(data["root"])
    if training and cfg["train"]["batch_size"] > info["num_train"]:
        raise ConfigError(
            f"train.batch_size {cfg['train']['batch_size']} is larger than the "
            f"{info['num_train']} training images in {info['data_dir']} (torchreid drops "
            f"incomplete batches, so nothing would train)"
        )
    return info


def build_datamanager(cfg, device, training=True):
    """torchreid's ``ImageDataManager`` on Market-1501, after our own checks of the folder."""
    check_data(cfg, training)
    return compat.data().ImageDataManager(**datamanager_kwargs(cfg, device.type == "cuda"))


def _pretrained_url(arch):
    """The URL torchreid's ``init_pretrained_weights`` reads for ``arch``, where it has one."""
    models = compat.models()
    factory = vars(models).get("__model_factory", {}).get(arch)
    module = sys.modules.get(getattr(factory, "__module__", ""), None)
    return getattr(module, "model_urls", {}).get(arch)


def build_model(arch, num_classes, pretrained, device, role="model.name"):
    """A torchreid model; its ImageNet weights come through the hub cache (one sentence offline)."""
    models = compat.models()
    if arch not in vars(models).get("__model_factory", {}):
        raise ConfigError(f"unknown torchreid model {arch!r} ({role}); e.g. resnet50, resnet18")
    url = _pretrained_url(arch) if pretrained else None
    if url:
        fetch(url, f"the ImageNet initialisation of {role} {arch}", NO_PRETRAINED)
    try:
        model = models.build_model(name=arch, num_classes=num_classes, loss="softmax", pretrained=pretrained)
    except (OSError, ConnectionError) as err:  # a model whose weights torchreid fetches another way (gdown)
        raise DownloadError(
            f"the ImageNet initialisation of {role} {arch} could not be downloaded "
            f"({type(err).__name__}: {err}); {NO_PRETRAINED}"
        ) from err
    return model.to(device)


def build_optimizer(cfg, model):
    optim = compat.optim()
    optimizer = optim.build_optimizer(model, **optimizer_kwargs(cfg))
    return optimizer, optim.build_lr_scheduler(optimizer, **scheduler_kwargs(cfg))


def cmc_length(datamanager) -> int:
    """How many ranks torchreid's CMC curve has on this query and gallery: ``evaluate_rank`` drops,
    for each query, the gallery images of the same person from the same camera, so a curve is the
    gallery less those (and at most 50 long, its ``max_rank``); queries without a match from another camera
    are skipped, as torchreid skips them. One pass over each split (counts per person and per
    person and camera), computed once per run (``make_engine``, ``evaluate``)."""
    length = 50
    for split in datamanager.test_dataset.values():
        by_camera = Counter((pid, camid) for _, pid, camid, *_ in split["gallery"])
        by_person = Counter()
        for (pid, _), count in by_camera.items():
            by_person[pid] += count
        size = sum(by_camera.values())
        for _, pid, camid, *_ in split["query"]:
            same_camera = by_camera[(pid, camid)]
            if by_person[pid] > same_camera:  # a match from another camera: torchreid skips the others
                length = min(length, size - same_camera)
    return length


def ranks_within(ranks, length) -> list:
    """The CMC ranks torchreid's ``Engine.test`` can print from a curve of ``length`` ranks (it
    indexes ``cmc[r - 1]``, past the end for a rank beyond a short gallery's curve). Ranks
    dropped: one warning."""
    kept = [int(r) for r in ranks if int(r) <= length]
    dropped = [int(r) for r in ranks if int(r) > length]
    if dropped:
        warnings.warn(
            f"test.ranks {dropped} dropped: the gallery gives a CMC curve of {length} rank(s) "
            f"(its images less each query's same-camera matches), so there is no rank beyond {length}",
            UserWarning,
            stacklevel=2,
        )
    return kept


def engine_run_kwargs(cfg, folder, engine) -> dict:
    """``run_kwargs`` with the ranks the gallery has (``ranks_within`` the engine's ``max_rank``)."""
    kwargs = run_kwargs(cfg, folder)
    kwargs["ranks"] = ranks_within(kwargs["ranks"], engine.max_rank)
    return kwargs


def _meta(cfg, arch, num_classes, loss_cfg):
    return {
        "arch": arch,
        "num_classes": int(num_classes),
        "max_epoch": int(cfg["train"]["max_epoch"]),
        "dataset": "market1501",
        "loss": loss_cfg["type"] if loss_cfg else None,
        "teacher_checkpoint": (cfg["teacher"] or {}).get("checkpoint") if loss_cfg else None,
    }


class _Tee:
    """What a run prints, also written to its log file (as torchreid's scripts keep
    ``train.log-<time>``; torchreid's own ``Logger`` closes the console when it is
    collected, so it cannot be used inside a process that goes on)."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.console, self.file = sys.stdout, open(self.path, "w", encoding="utf-8")
        sys.stdout = self
        return self

    def write(self, text):
        self.console.write(text)
        self.file.write(text)

    def flush(self):
        self.console.flush()
        self.file.flush()

    def __exit__(self, *exc):
        sys.stdout = self.console
        self.file.close()
        return False


def _log_path(folder, kind="train"):
    return os.path.join(folder, f"{kind}.log-" + time.strftime("%Y-%m-%d-%H-%M-%S"))


def make_engine(cfg, datamanager, device, teacher=None, trust=False):
    from .engine import DistillSoftmaxEngine, ResultsWriter, SoftmaxEngine

    train = cfg["train"]
    compat.set_random_seed(cfg["randomness"]["seed"])
    arch, pretrained = cfg["model"]["name"], cfg["model"]["pretrained"]
    num_classes = datamanager.num_train_pids
    model = build_model(arch, num_classes, pretrained, device, "model.name")
    if cfg["model"]["init_checkpoint"]:
        load_init_checkpoint(model, cfg["model"]["init_checkpoint"], "model.init_checkpoint", trust=trust)
    optimizer, scheduler = build_optimizer(cfg, model)
    if train["fixbase_epoch"] > 0:
        unknown = [name for name in train["open_layers"] or [] if not hasattr(model, name)]
        if unknown or not train["open_layers"]:
            raise ConfigError(
                f"train.open_layers {train['open_layers']!r}: {arch} has no layer(s) "
                f"{unknown or 'given'} to train alone during the {train['fixbase_epoch']} "
                f"fixbase epoch(s)"
            )
    use_gpu = device.type == "cuda"
    smooth = cfg["loss"]["softmax"]["label_smooth"]
    loss_cfg = distill_loss_config(cfg)
    if loss_cfg is None:
        engine = SoftmaxEngine(datamanager, model, optimizer, scheduler=scheduler, use_gpu=use_gpu, label_smooth=smooth)
    else:
        engine = DistillSoftmaxEngine(
            datamanager, model, optimizer, teacher, loss_cfg, scheduler=scheduler, use_gpu=use_gpu, label_smooth=smooth
        )
    engine.meta = _meta(cfg, arch, num_classes, loss_cfg)
    engine.max_rank = cmc_length(datamanager)
    engine.writer = ResultsWriter(log_dir=cfg["work_dir"], scalars_dir=_scalars_dir(cfg))
    return engine


def _scalars_dir(cfg) -> str:
    """Where MMEngine's LocalVisBackend would write this start's scalars."""
    return os.path.join(cfg["work_dir"], time.strftime("%Y%m%d_%H%M%S"), "vis_data")


def train(cfg, resume=None, trust=False):
    """Train ``cfg['model']`` with ``Engine.run``, alone or distilled from ``cfg['teacher']``
    (``distill_loss``); ``resume``: a checkpoint path, or ``'auto'`` for the run's latest. Writes the
    final weights (``model.pth``, named by ``last_checkpoint``); returns the last test's
    ``{'rank1', 'mAP'}``."""
    device = resolve_device(cfg["device"])
    cfg["work_dir"] = os.path.abspath(os.path.expanduser(cfg["work_dir"]))
    loss_cfg = distill_loss_config(cfg)  # a bad loss or a teacher without one fails before any data is read
    if loss_cfg is not None:
        build_loss(loss_cfg)
        teacher_path = (cfg["teacher"] or {}).get("checkpoint")
        if not teacher_path:
            raise CheckpointError(
                f"teacher.checkpoint is not set; pass --teacher-checkpoint PATH (the weights of the teacher's "
                f"run, or its work dir: train it with a config of its own, e.g. {TEACHER_EXAMPLE})"
            )
        teacher_path = os.path.abspath(run_checkpoint(teacher_path, "--teacher-checkpoint"))
        _checked(teacher_path, "--teacher-checkpoint", "the teacher's weights or the work dir of its run")
    resume = _resume_path(cfg["work_dir"], resume)
    datamanager = build_datamanager(cfg, device)
    teacher = None if loss_cfg is None else load_teacher(cfg, teacher_path, datamanager, device, trust)
    folder = cfg["work_dir"]
    engine = make_engine(cfg, datamanager, device, teacher, trust)
    start_epoch = 0
    if resume is not None:
        start_epoch = resume_training(resume, engine.model, engine.optimizer, engine.scheduler, engine.meta, trust)
    with _Tee(_log_path(folder)):
        if resume is not None:
            print(f"=> resumed from {resume}: {start_epoch} epoch(s) done")
        if teacher is not None:
            print(f"=> distilling {cfg['teacher']['name']} -> {engine.meta['arch']} with {engine.distill_loss}")
        kwargs = engine_run_kwargs(cfg, folder, engine)
        kwargs["print_freq"] = min(kwargs["print_freq"], len(datamanager.train_loader))  # a line every epoch at least
        engine.run(start_epoch=start_epoch, **kwargs)
    engine.writer.close()
    output = save_weights(engine.model, engine.meta, os.path.join(folder, "model.pth"))
    write_last_checkpoint(folder, output)  # the work dir names its final weights, as MMEngine's does
    print(f"=> weights saved to {output}")
    return report(engine.writer)


def load_teacher(cfg, path, datamanager, device, trust=False):
    """The frozen teacher from ``path``; its class count must match the training identities."""
    from .engine import freeze

    teacher = build_model(cfg["teacher"]["name"], datamanager.num_train_pids, False, device, "teacher.name")
    load_model_checkpoint(teacher, path, expected_classes=datamanager.num_train_pids, trust=trust)
    print(f"=> teacher {cfg['teacher']['name']} loaded from {path}")
    return freeze(teacher)


def load_for_eval(cfg, path, device, trust=False):
    """``(model, architecture, epochs it trained)`` to evaluate from ``path``: architecture from the
    checkpoint's meta (else the config's model.name), class count from its classifier (any training
    identities)."""
    allow_torchreid_checkpoints()
    checkpoint = read_checkpoint(path, trust=trust)
    meta = checkpoint.get("meta") if isinstance(checkpoint, dict) else None
    arch = (meta or {}).get("arch") or cfg["model"]["name"]
    model = build_model(arch, num_classes_of(checkpoint, path), False, device)
    load_model_checkpoint(model, path, trust=trust, role="evaluated")
    return model, arch, int(checkpoint.get("epoch") or 0) if isinstance(checkpoint, dict) else 0


def report(writer):
    """The last test's rank-1 and mAP (fractions, as torchreid computes them), printed."""
    results = writer.results
    if not {"rank1", "mAP"} <= set(results):
        raise RuntimeError(f"torchreid's test logged no rank-1/mAP (got {sorted(results)})")
    print(f"=> rank-1 {results['rank1']:.1%}, mAP {results['mAP']:.1%}")
    return results


def evaluate(cfg, checkpoint, trust=False):
    """``Engine.run(test_only=True)`` on the weights at ``checkpoint`` (a file, or a run's work
    dir); its rank-1 and mAP printed and logged under ``work_dir`` as the test after the epochs the
    weights trained (in the training run's own work dir: the same record as its last test)."""
    from .engine import ResultsWriter, SoftmaxEngine

    device = resolve_device(cfg["device"])
    cfg["work_dir"] = os.path.abspath(os.path.expanduser(cfg["work_dir"]))
    path = _checked(os.path.abspath(run_checkpoint(checkpoint, "checkpoint")), "checkpoint", "the weights to evaluate")
    datamanager = build_datamanager(cfg, device, training=False)
    model, _, epochs = load_for_eval(cfg, path, device, trust)
    optimizer, scheduler = build_optimizer(cfg, model)
    engine = SoftmaxEngine(datamanager, model, optimizer, scheduler=scheduler, use_gpu=device.type == "cuda")
    engine.epoch = max(epochs - 1, 0)  # logged as the test after the epochs the weights trained, as in training
    engine.max_rank = cmc_length(datamanager)
    engine.writer = ResultsWriter(log_dir=cfg["work_dir"], scalars_dir=_scalars_dir(cfg))
    with _Tee(_log_path(cfg["work_dir"], "test")):
        print(f"=> evaluating {path}")
        engine.run(
            test_only=True,
            **{
                k: v
                for k, v in engine_run_kwargs(cfg, cfg["work_dir"], engine).items()
                if k in ("save_dir", "dist_metric", "normalize_feature", "ranks", "rerank")
            },
        )
    engine.writer.close()
    return report(engine.writer)


def _checked(path, option, hint):
    if path is not None and not os.path.isfile(path):
        raise CheckpointError(f"{option} {path}: no such file; expected {hint}")
    return path


def _resume_path(work_dir, resume):
    """``--resume PATH`` checked, ``--resume`` alone (``'auto'``) the run's latest checkpoint."""
    if resume == "auto":
        found = latest_checkpoint(work_dir)
        if found is None:
            print(f"=> --resume: no checkpoint in {work_dir}/model/; starting from the beginning")
        return found
    return _checked(
        os.path.abspath(resume) if resume else None, "--resume", "a model/model.pth.tar-N written by a training run"
    )
