"""The docs build (`make docs`, tools/docs_build.py) writes one page per notebook, with its title, signatures and
pictures, and every internal link and image on the site resolves.

The build goes into a copy of the repository under tmp_path, on the offline route (nbdev's processors, then
smalldocs). It executes only three notebooks (`--exec`): running them all is what tests/test_notebooks.py already
does, and doing it again here would double the suite's time. The three are the index, a light module notebook
(00b_skeleton) and a tiny notebook added to the copy that draws a figure and has a `#| slow` cell.

Pages are named as nbdev names them for Quarto (`output-file`: `08a_infer.ipynb` → `infer.html`), so the links that
nbdev writes (`` `Maps` `` → `https://simplepose.github.io/simplepose/peaks.html#maps`) point at pages that exist
on the deployed site too; the link walk counts such absolute links to the site as internal."""
import html, json, re, shutil, subprocess, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from nbdev.config import get_config, nbpath2html

ROOT = Path(__file__).parent.parent
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))

def _copy(tmp, nbs=None):
    for name in ('pyproject.toml', 'README.md'): shutil.copy(ROOT/name, tmp/name)
    for d in ('tools', 'simplepose', 'testdata'): shutil.copytree(ROOT/d, tmp/d, ignore=shutil.ignore_patterns('__pycache__'))
    (tmp/'nbs').mkdir()
    for f in (ROOT/'nbs').iterdir():
        if f.is_file() and f.suffix != '.ipynb' and f.name not in ('nbdev.yml', 'sidebar.yml'): shutil.copy(f, tmp/'nbs'/f.name)
        elif f.is_dir() and not f.name.startswith(('_', '.')): shutil.copytree(f, tmp/'nbs'/f.name)  # images/
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

def page(nb) -> str: return nbpath2html(Path(nb).name).name

class _Refs(HTMLParser):
    "Every `href`/`src` of a page (links, images, scripts, stylesheets) and every `id`"
    def __init__(self):
        super().__init__(); self.refs, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) is not None: self.refs.append((tag, k, a[k]))

def dead_links(site:Path, base:str) -> tuple:
    "Walk every page of `site`: (problems, counts); `base` is the published site's URL, whose links count as internal"
    pages, bad, n = {}, [], dict(pages=0, links=0, anchors=0, images=0)
    for f in sorted(site.rglob('*.html')):
        p = _Refs(); p.feed(f.read_text(encoding='utf-8')); pages[f.resolve()] = p
    for f, p in pages.items():
        n['pages'] += 1
        for tag, attr, ref in p.refs:
            ref = ref.strip()
            u = urlsplit('/' + ref[len(base):] if ref.startswith(base) else ref)
            if u.scheme or u.netloc or ref.startswith(('mailto:', 'javascript:', 'data:')) or not ref: continue
            path = unquote(u.path)
            target = (site/path.lstrip('/')) if path.startswith('/') else (f.parent/path if path else f)
            if target.is_dir(): target = target/'index.html'
            kind = 'images' if tag == 'img' else 'links'
            n[kind] += 1
            where = f'{f.relative_to(site.resolve())}: {ref}'
            if not target.exists(): bad.append(f'{where} (no {target.name})'); continue
            if u.fragment and target.suffix == '.html':
                n['anchors'] += 1
                ids = pages.get(target.resolve()).ids if target.resolve() in pages else set()
                if unquote(u.fragment) not in ids: bad.append(f'{where} (no #{u.fragment} on {target.name})')
    return bad, n

def test_dead_links(tmp_path):
    (tmp_path/'a.html').write_text('<a href="b.html#x">b</a><a href="https://s.io/p/b.html">b</a><img src="i.png">'
                                   '<a href="https://s.io/p/c.html">c</a><a href="b.html#y">y</a><a href="https://else.org/">e</a>')
    (tmp_path/'b.html').write_text('<h2 id="x">x</h2>')
    bad, n = dead_links(tmp_path, 'https://s.io/p/')
    assert bad == ['a.html: i.png (no i.png)', 'a.html: https://s.io/p/c.html (no c.html)', 'a.html: b.html#y (no #y on b.html)'], bad
    assert n == dict(pages=2, links=4, anchors=2, images=1)

PLOT_NB = {'cells': [
    {'cell_type': 'markdown', 'id': 'a1', 'metadata': {}, 'source': ['# A plot\n', '\n', '> One figure.']},
    {'cell_type': 'code', 'id': 'a2', 'metadata': {}, 'execution_count': None, 'outputs': [],
     'source': ['import matplotlib.pyplot as plt\n', "plt.plot([0, 1], [1, 0]);"]},
    {'cell_type': 'code', 'id': 'a3', 'metadata': {}, 'execution_count': None, 'outputs': [],
     'source': ['#| slow\n', "print('slow cells run too, as in Run All')"]}],
    'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
    'nbformat': 4, 'nbformat_minor': 5}

def test_site(tmp_path):
    "the whole site: a page per notebook with its title and sidebar, rendered signatures, executed pages with their pictures, no dead internal link or image"
    _copy(tmp_path)
    (tmp_path/'nbs'/'98_plot.ipynb').write_text(json.dumps(PLOT_NB))
    out = _build(tmp_path, '--exec', 'index', '00b_skeleton', '98_plot', '--workers', '1')
    assert 'sudo' not in out, 'the build tried to install Quarto'
    assert 'executed 3 notebooks' in out, out
    plot = (tmp_path/'_docs'/'plot.html').read_text()
    assert '<img src="data:image/png;base64,' in plot, 'the figure is not on the page'
    assert 'slow cells run too' in plot
    assert not (tmp_path/'nbs'/'98_plot.ipynb').read_text().count('image/png'), 'the source notebook was modified'
    docs = tmp_path/'_docs'
    for nb in NBS:
        pg = docs/page(nb)
        assert pg.exists(), f'no page {pg.name} for {nb.name} in {sorted(p.name for p in docs.glob("*.html"))}'
        assert _norm(_page_title(pg)) == _norm(_title(nb)), f'{pg.name}: title {_page_title(pg)!r}, notebook says {_title(nb)!r}'
        side = re.search(r'id="quarto-sidebar".*?</nav>', pg.read_text(), re.S).group(0)
        for other in NBS: assert f'href="{page(other)}"' in side, f'{pg.name}: sidebar lacks {page(other)}'
        assert '.yml' not in side, f'{pg.name}: sidebar lists config files'
    contract = (docs/'contract.html').read_text()
    assert re.search(r'<h3 id="error_line"[^>]*>error_line</h3>.*?<span class="kw">def</span> <span class="fu">error_line</span>', contract, re.S), \
        'no rendered show_doc signature for error_line'
    table = re.search(r'<table.*?</table>', (docs/'index.html').read_text(), re.S).group(0)  # the index's notebook table
    for nb in NBS:
        if nb.stem != 'index': assert f'href="{page(nb)}"' in table, f"the index's notebook table does not link {page(nb)}"

    cfg = get_config(ROOT)
    bad, n = dead_links(docs, f"{cfg.doc_host.rstrip('/')}{cfg.doc_baseurl.rstrip('/')}/")
    print(f"link check: {n['links']} internal links ({n['anchors']} with anchors) and {n['images']} images on {n['pages']} pages")
    assert not bad, f'{len(bad)} dead internal links or images of {n["links"] + n["images"]}:\n' + '\n'.join(bad[:40])
