"""The notebooks are the source: `nbdev-export` and `nbdev-clean` must change nothing."""
import filecmp, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent

def _copy(tmp):
    for name in ('pyproject.toml', 'README.md'): shutil.copy(ROOT/name, tmp/name)
    shutil.copytree(ROOT/'tools', tmp/'tools', ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copytree(ROOT/'nbs', tmp/'nbs', ignore=shutil.ignore_patterns('_out', '.ipynb_checkpoints'))
    shutil.copytree(ROOT/'simplepose', tmp/'simplepose', ignore=shutil.ignore_patterns('__pycache__'))

def _diff(a, b):
    "Files that differ, or exist on one side only, between folders `a` and `b` (recursively)"
    c = filecmp.dircmp(a, b, ignore=['__pycache__'])
    out = [f'{a}/{n}' for n in c.left_only + c.right_only + c.diff_files]
    for d in c.common_dirs: out += _diff(Path(a)/d, Path(b)/d)
    return out

def test_export_in_sync(tmp_path):
    _copy(tmp_path)
    pyproject = (tmp_path/'pyproject.toml').stat().st_mtime_ns
    subprocess.run([BIN/'nbdev-export'], cwd=tmp_path, check=True, capture_output=True)
    changed = _diff(ROOT/'simplepose', tmp_path/'simplepose')
    assert not changed, f'nbdev-export would change {changed}: run `make export` and commit'
    # the Makefile reinstalls when pyproject.toml is newer than its stamp: an export (every notebook's last cell) must not touch it
    assert (tmp_path/'pyproject.toml').stat().st_mtime_ns == pyproject, 'nbdev-export rewrote pyproject.toml: set update_pyproject = false'

def test_notebooks_clean(tmp_path):
    _copy(tmp_path)
    subprocess.run([BIN/'nbdev-clean'], cwd=tmp_path, check=True, capture_output=True)
    changed = _diff(ROOT/'nbs', tmp_path/'nbs')
    assert not changed, f'nbdev-clean would change {changed}: run `make export` and commit'

def test_readme_in_sync(tmp_path):
    _copy(tmp_path)
    subprocess.run([sys.executable, 'tools/readme.py'], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path/'README.md').read_text() == (ROOT/'README.md').read_text(), 'README.md is stale: run `make export`'
