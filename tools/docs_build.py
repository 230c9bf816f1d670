"""Build the docs site from the notebooks into `_docs/` (called by tools/docs.sh, i.e. `make docs`).

The committed notebooks carry no outputs, so a copy of `nbs/` is executed first (in `_nbs_exec/`, at the same
depth as `nbs/` so relative paths still work), every cell as Run All and tests/test_notebooks.py do (`#| cuda`
cells skip themselves without CUDA; the hidden closing `nbdev_export()` is left out, as in the tests); the figures and printed values then come from that run. nbdev's processors turn the executed copy into `_proc/`
(adding a rendered `show_doc` signature after each exported symbol), and a renderer writes `_docs/`:

- `--renderer quarto`: `nbdev_docs` (Quarto), as in the GitHub deploy workflow;
- `--renderer smalldocs`: `smalldocs render _proc` (pure Python; the offline route, as Quarto can't be installed here).

Both give each page the name nbdev assigns it (`output-file`, the notebook's name without its numeric prefix:
`08a_infer.ipynb` → `infer.html`), which is where nbdev's cross-references (`` `Maps` `` → `peaks.html#maps`)
and the module docstrings point. Quarto reads `output-file` itself; for smalldocs, `page_names` renames the
processed notebooks and rewrites the links between them, and makes nbdev's absolute links to the published site
relative, so the offline site is the deployed one, browsable and checkable without a network.

`--no-exec` skips running the notebooks (pages without outputs); `--exec STEM...` runs only those (what the site test uses).
Everything written lives in ignored folders (`_nbs_exec`, `_proc`, `_docs`, `nbs/nbdev.yml`).
Exits 1 when a notebook fails to execute (the site is still built, with that page lacking outputs)."""
import argparse, copy, functools, gc, json, os, re, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXEC_DIR = ROOT/'_nbs_exec'

def _notebooks(path):
    return sorted(p for p in Path(path).glob('*.ipynb') if not p.name.startswith(('_', '.')))

def exec_one(nb):
    "Run notebook `nb` in place (a copy) as the tests do (every cell but the closing export, fresh kernel), saving its outputs on success; True on success."
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from nbdev.config import get_config
    book = nbformat.read(nb, as_version=4)
    # the closing (hidden) `nbdev_export()` is left out, as the tests leave it out: notebooks run side by side, and an
    # export rewrites the package's modules while other notebooks' commands import them
    book.cells = [c for c in book.cells if not (c.cell_type == 'code' and 'nbdev_export(' in c.source)]
    try: NotebookClient(book, timeout=int(get_config(ROOT).cell_timeout), kernel_name='python3',
                        resources={'metadata': {'path': str(Path(nb).parent)}}).execute()
    except (CellExecutionError, CellTimeoutError) as e:
        print(f'docs: {Path(nb).name} failed:\n{str(e)[-3000:]}', file=sys.stderr)
        return False
    nbformat.write(book, nb)
    return True

def _exec_proc(nb):
    "Execute `nb` in a process of its own, as each test does; its name, success and seconds."
    t = time.time()
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1')}
    r = subprocess.run([sys.executable, __file__, '--exec-one', str(nb)], env=env)
    return nb.name, r.returncode == 0, time.time() - t

def copy_nbs():
    "Copy `nbs/` (with a fresh nbdev.yml) to `_nbs_exec/`."
    from nbdev.config import get_config
    from nbdev.quarto import refresh_quarto_yml
    os.chdir(ROOT)
    refresh_quarto_yml()  # writes nbs/nbdev.yml (ignored): the processors and renderers read it
    shutil.rmtree(EXEC_DIR, ignore_errors=True)
    shutil.copytree(get_config(ROOT).nbs_path, EXEC_DIR,
                    copy_function=shutil.copy,
                    ignore=shutil.ignore_patterns('_out', '.ipynb_checkpoints', 'sidebar.yml', '__pycache__'))

def execute(workers, only=None):
    "Execute every notebook of `_nbs_exec/` (or those whose stems are in `only`); return the names of those that failed."
    nbs = [nb for nb in _notebooks(EXEC_DIR) if only is None or nb.stem in only]
    t = time.time()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(nbs)))) as ex: res = list(ex.map(_exec_proc, nbs))
    for name, ok, secs in res: print(f'docs: executed {name} in {secs:.0f}s{"" if ok else " -- FAILED, page has no outputs"}')
    print(f'docs: executed {len(nbs)} notebooks in {time.time() - t:.0f}s with {workers} workers')
    return [name for name, ok, _ in res if not ok]

