# What the classification data sets share (each file under datasets/ inherits it and sets its data root,
# class count, normalisation, batch sizes, workers and pipelines): the distiller with its device-side data
# preprocessor, shuffled training and ordered validation through MMEngine's DefaultSampler, top-1/top-5.
model = dict(type='ClsDistiller', data_preprocessor=dict(type='ClsDataPreprocessor'))
train_dataloader = dict(
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(split='train'),
)
val_dataloader = dict(
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='TopKAccuracy', topk=(1, 5))
