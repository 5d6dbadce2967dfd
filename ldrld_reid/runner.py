"""The Re-ID pipeline: teacher training, student distillation, evaluation, each one
``Engine.run`` of torchreid.

Layout of a run (``work_dir``)::

    teacher/model/model.pth.tar-<epoch>          torchreid's checkpoints (resumable; every eval_freq epochs
                                                 and at the end)
    teacher/model.pth                            the trained teacher (the default --teacher-checkpoint)
    teacher/train.log-<time>                     what the stage printed (torchreid's Logger)
    student_<loss>/...                           the same for the student (<loss>: ldrld, kd, dkd, none)
    results_<what>.json                          rank-1 and mAP of each evaluation

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

from ldrld_core import CheckpointError, read_checkpoint
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
    write_json_atomic,
)
from .config import datamanager_kwargs, distill_loss_config, optimizer_kwargs, run_kwargs, scheduler_kwargs
from .init_weights import load_init_checkpoint
from .layout import check_market1501

NO_PRETRAINED = "pass --no-pretrained to start from random weights"


def resolve_device(name) -> torch.device:
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"--device must be cpu or cuda, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda, but torch.cuda.is_available() is False on this machine; use --device cpu")
    return torch.device(name)


def stage_dir(cfg, stage) -> str:
    return os.path.join(cfg["work_dir"], stage)


def student_stage(cfg) -> str:
    return f"student_{cfg['distill']['loss']}"


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
            f"train.batch_size {cfg['train']['batch_size']} (--batch-size) is larger than the "
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
    person and camera), computed once per stage (``make_engine``, ``run_eval``)."""
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


def _meta(cfg, stage, arch, num_classes, teacher_checkpoint=None):
    meta = {
        "stage": stage.split("_")[0],
        "arch": arch,
        "num_classes": int(num_classes),
        "max_epoch": int(cfg["train"]["max_epoch"]),
        "dataset": "market1501",
    }
    if stage != "teacher":
        meta.update(loss=cfg["distill"]["loss"], teacher_checkpoint=teacher_checkpoint)
    return meta


class _Tee:
    """What a stage prints, also written to its log file (as torchreid's scripts keep
    ``train.log-<time>``; torchreid's own ``Logger`` closes the console when it is
    collected, so it cannot be used for one stage of several)."""

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


def make_engine(cfg, stage, datamanager, device, teacher=None, teacher_checkpoint=None):
    from .engine import DistillSoftmaxEngine, ResultsWriter, SoftmaxEngine

    train = cfg["train"]
    compat.set_random_seed(cfg["randomness"]["seed"])
    section = "teacher" if stage == "teacher" else "model"  # the config section of the network that trains
    arch, pretrained = cfg[section]["name"], cfg[section]["pretrained"]
    num_classes = datamanager.num_train_pids
    model = build_model(arch, num_classes, pretrained, device, f"{section}.name")
    if cfg[section]["init_checkpoint"]:
        load_init_checkpoint(model, cfg[section]["init_checkpoint"], f"{section}.init_checkpoint")
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
    loss_cfg = None if stage == "teacher" else distill_loss_config(cfg)
    if loss_cfg is None:
        engine = SoftmaxEngine(datamanager, model, optimizer, scheduler=scheduler, use_gpu=use_gpu, label_smooth=smooth)
    else:
        engine = DistillSoftmaxEngine(
            datamanager, model, optimizer, teacher, loss_cfg, scheduler=scheduler, use_gpu=use_gpu, label_smooth=smooth
        )
    engine.meta = _meta(cfg, stage, arch, num_classes, teacher_checkpoint)
    engine.max_rank = cmc_length(datamanager)
    engine.writer = ResultsWriter(log_dir=stage_dir(cfg, stage))
    return engine


