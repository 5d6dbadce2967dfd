# The Re-ID study on real typefaces (`make study-reid`, docs/typefaces.md): each packaged Google
# Fonts family is one identity, its images short random strings under six rendering conditions
# that play the cameras (toy/typeface_reid.py, `python tools/make_toy_data.py reid-typefaces --out
# DIR`; pass --data-root DIR/students); query and gallery typefaces are never trained on.
# torchreid's softmax recipe (AMSGrad) with these changes, so that the study fits 60 minutes on
# two CPU cores:
# - both networks are torchreid's ResNet-18 (the packaged pair is ResNet-50 -> ResNet-18: in the
#   glyph pretraining, ResNet-50 and ResNet-34 were still at 2-7 % training accuracy after
#   150 steps, ResNet-18 at 24-44 %, 1/62 being chance); the teacher knows more because it sees
#   four times the images of each identity (DIR/teacher), with random erasing (teacher.py: 16.7 mAP
#   with twice the images and crops only, 21.3 with these, on a chance of 5.8 %);
# - both start from weights trained on single characters of the training typefaces
#   (pretrain.py on `tools/make_toy_data.py reid-glyphs`, characters as identities: the stand-in
#   for ImageNet weights), passed as model.init_checkpoint; nothing downloads;
# - 64x32 input instead of 256x128, lr 0.001 decayed at epoch 9 of 12, random crops instead of
#   flips (mirrored text is not the typeface).
# This file is the student alone; kd.py, dkd.py and ldrld.py distil from teacher.py's run.
_base_ = ['../../reid/market1501_r18.py']
model = dict(pretrained=False)
data = dict(height=64, width=32, workers=0, transforms=['random_crop'])
work_dir = 'work_dirs/reid_typefaces/student'
train = dict(batch_size=32, lr=0.001, max_epoch=12, fixbase_epoch=0, stepsize=[9], print_freq=10)
test = dict(batch_size=100, eval_freq=-1)
device = 'cpu'
