"""The Re-ID pipeline: teacher training, student distillation, evaluation.

Layout of a run (``save_dir``, default ``work_dirs/reid_market1501_r50_r18``)::

    teacher/last.pth           resumable training state, rewritten every epoch
    teacher/model.pth          the trained teacher (the default --teacher-checkpoint)
    student_<loss>/last.pth    the same for the student (<loss>: ldrld, kd, dkd, none)
    student_<loss>/model.pth
    results_<what>.json        rank-1/5/10/20 and mAP of each evaluation

Every file is written atomically (temporary file + ``os.replace``). torchreid
is imported only once the inputs have been checked, so bad inputs fail fast.
"""
import os
import time

import torch

from ldrld_core import CheckpointError, read_checkpoint

from . import compat
from .checkpoint import (allow_torchreid_checkpoints, load_model_checkpoint, num_classes_of, resume_training,
                         save_atomic, training_state, write_json_atomic)
from .config import ConfigError, distill_loss_config
from .evaluate import evaluate, format_results
from .layout import check_market1501


def resolve_device(name) -> torch.device:
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"--device must be cpu or cuda, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda, but torch.cuda.is_available() is False on this machine; use --device cpu")
    return torch.device(name)


def stage_dir(cfg, stage) -> str:
    return os.path.join(cfg["run"]["save_dir"], stage)


def student_stage(cfg) -> str:
    return f"student_{cfg['distill']['loss']}"


def build_datamanager(cfg, device):
    """torchreid's ``ImageDataManager`` on Market-1501, after our own checks of the folder."""
    data = cfg["data"]
    info = check_market1501(data["root"])  # never lets torchreid start a download
    if data["batch_size_train"] > info["num_train"]:
        raise ConfigError(f"--batch-size {data['batch_size_train']} is larger than the {info['num_train']} "
                          f"training images in {info['data_dir']} (torchreid drops incomplete batches)")
    return compat.data().ImageDataManager(
        root=os.path.abspath(os.path.expanduser(data["root"])), sources="market1501", targets="market1501",
        height=data["height"], width=data["width"], transforms=list(data["transforms"]),
        batch_size_train=data["batch_size_train"], batch_size_test=data["batch_size_test"],
        workers=data["workers"], use_gpu=device.type == "cuda")


def build_model(arch, num_classes, pretrained, device):
    models = compat.models()
    try:
        model = models.build_model(name=arch, num_classes=num_classes, loss="softmax", pretrained=pretrained)
    except KeyError:
        raise ConfigError(f"unknown torchreid model {arch!r} (model.teacher / model.student); e.g. resnet50, "
                          f"resnet18") from None
    return model.to(device)


def build_optimizer(cfg, model):
    train, optim = cfg["train"], compat.optim()
    optimizer = optim.build_optimizer(model, optim=train["optim"], lr=train["lr"],
                                      weight_decay=train["weight_decay"])
    stepsize = train["stepsize"]
    if train["lr_scheduler"] == "single_step" and isinstance(stepsize, (list, tuple)):
        stepsize = stepsize[0]
    scheduler = optim.build_lr_scheduler(optimizer, lr_scheduler=train["lr_scheduler"], stepsize=stepsize,
                                         gamma=train["gamma"], max_epoch=train["max_epoch"])
    return optimizer, scheduler


def _meta(cfg, stage, arch, num_classes, teacher_checkpoint=None):
    meta = {"stage": stage.split("_")[0], "arch": arch, "num_classes": int(num_classes),
            "max_epoch": int(cfg["train"]["max_epoch"]), "dataset": "market1501"}
    if stage != "teacher":
        meta.update(loss=cfg["distill"]["loss"], teacher_checkpoint=teacher_checkpoint)
    return meta


