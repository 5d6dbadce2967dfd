# The study's teacher: ResNet20 trained alone on the teacher's set (--data-root DIR/teacher: 25
# other typefaces, 7,750 images, 2.6x the students'), on the students' epochs (16, lr warm-up 1 epoch,
# decays at 11/13/15) at batch 32 (the students: 16), as it was trained before the students' batch
# went to 16 (89.21 top-1 on unseen typefaces in the study's run).
_base_ = './student.py'

model = dict(student=dict(arch='resnet20'))
train_dataloader = dict(batch_size=32)
