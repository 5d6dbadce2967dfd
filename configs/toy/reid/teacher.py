# The toy Re-ID teacher: the student's network and recipe, trained alone on the teacher's larger set
# (make_toy_data.py reid-pair: DIR/teacher).
_base_ = ['./student.py']
work_dir = 'work_dirs/reid_toy/teacher'
