"""Bottom-up multi-person pose estimation (SimplePose, AAAI 2020) for current torch and fastai."""
__version__ = "0.0.1"

import os as _os
# The one thing importing simplepose does to the process (documented in nbs/00_core.ipynb, "Threads on a shared machine"):
# OpenMP threads waiting for work sleep instead of spinning, so that torch degrades gracefully when other processes share
# the cores. OpenMP reads this when torch is first imported, hence here; a value the user set is kept.
_os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
