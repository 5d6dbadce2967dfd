"""Small data sets in the real on-disk formats, for the tests and the demo.

Not part of the runtime packages: ``toy.cls`` (CIFAR-100, ImageNet, Tiny-ImageNet
and CUB-200 layouts, plus real MNIST digits written as CIFAR pickles),
``toy.det`` (COCO 2017), ``toy.glyph_scenes`` (COCO 2017 scenes of real glyphs:
handwritten digits and typeface characters, ``toy.fonts``) and ``toy.reid`` (Market-1501). The configs that train
on them at toy scale live in ``configs/toy/``. ``tools/make_toy_data.py`` writes
any of them from the command line.
"""
