# The study's teacher: ResNet20 trained alone on the teacher's set (--data-root DIR/teacher: 25
# other typefaces, 7,750 images, 2.6x the students'), on the students' schedule (16 epochs, lr
# warm-up 1 epoch, decays at 11/13/15).
_base_ = './student.py'

model = dict(student=dict(arch='resnet20'))
