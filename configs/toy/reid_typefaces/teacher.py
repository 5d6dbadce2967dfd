# The typeface study's teacher: the student's network on four times the images of each identity
# (DIR/teacher: 100 against 25), for 18 epochs (lr decayed at 14: the same 1,620 steps as 36 epochs
# of 50 images), with random erasing beside the students' random crops. Tried on seed 0 from the
# same glyph pretraining (mAP on the study's query and gallery; chance 5.8): 50 images, 36 epochs,
# crops only 16.7 (2.9x chance; the last study's run); with random erasing 18.2; 100 images and
# random erasing 21.3
# (24.2 on another draw of query and gallery images of the same typefaces): docs/typefaces.md.
_base_ = ['./student.py']
data = dict(transforms=['random_crop', 'random_erase'])
train = dict(max_epoch=18, stepsize=[14])
work_dir = 'work_dirs/reid_typefaces/teacher'