def train_stage(
    cfg, stage, datamanager, device, teacher=None, teacher_checkpoint=None, resume=None, output=None, trust=False
):
    """Train the teacher (``stage='teacher'``) or a student with ``Engine.run``;
    returns ``(engine, path of the final weights, rank-1 and mAP of the final test)``."""
    folder = stage_dir(cfg, stage)
    engine = make_engine(cfg, stage, datamanager, device, teacher, teacher_checkpoint)
    start_epoch = 0
    if resume is not None:
        start_epoch = resume_training(resume, engine.model, engine.optimizer, engine.scheduler, engine.meta, trust)
    with _Tee(_log_path(folder)):
        if resume is not None:
            print(f"=> resumed {stage} from {resume}: {start_epoch} epoch(s) done")
        if teacher is not None:
            print(f"=> distilling {cfg['teacher']['name']} -> {engine.meta['arch']} with {engine.distill_loss}")
        kwargs = engine_run_kwargs(cfg, folder, engine)
        kwargs["print_freq"] = min(kwargs["print_freq"], len(datamanager.train_loader))  # a line every epoch at least
        engine.run(start_epoch=start_epoch, **kwargs)
    output = output or os.path.join(folder, "model.pth")
    save_weights(engine.model, engine.meta, output)
    print(f"=> {stage} weights saved to {output}")
    return engine, output


def load_teacher(cfg, path, datamanager, device, trust=False):
    """The frozen teacher from ``path``; its class count must match the training identities."""
    from .engine import freeze

    teacher = build_model(cfg["teacher"]["name"], datamanager.num_train_pids, False, device, "teacher.name")
    load_model_checkpoint(teacher, path, expected_classes=datamanager.num_train_pids, trust=trust)
    print(f"=> teacher {cfg['teacher']['name']} loaded from {path}")
    return freeze(teacher)


def load_for_eval(cfg, path, device, trust=False):
    """A model to evaluate from ``path``: architecture from the checkpoint's meta (else the
    config's model.name), class count from its classifier (any training identities)."""
    allow_torchreid_checkpoints()
    checkpoint = read_checkpoint(path, trust=trust)
    meta = checkpoint.get("meta") if isinstance(checkpoint, dict) else None
    arch = (meta or {}).get("arch") or cfg["model"]["name"]
    model = build_model(arch, num_classes_of(checkpoint, path), False, device)
    load_model_checkpoint(model, path, trust=trust, role="evaluated")
    return model, arch


def report(cfg, name, writer, extra):
    """Write ``results_<name>.json``: rank-1 and mAP (fractions, as torchreid computes them) of the
    last test, and every test of the run under ``tests``."""
    results = writer.results
    if not {"rank1", "mAP"} <= set(results):
        raise RuntimeError(f"torchreid's test logged no rank-1/mAP for {name} (got {sorted(results)})")
    record = dict(rank1=results["rank1"], mAP=results["mAP"], tests=writer.tests(), **extra)
    path = write_json_atomic(record, os.path.join(cfg["work_dir"], f"results_{name}.json"))
    print(f"=> {name}: rank-1 {record['rank1']:.1%}, mAP {record['mAP']:.1%} (written to {path})")
    return record


def run_eval(cfg, model, datamanager, device, name, extra):
    """``Engine.run(test_only=True)`` on ``model``, reported as ``results_<name>.json``."""
    from .engine import ResultsWriter, SoftmaxEngine

    optimizer, scheduler = build_optimizer(cfg, model)
    engine = SoftmaxEngine(datamanager, model, optimizer, scheduler=scheduler, use_gpu=device.type == "cuda")
    engine.max_rank = cmc_length(datamanager)
    folder = os.path.join(cfg["work_dir"], name)
    engine.writer = ResultsWriter(log_dir=folder)
    with _Tee(_log_path(folder, "test")):
        engine.run(
            test_only=True,
            **{
                k: v
                for k, v in engine_run_kwargs(cfg, folder, engine).items()
                if k in ("save_dir", "dist_metric", "normalize_feature", "ranks", "rerank")
            },
        )
    engine.writer.close()
    return report(cfg, name, engine.writer, extra)


def _checked(path, option, hint):
    if path is not None and not os.path.isfile(path):
        raise CheckpointError(f"{option} {path}: no such file; expected {hint}")
    return path