def page_names(proc):
    "Rename `proc`'s notebooks to their `output-file` names (`08a_infer.ipynb` → `infer.ipynb`) and rewrite the links to them"
    from nbdev.config import get_config, nbpath2html
    cfg = get_config(ROOT)
    site = f"{cfg.doc_host.rstrip('/')}{cfg.doc_baseurl.rstrip('/')}/" if cfg.doc_host else None
    names = {p.stem: nbpath2html(p.name).stem for p in Path(proc).glob('*.ipynb')}
    assert len(set(names.values())) == len(names), f'two notebooks would get the same page: {names}'
    # link targets only (Markdown `](x.ipynb`, HTML `href="x.html`, the sidebar's `- x.ipynb`), not prose naming a file
    old = re.compile(r'(\]\(|href=["\']|^\s*- )(' + '|'.join(map(re.escape, sorted(names, key=len, reverse=True))) + r')\.(ipynb|html)\b', re.M)
    def fix(text:str) -> str:
        if site: text = re.sub(re.escape(site) + r'(?=[\w.-]+\.html)', '', text)  # a page of the site: its name, relative
        return old.sub(lambda m: f'{m.group(1)}{names[m.group(2)]}.{m.group(3)}', text)
    for stem, new in names.items():
        src = Path(proc)/f'{stem}.ipynb'
        nb = json.loads(src.read_text())
        for c in nb['cells']:
            if isinstance(c.get('source'), list): c['source'] = ''.join(c['source'])
            if c['cell_type'] == 'raw': c['source'] = re.sub(r'^output-file: .*\n', '', c['source'], flags=re.M)  # smalldocs names pages by file
            else: c['source'] = fix(c['source'])
            for o in c.get('outputs', []):
                for k, v in o.get('data', {}).items():
                    if k.startswith('text/'): o['data'][k] = fix(''.join(v) if isinstance(v, list) else v)
        src.unlink()
        (Path(proc)/f'{new}.ipynb').write_text(json.dumps(nb, indent=1, ensure_ascii=False))
    side = Path(proc)/'sidebar.yml'
    if side.exists(): side.write_text(fix(side.read_text()))

def _read_config_once():
    "Make nbdev parse each TOML file once per build: its processors call `get_config` for every cell (about 3 000 parses of pyproject.toml)"
    import nbdev.config as nc
    if getattr(nc._load_toml, 'once', False): return
    load = functools.lru_cache(maxsize=None)(lambda p, stamp, read=nc._load_toml: read(p))
    def cached(p):
        st = os.stat(p)
        return copy.deepcopy(load(str(Path(p).resolve()), (st.st_mtime_ns, st.st_size)))  # a file changed meanwhile is read again
    cached.once = True
    nc._load_toml = cached

def build(renderer):
    "Process `_nbs_exec/` into `_proc/` and render `_docs/`."
    import nbdev.quarto as nq
    from nbdev.config import get_config
    os.chdir(ROOT)
    doc_path = get_config(ROOT).doc_path
    for d in (ROOT/'_proc', doc_path): shutil.rmtree(d, ignore_errors=True)  # nbdev's cache goes by mtimes: start afresh
    if renderer == 'quarto': return nq.nbdev_docs.__wrapped__(path=str(EXEC_DIR))
    nq._ensure_quarto = lambda: None  # nbdev would try `sudo` to install Quarto: not wanted on the offline route
    _read_config_once()
    # sidebar.yml in the copy, then _proc/ with show_doc cells rendered, in this process: nbdev's pool of spawned
    # processes would import torch and fastai again in each of them, and cannot share the cached configuration
    try: nq._pre_docs(str(EXEC_DIR), n_workers=0)
    except Exception as e:
        sys.exit(f'docs: nbdev could not process the notebooks: {e}\n(to render signatures nbdev re-runs, in a '
                 'fresh session, the exported cells and every cell holding an import: those must not need other cells)')
    gc.freeze()  # each of the ~30 IPython shells nbdev made runs gc.collect at exit: scanning all that is here took 8 s
    page_names(ROOT/'_proc')
    subprocess.run([str(Path(sys.executable).parent/'smalldocs'), 'render', '-q', str(ROOT/'_proc')], check=True)
    shutil.move(ROOT/'_proc'/doc_path.name, doc_path)
    for f in ('nbdev.yml', 'sidebar.yml'): (doc_path/f).unlink(missing_ok=True)  # config files smalldocs copied across

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--renderer', choices=['smalldocs', 'quarto'], default='quarto' if shutil.which('quarto') else 'smalldocs')
    p.add_argument('--no-exec', action='store_true', help='do not run the notebooks (pages without outputs)')
    p.add_argument('--exec', nargs='+', metavar='STEM', help='run only these notebooks (their stems); the other pages have no outputs')
    p.add_argument('--workers', type=int, default=int(os.environ.get('DOCS_WORKERS', min(2, os.cpu_count() or 1))))
    p.add_argument('--exec-one', help=argparse.SUPPRESS)  # internal: execute this one notebook
    a = p.parse_args()
    if a.exec_one: sys.exit(0 if exec_one(Path(a.exec_one)) else 1)
    t = time.time()
    copy_nbs()
    failed = [] if a.no_exec else execute(a.workers, a.exec)
    build(a.renderer)
    from nbdev.config import get_config
    doc_path = get_config(ROOT).doc_path
    print(f'docs: {len(list(doc_path.glob("*.html")))} pages in {doc_path.relative_to(ROOT)} ({a.renderer}, {time.time() - t:.0f}s)')
    if failed: sys.exit(f'docs: these notebooks failed to execute: {", ".join(failed)}')
