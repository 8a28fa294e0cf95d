"""The names of the course's four GANs, as ``gan-lab train`` takes them.

Torch-free, so that every ``gan-lab`` command (``autograde`` too) builds its parser without
loading torch; ``gan_lab.recipes`` builds the GAN each name stands for.
"""
KINDS = ("mlp", "dcgan", "lsgan", "toy1d")
