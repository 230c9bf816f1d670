"""The docs build (`make docs`, tools/docs_build.py) writes one page per notebook, with its title, signatures and pictures.

Both tests build into a copy of the repository under tmp_path, on the offline route (nbdev's processors, then
smalldocs). The page-per-notebook test skips executing the notebooks (`--no-exec`): running them is what
tests/test_notebooks.py already does, and doing it again here would double the suite's time. Execution is checked
on a small copy instead: core, index and a tiny notebook that draws a figure."""
import html, json, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).parent.parent
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))

def _copy(tmp, nbs=None):
    for name in ('pyproject.toml', 'README.md'): shutil.copy(ROOT/name, tmp/name)
    for d in ('tools', 'simplepose', 'testdata'): shutil.copytree(ROOT/d, tmp/d, ignore=shutil.ignore_patterns('__pycache__'))
    (tmp/'nbs').mkdir()
    for f in (ROOT/'nbs').iterdir():
        if f.is_file() and f.suffix != '.ipynb' and f.name not in ('nbdev.yml', 'sidebar.yml'): shutil.copy(f, tmp/'nbs'/f.name)
    for nb in (NBS if nbs is None else nbs): shutil.copy(nb, tmp/'nbs'/nb.name)

def _build(tmp, *args):
    r = subprocess.run([sys.executable, tmp/'tools'/'docs_build.py', '--renderer', 'smalldocs', *args],
                       cwd=tmp, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f'docs build failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}'
    return r.stdout + r.stderr

def _title(nb):
    "The notebook's title: its first markdown H1"
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] == 'markdown':
            m = re.match(r'#\s+(.+)', ''.join(c['source']).strip())
            if m: return m.group(1).strip()
    raise AssertionError(f'{nb.name} has no H1 title')

def _page_title(page):
    m = re.search(r'<h1 class="title">(.*?)</h1>', page.read_text(), re.S)
    assert m, f'{page.name}: no title'
    return html.unescape(re.sub('<[^>]+>', '', m.group(1))).strip()

def _norm(s): return re.sub(r'[‘’]', "'", re.sub(r'[“”]', '"', re.sub('`', '', s)))

def test_page_per_notebook(tmp_path):
    _copy(tmp_path)
    out = _build(tmp_path, '--no-exec')
    assert 'sudo' not in out, 'the build tried to install Quarto'
    docs = tmp_path/'_docs'
    for nb in NBS:
        page = docs/f'{nb.stem}.html'
        assert page.exists(), f'no page for {nb.name} in {sorted(p.name for p in docs.glob("*.html"))}'
        assert _norm(_page_title(page)) == _norm(_title(nb)), f'{page.name}: title {_page_title(page)!r}, notebook says {_title(nb)!r}'
        side = re.search(r'id="quarto-sidebar".*?</nav>', page.read_text(), re.S).group(0)
        for other in NBS: assert f'href="{other.stem}.html"' in side, f'{page.name}: sidebar lacks {other.stem}.html'
        assert '.yml' not in side, f'{page.name}: sidebar lists config files'
    core = (docs/'00_core.html').read_text()
    assert re.search(r'<h3 id="coco_to_net"[^>]*>coco_to_net</h3>.*?<span class="kw">def</span> <span class="fu">coco_to_net</span>', core, re.S), \
        'no rendered show_doc signature for coco_to_net'

PLOT_NB = {'cells': [
    {'cell_type': 'markdown', 'id': 'a1', 'metadata': {}, 'source': ['# A plot\n', '\n', '> One figure.']},
    {'cell_type': 'code', 'id': 'a2', 'metadata': {}, 'execution_count': None, 'outputs': [],
     'source': ['import matplotlib.pyplot as plt\n', "plt.plot([0, 1], [1, 0]);"]},
    {'cell_type': 'code', 'id': 'a3', 'metadata': {}, 'execution_count': None, 'outputs': [],
     'source': ['#| slow\n', "raise RuntimeError('slow cells are skipped as in the tests')"]}],
    'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
    'nbformat': 4, 'nbformat_minor': 5}

def test_executed_pages_have_pictures(tmp_path):
    _copy(tmp_path, [ROOT/'nbs'/'index.ipynb', ROOT/'nbs'/'00_core.ipynb'])
    (tmp_path/'nbs'/'98_plot.ipynb').write_text(json.dumps(PLOT_NB))
    out = _build(tmp_path, '--workers', '1')
    assert 'executed 3 notebooks' in out, out
    assert '<img src="data:image/png;base64,' in (tmp_path/'_docs'/'98_plot.html').read_text(), 'the figure is not on the page'
    assert not (tmp_path/'nbs'/'98_plot.ipynb').read_text().count('image/png'), 'the source notebook was modified'