def train_stage(cfg, stage, datamanager, device, teacher=None, teacher_checkpoint=None, resume=None,
                output=None, trust=False):
    """Train the teacher (``stage='teacher'``) or a student; returns ``(model, path of model.pth)``."""
    from .engine import DistillSoftmaxEngine

    train = cfg["train"]
    compat.set_random_seed(train["seed"])
    arch = cfg["model"]["teacher"] if stage == "teacher" else cfg["model"]["student"]
    num_classes = datamanager.num_train_pids
    model = build_model(arch, num_classes, cfg["model"]["pretrained"], device)
    optimizer, scheduler = build_optimizer(cfg, model)
    if train["fixbase_epoch"] > 0:
        unknown = [name for name in train["open_layers"] or [] if not hasattr(model, name)]
        if unknown or not train["open_layers"]:
            raise ConfigError(f"train.open_layers {train['open_layers']!r}: {arch} has no layer(s) "
                              f"{unknown or 'given'} to train alone during the {train['fixbase_epoch']} "
                              f"fixbase epoch(s)")
    use_gpu = device.type == "cuda"
    loss_cfg = None if stage == "teacher" else distill_loss_config(cfg)
    if loss_cfg is None:
        engine = compat.image_softmax_engine()(datamanager, model, optimizer, scheduler=scheduler,
                                               use_gpu=use_gpu, label_smooth=train["label_smooth"])
    else:
        engine = DistillSoftmaxEngine(datamanager, model, optimizer, teacher, loss_cfg, scheduler=scheduler,
                                      use_gpu=use_gpu, label_smooth=train["label_smooth"])
        print(f"=> distilling {cfg['model']['teacher']} -> {arch} with {engine.distill_loss}")
    folder = stage_dir(cfg, stage)
    last = os.path.join(folder, "last.pth")
    start_epoch = 0
    meta = _meta(cfg, stage, arch, num_classes, teacher_checkpoint)
    if resume is not None:
        start_epoch = resume_training(resume, model, optimizer, scheduler, meta, trust)
        print(f"=> resumed {stage} from {resume}: {start_epoch} epoch(s) done")
    engine.max_epoch = max_epoch = train["max_epoch"]
    print_freq = min(train["print_freq"], len(datamanager.train_loader))  # at least one line an epoch
    began = time.time()
    for epoch in range(start_epoch, max_epoch):
        engine.epoch = epoch
        engine.train(print_freq=print_freq, fixbase_epoch=train["fixbase_epoch"],
                     open_layers=train["open_layers"])
        save_atomic(training_state(model, optimizer, scheduler, epoch + 1, meta), last)
        print(f"=> {stage}: epoch {epoch + 1}/{max_epoch} saved to {last}")
    output = output or os.path.join(folder, "model.pth")
    save_atomic({"state_dict": model.state_dict(), "epoch": max(max_epoch, start_epoch), "meta": meta}, output)
    print(f"=> {stage} trained in {time.time() - began:.0f} s; weights saved to {output}")
    return model, output


def load_teacher(cfg, path, datamanager, device, trust=False):
    """The frozen teacher from ``path``; its class count must match the training identities."""
    from .engine import freeze

    if not os.path.isfile(path):
        raise CheckpointError(f"teacher checkpoint not found: {path} (train one with --mode teacher, or pass "
                              f"--teacher-checkpoint PATH)")
    teacher = build_model(cfg["model"]["teacher"], datamanager.num_train_pids, False, device)
    load_model_checkpoint(teacher, path, expected_classes=datamanager.num_train_pids, trust=trust)
    print(f"=> teacher {cfg['model']['teacher']} loaded from {path}")
    return freeze(teacher)


def load_for_eval(cfg, path, device, trust=False):
    """A model to evaluate from ``path``: architecture from the checkpoint's meta (else the
    config's student), class count from its classifier (any training identities)."""
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint to evaluate not found: {path} (pass --student-checkpoint PATH)")
    allow_torchreid_checkpoints()
    checkpoint = read_checkpoint(path, trust=trust)
    meta = checkpoint.get("meta") if isinstance(checkpoint, dict) else None
    arch = (meta or {}).get("arch") or cfg["model"]["student"]
    model = build_model(arch, num_classes_of(checkpoint, path), False, device)
    load_model_checkpoint(model, path, trust=trust, role="evaluated")
    return model, arch


def report(cfg, name, result, extra):
    """Write ``results_<name>.json`` and print the metrics as the run's last lines."""
    record = dict(result, **extra)
    path = write_json_atomic(record, os.path.join(cfg["run"]["save_dir"], f"results_{name}.json"))
    ranks = cfg["test"]["ranks"]
    print(f"=> results written to {path}")
    print(f"** Results: {extra.get('arch')} ({name}) on Market-1501, {result['num_query']} query / "
          f"{result['num_gallery']} gallery images **")
    for line in format_results(result, ranks):
        print(line)
    return record


