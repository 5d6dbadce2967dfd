# The typeface study's teacher: the student's network on twice the images of each identity
# (DIR/teacher), trained three times as long (36 epochs, lr decayed at 27).
_base_ = ['./student.py']
train = dict(max_epoch=36, stepsize=[27])
work_dir = 'work_dirs/reid_typefaces/teacher'
