"""gan-lab: the package every lab notebook imports."""
__version__ = "0.1.0"
