# The glyph pretraining of the typeface study (the stand-in for ImageNet weights): ResNet-18 on
# single characters of the training typefaces, characters as identities (`tools/make_toy_data.py
# reid-glyphs`), 8 epochs (lr decayed at 6); its run is the teacher's and every student's
# model.init_checkpoint (the classifier, of another class count, is left out).
_base_ = ['./student.py']
train = dict(max_epoch=8, stepsize=[6])
work_dir = 'work_dirs/reid_typefaces/pretrain'
