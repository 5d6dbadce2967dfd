# Tables 15 and 17's ablations as the paper's recipe has them (no loss warm-up), paired against
# LDRLD without one (docs/typefaces.md): the study of cls_typefaces.py with its ablation rows
# changed; run with --resume in the same --out to keep that study's finished runs.
#   python tools/study.py configs/studies/cls_typefaces_recipe_ablations.py --ablations --resume --out outputs/study_cls
_base_ = ['./cls_typefaces.py']

rows = dict(
    local_only=dict(point=dict(_delete_=True)),
    rntk_d7=dict(point=dict(_delete_=True, **{'model.distill_loss.depth': 7})),
    no_adw=dict(point=dict(_delete_=True)),
    rntk_d3=dict(point=dict(_delete_=True, **{'model.distill_loss.depth': 3})),
    rntk_d5=dict(point=dict(_delete_=True, **{'model.distill_loss.depth': 5})),
    rntk_d9=dict(point=dict(_delete_=True, **{'model.distill_loss.depth': 9})),
)
ablations = dict(
    text='Ablations of LDRLD (Tables 15 and 17), as the recipe has them (no loss warm-up)',
    rows=['student', 'ldrld', 'local_only', 'rntk_d7', 'no_adw', 'rntk_d3', 'rntk_d5', 'rntk_d9'],
    labels=dict(_delete_=True, student='Student alone (no distillation)', ldrld='LDRLD (local + RNTK, ADW, d 7)'),
    against='ldrld',
)
