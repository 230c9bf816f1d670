"""Figures of the house's shape, as issue 18 counts them: one table per run, from the notebooks and the generated modules.

    python tools/house.py            # modules (lines, definitions), `= CFG.` defaults, re-declared fields, cell statistics

- modules: lines of each generated module (`simplepose/*.py` but `_modidx.py`) and its top-level definitions (functions,
  classes and `@patch`ed methods);
- `= CFG.` defaults: `grep -oE '= *CFG\\.[a-z_]+' simplepose/*.py | wc -l`;
- re-declared fields: `Config` fields that appear as a parameter name in 3 or more signatures across the modules;
- cells: exported code cells of the notebooks (`#| export`, `#| exporti`, `#| exports`), lines including the directive:
  how many, the median, and how many have 30 lines or more."""
import ast, dataclasses, json, re, statistics, sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def modules() -> list:
    "(name, lines, definitions) of each generated module"
    out = []
    for p in sorted((ROOT/'simplepose').glob('*.py')):
        if p.name in ('_modidx.py', '__init__.py'): continue
        text = p.read_text()
        defs = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in ast.parse(text).body)
        out.append((p.stem, len(text.splitlines()), defs))
    return out

def cfg_defaults() -> int:
    return sum(len(re.findall(r'= *CFG\.[a-z_]+', p.read_text())) for p in (ROOT/'simplepose').glob('*.py'))

def config_fields() -> list:
    sys.path.insert(0, str(ROOT))
    try: from simplepose.config import Config
    except ImportError: from simplepose.core import Config
    return [f.name for f in dataclasses.fields(Config)]

def redeclared(min_sigs:int=3) -> dict:
    "Config field → number of signatures (functions and methods of the library) with a parameter of that name, where ≥ `min_sigs`"
    fields, n = set(config_fields()), Counter()
    for p in (ROOT/'simplepose').glob('*.py'):
        if p.name == '_modidx.py': continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                for arg in {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs} & fields: n[arg] += 1
    return {k: v for k, v in sorted(n.items(), key=lambda kv: -kv[1]) if v >= min_sigs}

def _src(c): return c['source'] if isinstance(c['source'], str) else ''.join(c['source'])

def cells() -> list:
    "Line counts of the exported code cells of every notebook"
    out = []
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            lines = _src(c).splitlines()
            if c['cell_type'] == 'code' and any(l.replace(' ', '').startswith(('#|export', '#|exporti', '#|exports')) for l in lines):
                out.append(len(lines))
    return out

if __name__ == '__main__':
    mods = modules()
    print('module lines definitions')
    for name, lines, defs in sorted(mods, key=lambda m: -m[1]): print(f'{name} {lines} {defs}')
    print(f'modules={len(mods)} lines={sum(m[1] for m in mods)} largest={max(m[1] for m in mods)}')
    r = redeclared()
    print(f'cfg_defaults={cfg_defaults()} redeclared_fields={len(r)}: ' + ' '.join(f'{k}:{v}' for k, v in r.items()))
    c = cells()
    print(f'cells: exported={len(c)} median={statistics.median(c):g} ge30={sum(n >= 30 for n in c)} ({100 * sum(n >= 30 for n in c) / len(c):.0f} %)')