def run_eval(cfg, model, datamanager, device, name, extra):
    test = cfg["test"]
    result = evaluate(model, datamanager, device, test["dist_metric"], test["normalize_feature"],
                      tuple(test["ranks"]))
    return report(cfg, name, result, extra)


def run(cfg, mode=None, teacher_checkpoint=None, student_checkpoint=None, resume=None, trust=False):
    """``mode`` None: teacher when its checkpoint is absent, then student, then evaluation.
    ``'teacher'`` / ``'student'``: train that one and evaluate it. ``'eval'``: evaluate a checkpoint."""
    if mode not in (None, "teacher", "student", "eval"):
        raise ConfigError(f"--mode must be teacher, student or eval, got {mode!r}")
    device = resolve_device(cfg["run"]["device"])
    teacher_checkpoint, student_checkpoint, resume = (
        os.path.abspath(p) if p is not None else None for p in (teacher_checkpoint, student_checkpoint, resume))
    cfg["run"]["save_dir"] = os.path.abspath(os.path.expanduser(cfg["run"]["save_dir"]))
    loss = cfg["distill"]["loss"]
    distill_loss_config(cfg)  # a bad loss name fails before any data is read
    default_teacher = os.path.join(stage_dir(cfg, "teacher"), "model.pth")
    student_name = student_stage(cfg)
    default_student = os.path.join(stage_dir(cfg, student_name), "model.pth")
    needed = [(resume, "--resume", "a last.pth written by a training run")]
    if mode == "eval":
        needed.append((student_checkpoint or default_student, "--student-checkpoint", "the weights to evaluate"))
    if loss != "none" and (mode == "student" or (mode is None and teacher_checkpoint is not None)):
        needed.append((teacher_checkpoint or default_teacher, "--teacher-checkpoint",
                       "a trained teacher; train one with --mode teacher"))
    for path, option, hint in needed:
        if path is not None and not os.path.isfile(path):
            raise CheckpointError(f"{option} {path}: checkpoint not found (no such file); expected {hint}")
    datamanager = build_datamanager(cfg, device)

    if mode == "eval":
        path = student_checkpoint or default_student
        model, arch = load_for_eval(cfg, path, device, trust)
        return run_eval(cfg, model, datamanager, device, "eval", {"arch": arch, "checkpoint": path})

    if mode == "teacher":
        model, path = train_stage(cfg, "teacher", datamanager, device, resume=resume,
                                  output=teacher_checkpoint, trust=trust)
        return run_eval(cfg, model, datamanager, device, "teacher",
                        {"arch": cfg["model"]["teacher"], "checkpoint": path})

    teacher, teacher_path = None, teacher_checkpoint or default_teacher
    resume_student = resume
    if mode is None and teacher_checkpoint is None and not os.path.isfile(default_teacher) and loss != "none":
        last = os.path.join(stage_dir(cfg, "teacher"), "last.pth")
        resume_teacher = resume or (last if os.path.isfile(last) else None)
        print(f"=> no teacher checkpoint at {default_teacher}: training the teacher first")
        teacher, teacher_path = train_stage(cfg, "teacher", datamanager, device, resume=resume_teacher,
                                            trust=trust)
        run_eval(cfg, teacher, datamanager, device, "teacher",
                 {"arch": cfg["model"]["teacher"], "checkpoint": teacher_path})
        from .engine import freeze
        freeze(teacher)
        resume_student = None
    if loss != "none" and teacher is None:
        teacher = load_teacher(cfg, teacher_path, datamanager, device, trust)
    if mode is None and resume_student is None:
        last = os.path.join(stage_dir(cfg, student_name), "last.pth")
        resume_student = last if os.path.isfile(last) else None
    model, path = train_stage(cfg, student_name, datamanager, device, teacher=teacher,
                              teacher_checkpoint=teacher_path if loss != "none" else None,
                              resume=resume_student, output=student_checkpoint, trust=trust)
    return run_eval(cfg, model, datamanager, device, student_name,
                    {"arch": cfg["model"]["student"], "checkpoint": path, "loss": loss,
                     "teacher_checkpoint": teacher_path if loss != "none" else None})
