"""Every notebook is a test, executed as JupyterLab's Run All executes it.

Each notebook runs in a fresh Jupyter kernel (nbclient, the library behind `jupyter nbconvert --execute`) with
`nbs/` as the working directory, every cell in order. Unlike nbdev's `test_nb`, nothing is skipped: cells
flagged `#| slow` or `#| cuda` run too, as they do in the lab. So each `#| cuda` cell guards its GPU work with
`if cuda_or_note():` (one printed line and nothing else without CUDA; the checks run wherever CUDA is there),
and `#| slow` cells are kept short enough for Run All (long fuzzing and full runs live in `bench/`).
`NBDEV_FLAGS` therefore changes nothing here. Kernels are forked from a warm process that has imported ipykernel and
torch (tests/warm.py; `SIMPLEPOSE_TEST_COLD=1` starts them cold, as the docs build does). The kernel's temporary files go to the test's own folder (`TMPDIR`), which
pytest clears with its old runs, and once the last cell has run the kernel is ended at once (`shutdown_kernel='immediate'`):
its interpreter's tidy exit took seconds per notebook and checked nothing. The one cell left out is the closing `nbdev_export()`: notebooks run in
parallel, and an export rewrites the package's modules while other notebooks' commands import them (tests/test_sync.py
checks that the export changes nothing).

A notebook also fails when any cell writes to stderr (warnings, raw progress bars, a library's messages leaking
into the page): the executed pages are the documentation. A cell that shows an expected message captures it
(`contextlib.redirect_stderr`) and tests or prints it. One stderr line is allowed: `files.shared_data`'s
"… is absent: the checks that use it are skipped" warning, which tests/conftest.py gathers into one line of the
report (the optional real data sets missing on this machine). Each notebook's wall time is in the report too."""
import os, re, time
from pathlib import Path
import nbformat, pytest
import warm
from jupyter_client.provisioning import local_provisioner
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbdev.config import get_config

cfg = get_config(Path(__file__).parent.parent)
NBS = sorted(p for p in cfg.nbs_path.glob('*.ipynb') if not p.name.startswith(('_', '.')))
ABSENT = re.compile(r'(\S+) is absent: the checks that use it are skipped')

def test_notebooks_found(): assert len(NBS) >= 2, f'no notebooks found in {cfg.nbs_path}'

def stray_stderr(text:str) -> tuple:
    "Split a cell's stderr `text` into (stray lines, absent data paths); the absence warning and its source line are allowed"
    stray, absent, lines = [], [], text.splitlines()
    i = 0
    while i < len(lines):
        m = ABSENT.search(lines[i])
        if m:
            absent.append(m.group(1))
            if i + 1 < len(lines) and lines[i+1].startswith('  warnings.warn('): i += 1  # the source line Python prints
        elif lines[i].strip(): stray.append(lines[i])
        i += 1
    return stray, absent

def test_stray_stderr():
    w = "/x/core.py:315: UserWarning: /d/coco-mini is absent: the checks that use it are skipped\n  warnings.warn(f'{p} is absent')\n"
    assert stray_stderr(w) == ([], ['/d/coco-mini'])
    assert stray_stderr(w + 'IProgress not found.\n') == (['IProgress not found.'], ['/d/coco-mini'])

def _stderr(cell) -> str:
    return ''.join(o.get('text', '') for o in cell.get('outputs', []) if o.get('output_type') == 'stream' and o.get('name') == 'stderr')

def _head(cell, n=3) -> str: return '\n'.join(cell.source.splitlines()[:n])

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb, record_property, tmp_path, monkeypatch):
    monkeypatch.setattr(local_provisioner, 'launch_kernel', warm.launch_kernel) # the kernel forked warm where it can (tests/warm.py)
    book = nbformat.read(nb, as_version=4)
    book.cells = [c for c in book.cells if not (c.cell_type == 'code' and 'nbdev_export(' in c.source)]
    client = NotebookClient(book, timeout=int(cfg.cell_timeout), kernel_name='python3', allow_errors=False, shutdown_kernel='immediate',
                            resources={'metadata': {'path': str(cfg.nbs_path)}})
    t = time.time()
    try: client.execute(env={**os.environ, 'TMPDIR': str(tmp_path)})
    except (CellExecutionError, CellTimeoutError) as e: error = str(e)
    else: error = None
    secs = time.time() - t
    record_property('runall_seconds', round(secs, 1))
    stray, absent = [], []
    for i, cell in enumerate(book.cells):
        if cell.cell_type != 'code': continue
        s, a = stray_stderr(_stderr(cell))
        absent += a
        if s: stray.append(f'cell {i} ({_head(cell, 1)!r}): ' + ' | '.join(s[:5]) + (' | …' if len(s) > 5 else ''))
    record_property('absent_data', sorted(set(absent)))
    assert error is None, f'{nb.name} failed after {secs:.0f}s:\n{error[-6000:]}'
    assert not stray, f'{nb.name}: stray stderr in {len(stray)} cells:\n' + '\n'.join(stray)
