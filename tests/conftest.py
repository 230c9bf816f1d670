"""Lines in the report, just before pytest's final `N passed`: the tests' time in all, how many commands and notebook
kernels started warm and cold (tests/warm.py), each notebook's Run-All wall time, and which checks were skipped because optional real data
(coco-mini, via `$SIMPLEPOSE_DATA` or `../shared/data`) is absent. `SIMPLEPOSE_TEST_CPU=file` writes each test's CPU
and wall seconds to `file`.

The tests record these as `user_properties` (tests/test_notebooks.py), which pytest-xdist carries to the main
process, where this file gathers them. It also holds the `served` fixture, the published weights on a loopback server."""
import os, resource, sys, time
from collections import defaultdict
from pathlib import Path
import pytest
from weights_server import Served, published_layout

ROOT = Path(__file__).parent.parent

_times, _absent, _durations, _starts, _cold_why = {}, defaultdict(set), {}, defaultdict(int), {}

# The slowest tests first (measured by `make test` on 2 quiet cores, `pytest --durations`), each handed out alone
# (`--maxschedchunk 1` in the Makefile): the two workers then end within a short test of each other instead of one
# of them starting the README's run last. Tests not named here follow in file order.
SLOW_FIRST = ['test_readme.py::test_readme_as_pasted', 'test_notebooks.py::test_notebook[07a_train]',
              'test_notebooks.py::test_notebook[09c_predict]', 'test_notebooks.py::test_notebook[05_model]',
              'test_notebooks.py::test_notebook[07_learner]', 'test_docs.py::test_site',
              'test_notebooks.py::test_notebook[10_eval]', 'test_bench.py::test_contention_quick',
              'test_notebooks.py::test_notebook[08_backends]', 'test_bench.py::test_gpu_dry',
              'test_notebooks.py::test_notebook[11_quickstart]', 'test_notebooks.py::test_notebook[02_data]',
              'test_notebooks.py::test_notebook[09_estimator]', 'test_notebooks.py::test_notebook[12_finetune]',
              'test_notebooks.py::test_notebook[05a_hub]', 'test_notebooks.py::test_notebook[08b_testing]',
              'test_notebooks.py::test_notebook[01_synth]', 'test_bench.py::test_backends_quick',
              'test_bench.py::test_memorize_quick', 'test_hub.py::test_download_once_then_cached_then_offline',
              'test_int8.py::test_export_int8', 'test_notebooks.py::test_notebook[00_contract]',
              'test_notebooks.py::test_notebook[03e_track]', 'test_notebooks.py::test_notebook[01a_synth_video]',
              'test_notebooks.py::test_notebook[04_augment]', 'test_faults.py::test_poisoned_graph_cache',
              'test_faults.py::test_two_runs_into_one_out']

def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda it: rank.get(it.nodeid.split('/')[-1], len(rank)))

def _cpu() -> float:
    "CPU seconds of this process and of its children that have ended"
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ('ru_utime', 'ru_stime'))

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    "With `SIMPLEPOSE_TEST_CPU=file`, append each test's CPU seconds (its own and its ended children's) and wall seconds to `file`"
    if not (f := os.environ.get('SIMPLEPOSE_TEST_CPU')): yield; return
    c, t = _cpu(), time.time()
    yield
    with open(f, 'a') as out: out.write(f'{_cpu() - c:.1f} {time.time() - t:.1f} {item.nodeid}\n')

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    "Count the commands and notebook kernels the test started warm and cold (tests/warm.py) into its report, with why a kind started cold"
    warm = sys.modules.get('warm')
    before = dict(warm.STARTS) if warm else {}
    yield
    if (warm := sys.modules.get('warm')):
        item.user_properties.append(('starts', {k: warm.STARTS[k] - before.get(k, 0) for k in warm.STARTS}))
        item.user_properties.append(('cold_why', warm.cold_reasons()))

def _stem(nodeid:str) -> str: return nodeid.rsplit('[', 1)[-1].rstrip(']')

def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0) + report.duration
    if report.when != 'call': return
    props = dict(report.user_properties)
    for k, n in props.get('starts', {}).items(): _starts[k] += n
    _cold_why.update(props.get('cold_why', {}))
    if 'runall_seconds' in props: _times[_stem(report.nodeid)] = props['runall_seconds']
    for p in props.get('absent_data', []): _absent[_dataset(p)].add(_stem(report.nodeid))

def _dataset(p:str) -> str:
    "The data set a missing path belongs to: its first folder under the data base (`coco-mini`), else the path"
    try: return Path(p).relative_to(_data_base()).parts[0]
    except (ValueError, IndexError): return p

def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    workers = getattr(tr.config.option, 'numprocesses', None) or 1
    if _durations: tr.write_line(f'tests took {sum(_durations.values()):.0f} s in all (set-up and tear-down included): '
                                 f'{sum(_durations.values()) / workers:.0f} s per worker when {workers} share them evenly')
    if _starts: tr.write_line(f'started warm (tests/warm.py): {_starts["warm"]} commands and {_starts["kernels warm"]} notebook kernels; '
                              f'cold: {_starts["cold"]} commands and {_starts["kernels cold"]} kernels'
                              + ''.join(f'; all {k} cold: {why}' for k, why in sorted(_cold_why.items())))
    if _times:
        tr.write_line(f'Run All wall time per notebook ({sum(_times.values()):.0f}s in all): '
                      + ', '.join(f'{k} {v:.0f}s' for k, v in sorted(_times.items())))
    if _absent:
        tr.write_line(f'skipped for absent data ({_data_base()}; set SIMPLEPOSE_DATA): '
                      + '; '.join(f'{p} → checks in {", ".join(sorted(nbs))}' for p, nbs in sorted(_absent.items())))
    elif _times and not _data_base().exists():  # no warning came back (filtered?): say which notebooks ask for the data
        users = sorted(nb.stem for nb in (ROOT/'nbs').glob('*.ipynb') if 'shared_data(' in nb.read_text() and nb.stem != '00a_files')
        tr.write_line(f'skipped for absent data (set SIMPLEPOSE_DATA): {_data_base()} → checks in {", ".join(users)}')

def _data_base() -> Path:
    "Where `files.shared_data` looks"
    return Path(os.environ['SIMPLEPOSE_DATA']) if os.environ.get('SIMPLEPOSE_DATA') else ROOT.parent/'shared'/'data'

@pytest.fixture(scope='module')
def served(tmp_path_factory):
    "The original's weights-only file in its published layout (the full `IMHN()`, random values), served from a loopback server (tests/test_hub.py, tests/test_readme.py)"
    from simplepose.model import IMHN
    folder = tmp_path_factory.mktemp('served')
    published_layout(IMHN(init=False), folder/'PoseNet_52_epoch.pth')  # PyTorch's own random values: the original's initialisation would take 0.5 s more
    s = Served(folder)
    yield s
    s.stop()
