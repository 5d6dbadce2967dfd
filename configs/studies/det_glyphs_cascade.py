# make study-det-cascade (docs/detection.md): the same scenes with Cascade R-CNN R-18 (slim), every
# stage's class scores distilled on its own sampled RoIs by the teacher's same stage. Student, KD and
# LDRLD over 3 seeds (within 30 minutes on the 2-core VM); --ablations adds the DKD row, 3 seeds too.
_base_ = ['./det_glyphs.py']
_cfg = '{{fileDirname}}/../toy/det_glyphs_cascade/'

name = 'det-glyphs-cascade'
title = 'det: scenes of 36 typeface characters (0-9, A-Z; unseen typefaces in val), Cascade R-CNN R-18 (slim)'
rows = dict(
    teacher=dict(config=_cfg + 'teacher.py'),
    student=dict(config=_cfg + 'student.py'),
    kd=dict(config=_cfg + 'kd.py'),
    dkd=dict(config=_cfg + 'dkd.py', ablation=True),
    ldrld=dict(config=_cfg + 'ldrld.py'),
)
tables = [
    dict(
        rows=['teacher', 'student', 'kd', 'ldrld'],
        paired=[('kd', 'student'), ('ldrld', 'student'), ('ldrld', 'kd')],
    )
]
ablations = dict(
    text='DKD on the cascade (--ablations), each row minus LDRLD paired by seed',
    rows=['student', 'kd', 'dkd', 'ldrld'],
    against='ldrld',
    seeds=3,
)
