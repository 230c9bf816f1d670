"""Round-trip notebooks and a plain-text 'percent' form, for editing notebooks outside Jupyter.

    python tools/nbpy.py py2nb SRC.py [DST.ipynb]   # write the notebook (default: nbs/<stem>.ipynb)
    python tools/nbpy.py nb2py SRC.ipynb [DST.py]   # write the text form (default: stdout)

Text form: a line `# %% [md]` starts a markdown cell, a line `# %%` starts a code cell; the cell
body follows verbatim (markdown is not comment-prefixed). Outputs are not kept: notebooks in this
repo are stored clean (`nbdev-clean`)."""
import hashlib, json, sys
from pathlib import Path

def _cell(kind, lines):
    while lines and not lines[0].strip(): lines.pop(0)
    while lines and not lines[-1].strip(): lines.pop()
    src = '\n'.join(lines)
    c = dict(cell_type=kind, id=hashlib.sha1(src.encode()).hexdigest()[:8], metadata={}, source=src)
    if kind == 'code': c.update(execution_count=None, outputs=[])
    return c

def py2nb(src, dst=None):
    text = Path(src).read_text()
    cells, kind, buf = [], None, []
    for line in text.splitlines():
        if line.strip() in ('# %% [md]', '# %% [markdown]', '# %%'):
            if kind: cells.append(_cell(kind, buf))
            kind, buf = ('markdown' if '[' in line else 'code'), []
        else: buf.append(line)
    if kind: cells.append(_cell(kind, buf))
    seen = {}
    for c in cells:  # ids follow from the source, so unchanged cells keep theirs; repeats get a suffix
        n = seen[c['id']] = seen.get(c['id'], -1) + 1
        if n: c['id'] = hashlib.sha1(f"{c['id']}{n}".encode()).hexdigest()[:8]
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
              nbformat=4, nbformat_minor=5)
    dst = Path(dst or Path('nbs')/(Path(src).stem + '.ipynb'))
    tmp = dst.with_suffix('.ipynb.tmp')
    tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    tmp.replace(dst)
    return dst

def nb2py(src, dst=None):
    nb = json.loads(Path(src).read_text())
    out = []
    for c in nb['cells']:
        s = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
        out.append(('# %% [md]' if c['cell_type'] == 'markdown' else '# %%') + '\n' + s + '\n')
    text = '\n'.join(out)
    if dst: Path(dst).write_text(text)
    else: sys.stdout.write(text)

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    {'py2nb': py2nb, 'nb2py': nb2py}[cmd](*args)