def run(cfg, mode=None, teacher_checkpoint=None, student_checkpoint=None, resume=None, trust=False):
    """``mode`` None: teacher when its checkpoint is absent, then student. ``'teacher'`` /
    ``'student'``: train that one. ``'eval'``: evaluate a checkpoint. Training ends with
    torchreid's final test, reported in ``results_<stage>.json``. ``resume``: a checkpoint
    path, or ``'auto'`` for the stage's latest."""
    if mode not in (None, "teacher", "student", "eval"):
        raise ConfigError(f"--mode must be teacher, student or eval, got {mode!r}")
    device = resolve_device(cfg["device"])
    teacher_checkpoint, student_checkpoint = (
        os.path.abspath(run_checkpoint(p, option)) if p is not None else None
        for p, option in ((teacher_checkpoint, "--teacher-checkpoint"), (student_checkpoint, "--student-checkpoint"))
    )
    cfg["work_dir"] = os.path.abspath(os.path.expanduser(cfg["work_dir"]))
    loss = cfg["distill"]["loss"]
    distill_loss_config(cfg)  # a bad loss name fails before any data is read
    default_teacher = os.path.join(stage_dir(cfg, "teacher"), "model.pth")
    student_name = student_stage(cfg)
    if mode == "eval":
        path = _checked(
            student_checkpoint or os.path.join(stage_dir(cfg, student_name), "model.pth"),
            "--student-checkpoint",
            "the weights to evaluate",
        )
        datamanager = build_datamanager(cfg, device, training=False)
        model, arch = load_for_eval(cfg, path, device, trust)
        return run_eval(cfg, model, datamanager, device, "eval", {"arch": arch, "checkpoint": path})

    trains_teacher = mode == "teacher" or (
        mode is None and loss != "none" and teacher_checkpoint is None and not os.path.isfile(default_teacher)
    )
    if mode == "student" and loss != "none":
        _checked(
            teacher_checkpoint or default_teacher,
            "--teacher-checkpoint",
            "a trained teacher; train one with --mode teacher",
        )
    # --resume belongs to the stage asked for; the full pipeline (no --mode) resumes each stage it finds
    teacher_resume = _resume_path(cfg, "teacher", resume if mode == "teacher" else "auto-quiet")
    student_resume = (
        _resume_path(cfg, student_name, resume if mode == "student" or resume else "auto-quiet")
        if mode != "teacher"
        else None
    )
    datamanager = build_datamanager(cfg, device)
    teacher, teacher_path = None, teacher_checkpoint or default_teacher
    if trains_teacher:
        engine, teacher_path = train_stage(
            cfg,
            "teacher",
            datamanager,
            device,
            resume=teacher_resume,
            output=teacher_checkpoint if mode == "teacher" else None,
            trust=trust,
        )
        results = report(cfg, "teacher", engine.writer, {"arch": cfg["teacher"]["name"], "checkpoint": teacher_path})
        write_last_checkpoint(cfg["work_dir"], teacher_path)  # the work dir names its final weights, as MMEngine's
        if mode == "teacher":
            return results
        from .engine import freeze

        teacher = freeze(engine.model)
    if loss != "none" and teacher is None:
        teacher = load_teacher(cfg, teacher_path, datamanager, device, trust)
    engine, path = train_stage(
        cfg,
        student_name,
        datamanager,
        device,
        teacher=teacher,
        teacher_checkpoint=teacher_path if loss != "none" else None,
        resume=student_resume,
        output=student_checkpoint,
        trust=trust,
    )
    write_last_checkpoint(cfg["work_dir"], path)
    return report(
        cfg,
        student_name,
        engine.writer,
        {
            "arch": cfg["model"]["name"],
            "checkpoint": path,
            "loss": loss,
            "teacher_checkpoint": teacher_path if loss != "none" else None,
        },
    )


def _resume_path(cfg, stage, resume):
    """``--resume PATH`` checked, ``--resume`` alone (``'auto'``) the stage's latest checkpoint."""
    if resume in ("auto", "auto-quiet"):
        found = latest_checkpoint(stage_dir(cfg, stage))
        if found is None and resume == "auto":
            print(f"=> --resume: no checkpoint in {stage_dir(cfg, stage)}/model/; starting from the beginning")
        return found
    return _checked(
        os.path.abspath(resume) if resume else None, "--resume", "a model/model.pth.tar-N written by a training run"
    )
