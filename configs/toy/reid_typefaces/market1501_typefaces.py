# The Re-ID study on real typefaces (`make study-reid`, docs/typefaces.md): each packaged Google
# Fonts family is one identity, its images short random strings under six rendering conditions
# that play the cameras (toy/typeface_reid.py, `python tools/make_toy_data.py reid-typefaces --out
# DIR`; pass --data-root DIR/students); query and gallery typefaces are never trained on. The
# packaged pair (torchreid ResNet-50 teacher -> ResNet-18 student, softmax recipe, AMSGrad) at 64x32
# input instead of 256x128 and without ImageNet weights (nothing downloads), so that the study fits
# 45 minutes on two CPU cores; random crops instead of flips (mirrored text is not the typeface).
_base_ = ['../../reid/market1501_r50_r18_ldrld.py']
teacher = dict(name='resnet50', pretrained=False)
model = dict(pretrained=False)
data = dict(height=64, width=32, workers=0, transforms=['random_crop'])
work_dir = 'work_dirs/reid_typefaces'
train = dict(batch_size=32, lr=0.001, max_epoch=12, fixbase_epoch=0, stepsize=[9], print_freq=10)
test = dict(batch_size=100, eval_freq=-1)
device = 'cpu'
