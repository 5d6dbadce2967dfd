# The study's teacher: ResNet32 trained alone on the teacher's set (--data-root DIR/teacher:
# other typefaces, 1.6x the images), on the same schedule.
_base_ = './student.py'

model = dict(student=dict(arch='resnet32'))
