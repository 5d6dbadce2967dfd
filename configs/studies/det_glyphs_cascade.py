# make study-det-cascade (docs/detection.md): the same scenes with Cascade R-CNN R-18 (slim), every
# stage's class scores distilled on its own sampled RoIs by the teacher's same stage.
_base_ = ['./det_glyphs.py']
_cfg = '{{fileDirname}}/../toy/det_glyphs_cascade/'

name = 'det-glyphs-cascade'
title = 'det: scenes of 36 typeface characters (0-9, A-Z; unseen typefaces in val), Cascade R-CNN R-18 (slim)'
rows = dict(
    teacher=dict(config=_cfg + 'teacher.py'),
    student=dict(config=_cfg + 'student.py'),
    kd=dict(config=_cfg + 'kd.py'),
    dkd=dict(config=_cfg + 'dkd.py'),
    ldrld=dict(config=_cfg + 'ldrld.py'),
)
