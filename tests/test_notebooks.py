"""Every notebook is a test: one pytest test per notebook, run by nbdev's own `test_nb`.

Cells flagged with `tst_flags` (pyproject.toml: slow, cuda) are skipped unless named in the
NBDEV_FLAGS environment variable (e.g. `NBDEV_FLAGS=slow make test`)."""
import os
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb

cfg = get_config(Path(__file__).parent.parent)
NBS = sorted(p for p in cfg.nbs_path.glob('*.ipynb') if not p.name.startswith(('_', '.')))

def test_notebooks_found(): assert len(NBS) >= 2, f'no notebooks found in {cfg.nbs_path}'

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    skip = str(cfg.tst_flags).split()
    force = os.environ.get('NBDEV_FLAGS', '').split()
    ok, secs = run_nb(nb, skip_flags=skip, force_flags=force, basepath=cfg.config_path, cell_timeout=cfg.cell_timeout)
    assert ok, f'{nb.name} failed after {secs:.0f}s: see the traceback above'
