"""Bottom-up multi-person pose estimation (SimplePose, AAAI 2020) for current torch and fastai."""
__version__ = "0.0.1"
