# make study-det (docs/detection.md): scenes of 36 typeface characters (0-9, A-Z) in COCO's layout,
# unseen typefaces in val; Faster R-CNN R-18 FPN (slim), the teacher wider and on more scenes.
_base_ = ['./demo_det.py']
_cfg = '{{fileDirname}}/../toy/det_glyphs/'

name = 'det-glyphs'
title = 'det: scenes of 36 typeface characters (0-9, A-Z; unseen typefaces in val), Faster R-CNN R-18 FPN (slim)'
data = dict(main='det-glyphs')
rows = dict(
    teacher=dict(config=_cfg + 'teacher.py'),
    student=dict(config=_cfg + 'student.py'),
    kd=dict(config=_cfg + 'kd.py'),
    dkd=dict(config=_cfg + 'dkd.py'),
    ldrld=dict(config=_cfg + 'ldrld.py'),
)
