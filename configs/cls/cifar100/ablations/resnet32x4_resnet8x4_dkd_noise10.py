# CIFAR-100 ablation on resnet32x4 -> resnet8x4. Table 18: DKD with symmetric label noise at rate 0.1 (10%). Generated
# by `python -m ldrld_cls.recipes`; the same switch applies to any pair through --cfg-options (see
# docs/classification.md).
_base_ = ['../resnet32x4_resnet8x4_dkd.py']
train_dataloader = dict(dataset=dict(noise_rate=0.1, noise_seed=0))
