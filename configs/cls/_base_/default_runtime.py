# Runtime shared by every classification config: logging with ETA every 50
# iterations, TensorBoard (and plain JSON) logs, a checkpoint every epoch
# written atomically (the last two kept, plus the best by top-1), the
# class-count check, the accuracy report (best and last top-1) and Table 16's
# efficiency report at the end of training.
custom_imports = dict(imports=['ldrld_cls.engine'], allow_failed_imports=False)
default_scope = None

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_last=True,
        save_best='accuracy/top1',
        rule='greater',
        backend_args=dict(backend='local_atomic'),
    ),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    dict(type='ClassCountCheckHook'),
    dict(type='AccuracyReportHook'),
    dict(type='EfficiencyReportHook'),
]

env_cfg = dict(
    cudnn_benchmark=True, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0), dist_cfg=dict(backend='nccl')
)  # tools/train_cls.py switches to gloo on machines without CUDA

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'

load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
