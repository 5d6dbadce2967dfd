# The study's teacher: the toy teacher of configs/toy/det/ (the students'
# network, BGR input) on the study's larger training set (DIR/teacher).
_base_ = '../det/teacher.py'
