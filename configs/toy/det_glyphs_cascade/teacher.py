# The cascade rows' teacher: the toy cascade teacher (configs/toy/det/cascade_teacher.py: the
# students' network, BGR input) on the study's larger training set (DIR/teacher).
_base_ = '../det/cascade_teacher.py'
