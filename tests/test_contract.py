"""The bad-input contract, command by command, over the corpus that tools/badinputs.py writes.

Every command (simplepose-synth, -prepare, -train, -eval, -predict, -export, -quickstart) runs as a process of its
own, as a user runs it (started warm, tests/warm.py), and each test asserts the contract for one input class:
- no Python traceback on stderr, and a line naming each bad file (for ground truth: the file and annotation 9001);
- exit code 2 for a fatal bad input (nothing usable: a broken checkpoint, a ground truth that cannot be read or
  contradicts itself, an output that cannot be written), 1 when a batch had failures (after processing the good
  inputs), 0 when all were processed; an annotation that is repaired (with a named warning) may exit 0 or 1;
- the good inputs' results are the same as in a run without the bad ones;
- no code from inputs: the malicious checkpoint never creates its marker file;
- no partial outputs: no `*.tmp` left, and a fatal error writes no output.
Odd but valid images (grey, 16-bit, palette, RGBA, CMYK, WebP, TIFF, `.JPG`, non-ASCII names) must be processed
like any image; the GIF may be processed or refused with a clear line; the 3×2000 and 1×1 images give no people
or a clear line, never an OpenCV assertion.

The model is a random-weights IMHN(nstack=1, inp_dim=32, increase=16) at 64-128 px, so each run takes seconds."""
import json, math, os, re, subprocess, sys
from pathlib import Path
import importlib.util
import numpy as np
import pytest
import warm

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
_spec = importlib.util.spec_from_file_location('badinputs', ROOT/'tools'/'badinputs.py')
badinputs = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(badinputs)

FATAL_GT = ['empty', 'invalid', 'list', 'no_annotations', 'no_images', 'duplicate_ids']  # exit 2, the file named
REJECTED_ANN = ['unknown_image', 'wrong_kp_count']  # the annotation cannot be used: named; exit 1 or 2
REPAIRED_ANN = ['nan_keypoints', 'non_person', 'zero_area', 'num_keypoints', 'degenerate_polygon']  # named warning; exit 0 or 1
BAD_CKPT = ['empty.pth', 'empty.safetensors', 'truncated.pth', 'random.pth', 'bad_header.safetensors',
            'other_arch.safetensors', 'other_arch.pth', 'cut.safetensors', 'malicious.pth', 'nan.safetensors', 'inf.pth']
# every command reads checkpoints through one reader: eval gets them all, the others one of each kind (to save time)
SOME_CKPT = ['truncated.pth', 'bad_header.safetensors', 'other_arch.safetensors', 'malicious.pth', 'nan.safetensors', 'inf.pth']

class Corpus:
    "The corpus in a temporary folder, and the command runs made on it (each run once per process)"
    def __init__(self, root:Path):
        self.root, self.man, self.runs = root, badinputs.write(root/'corpus'), {}
        self.c = root/'corpus'
        self.tiny = self.c/'ckpt'/'tiny.safetensors'

    def out(self, name) -> Path: return self.root/'out'/name

    def run(self, key, cmd, *args, timeout=180):
        "Run `simplepose-{cmd} *args` (cached under `key`); the CompletedProcess"
        if key not in self.runs:
            env = {**os.environ, **warm.BASE}
            self.runs[key] = warm.run([BIN/f'simplepose-{cmd}', *args], cwd=self.root, env=env, timeout=timeout)
        return self.runs[key]

@pytest.fixture(scope='module')
def corpus(tmp_path_factory): return Corpus(tmp_path_factory.mktemp('contract'))

def contract(c:Corpus, r, exit:set, names=(), outs=(), written=None) -> list:
    "Problems with run `r`: traceback, exit code not in `exit`, a name not on stderr, marker or `.tmp` files, output (not) written"
    bad = []
    if 'Traceback' in r.stderr: bad.append('traceback on stderr')
    if r.returncode not in exit: bad.append(f'exit {r.returncode}, expected {"/".join(map(str, sorted(exit)))}')
    for n in names:  # a name, or a tuple of names of which one will do
        if not any(a in r.stderr for a in ((n,) if isinstance(n, str) else n)): bad.append(f'no line names {n!r}')
    if (c.c/c.man['marker']).exists(): bad.append('the malicious checkpoint was unpickled (marker file created)')
    for o in outs:
        tmps = [p.name for p in Path(o).parent.rglob('*.tmp')] if Path(o).parent.exists() else []
        if tmps: bad.append(f'partial outputs left: {tmps[:3]}')
        if written is not None and Path(o).exists() != written: bad.append(f'{Path(o).name} {"not " if written else ""}written')
    return bad

def check(bad, r):
    "Fail with every problem of the run, and its last stderr lines"
    tail = '\n'.join(r.stderr.strip().splitlines()[-8:])
    assert not bad, '; '.join(bad) + f'\n--- exit {r.returncode}; stderr tail:\n{tail}\n--- stdout tail:\n' + '\n'.join(r.stdout.strip().splitlines()[-4:])

def img(c, *parts): return str(c.c/'images'/Path(*parts))

# ---------------------------------------------------------------- synth
def test_synth_good(corpus):
    o = corpus.out('synth')
    r = corpus.run('synth', 'synth', '--out', o, '--n', 2, '--size', 64)
    ann = o/'annotations'/'person_keypoints_train.json'
    check(contract(corpus, r, {0}, outs=[ann], written=True), r)

@pytest.mark.parametrize('case', ['out_is_file', 'size_zero'])
def test_synth_bad(corpus, case):
    f = corpus.root/'a_file'; f.write_text('x')
    args = ['--out', f] if case == 'out_is_file' else ['--out', corpus.out('synth0'), '--size', 0]
    r = corpus.run(f'synth-{case}', 'synth', *args, '--n', 2)
    check(contract(corpus, r, {2}, names=['a_file'] if case == 'out_is_file' else ['size']), r)

def test_synth_split_clash(corpus):
    "a split that would write over images another split's annotation file lists is refused in one line, before any image"
    o = corpus.out('synth-clash'); (o/'annotations').mkdir(parents=True)
    (o/'annotations'/'person_keypoints_val.json').write_text('{"images": [{"id": 1, "file_name": "000000000001.jpg"}]}')
    r = corpus.run('synth-clash', 'synth', '--out', o, '--n', 2, '--size', 64)
    check(contract(corpus, r, {2}, names=['person_keypoints_val.json']), r)
    assert not list((o/'images').glob('*.jpg')), 'no image written'

# ---------------------------------------------------------------- prepare
def prepare(c, gt, name=None):
    o = c.out(f'prep-{name or gt}')/'store.h5'
    o.parent.mkdir(parents=True, exist_ok=True)
    return c.run(f'prepare-{name or gt}', 'prepare', '--ann', c.c/'gt'/f'{gt}.json', '--images', c.c/'images', '--out', o, '--quiet'), o

def _store(path) -> dict:
    import h5py
    with h5py.File(path, 'r') as f:
        return {k: (f['images'][k][()], f['masks'][k][()]) for k in f['images']} | {'n_images': f.attrs['n_images']}

def test_prepare_good(corpus):
    r, o = prepare(corpus, 'good')
    check(contract(corpus, r, {0}, outs=[o], written=True), r)

def test_prepare_odd(corpus):
    "every odd-but-valid image is stored"
    r, o = prepare(corpus, 'odd')
    bad = contract(corpus, r, {0, 1}, outs=[o], written=True)
    if not bad:
        n, gif = _store(o)['n_images'], 'anim.gif' in r.stderr
        want = len(corpus.man['odd_images']) - gif
        if n != want: bad.append(f'{n} images stored, expected {want}')
        if r.returncode != (1 if gif else 0): bad.append(f'exit {r.returncode} with the GIF {"refused" if gif else "stored"}')
    check(bad, r)

def test_prepare_extreme(corpus):
    "a 3×2000 and a 1×1 image: no people (a clear line), never an OpenCV assertion"
    r, o = prepare(corpus, 'extreme')
    check(contract(corpus, r, {0, 1, 2}, outs=[o]) + (['OpenCV error'] if 'cv2.error' in r.stderr or 'Assertion' in r.stderr else []), r)

def test_prepare_mixed(corpus):
    "good and bad images: each bad one named, exit 1, the good ones stored as without the bad ones"
    r, o = prepare(corpus, 'mixed')
    bad = contract(corpus, r, {1}, names=[Path(p).name for p in corpus.man['bad_images']], outs=[o], written=True)
    g, go = prepare(corpus, 'good')
    if not bad and g.returncode == 0:
        a, b = _store(o), _store(go)
        for k in b:
            if k == 'n_images': continue
            if k not in a or any(not np.array_equal(x, y) for x, y in zip(a[k], b[k])): bad.append(f'image {k} differs from the good-only store')
    check(bad, r)

@pytest.mark.parametrize('gt', FATAL_GT)
def test_prepare_fatal_gt(corpus, gt):
    r, o = prepare(corpus, gt)
    check(contract(corpus, r, {2}, names=[f'{gt}.json'], outs=[o], written=False), r)

def _ann_names(c, gt) -> list:
    "What a message about `gt`'s bad annotation must name: the file, and the annotation id (or, for the other category, its name)"
    return [f'{gt}.json', (str(c.man['bad_ann']), "'dog'") if gt == 'non_person' else str(c.man['bad_ann'])]

@pytest.mark.parametrize('gt', REJECTED_ANN + REPAIRED_ANN)
def test_prepare_bad_annotation(corpus, gt):
    r, o = prepare(corpus, gt)
    exit = {1, 2} if gt in REJECTED_ANN else {0, 1}
    check(contract(corpus, r, exit, names=_ann_names(corpus, gt), outs=[o]), r)

def test_prepare_out_unusable(corpus):
    "an output that cannot be written is refused before any work"
    f = corpus.root/'a_file'; f.write_text('x')
    r = corpus.run('prepare-unusable', 'prepare', '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', '--out', f/'store.h5', '--quiet')
    check(contract(corpus, r, {2}, names=['a_file']), r)

# ---------------------------------------------------------------- train
TRAIN = ['--epochs', 1, '--bs', 2, '--size', 64, '--nstack', 1, '--inp-dim', 32, '--increase', 16, '--workers', 0, '--quiet']

def test_train_good(corpus):
    o = corpus.out('train')
    r = corpus.run('train', 'train', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', '--out', o, *TRAIN, timeout=300)
    check(contract(corpus, r, {0}, outs=[o/'last.pth'], written=True), r)

@pytest.mark.parametrize('case', ['missing_store', 'interrupted_store', 'duplicate_ids', 'init_malicious', 'init_inf'])
def test_train_bad(corpus, case):
    "a store that is missing, interrupted or not one, unreadable ground truth, a bad --init: one line, exit 2"
    st = corpus.root/'stores'; st.mkdir(exist_ok=True)
    init = []
    if case == 'missing_store': data = st/'missing.h5'; (st/'missing.h5.tmp').write_bytes(b'\x89HDF\r\n\x1a\n' + bytes(64))
    elif case == 'interrupted_store': data = st/'cut.h5'; data.write_bytes(b'\x89HDF\r\n\x1a\n' + bytes(2000))
    elif case.startswith('init_'):
        data, init = corpus.c/'gt'/'good.json', ['--init', corpus.c/'ckpt'/f"{case.removeprefix('init_')}.pth"]
    else: data = corpus.c/'gt'/f'{case}.json'
    o = corpus.out(f'train-{case}')
    r = corpus.run(f'train-{case}', 'train', data, '--images', corpus.c/'images', '--out', o, *init, *TRAIN, timeout=300)
    named = Path(init[1]).name if init else data.name
    check(contract(corpus, r, {2}, names=[named], outs=[o/'last.pth'], written=False), r)

# ---------------------------------------------------------------- eval
EVAL = ['--images', None, '--size', 128, '--no-flip', '--device', 'cpu']

def evaluate(c, gt, *extra, weights=None, key=None):
    args = [a if a is not None else c.c/'images' for a in EVAL]
    return c.run(key or f'eval-{gt}', 'eval', '--weights', weights or c.tiny, '--ann', c.c/'gt'/f'{gt}.json', *args, *extra)

def _ap(r) -> float|None:
    m = re.search(r'\bAP\b[ :=]+(-?[\d.]+|nan)', r.stdout)
    return float(m.group(1)) if m else None

def _nan_free(r) -> list:
    "A metric printed as `nan` (on stdout, where the metrics go; the warnings on stderr may name NaN coordinates)"
    return ['nan printed'] if re.search(r'\bnan\b', r.stdout, re.I) else []

def test_eval_good(corpus):
    o = corpus.out('eval-good')/'results.json'
    r = evaluate(corpus, 'good', '--out', o)
    bad = contract(corpus, r, {0}, outs=[o], written=True) + _nan_free(r)
    if _ap(r) is None: bad.append('no AP printed')
    check(bad, r)

def test_eval_odd(corpus):
    "every odd-but-valid image is evaluated"
    r = evaluate(corpus, 'odd')
    bad = contract(corpus, r, {0, 1}) + _nan_free(r)
    m, gif = re.search(r'(\d+) images', r.stdout), 'anim.gif' in r.stderr
    want = len(corpus.man['odd_images']) - gif
    if not m or int(m.group(1)) != want: bad.append(f'{m.group(1) if m else "?"} images evaluated, expected {want}')
    if r.returncode != (1 if gif else 0): bad.append(f'exit {r.returncode} with the GIF {"refused" if gif else "evaluated"}')
    check(bad, r)

def test_eval_extreme(corpus):
    r = evaluate(corpus, 'extreme')
    check(contract(corpus, r, {0, 1, 2}) + _nan_free(r) + (['OpenCV error'] if 'cv2.error' in r.stderr or 'Assertion' in r.stderr else []), r)

def _by_image(path, ids) -> list:
    return sorted((d['image_id'], round(d['score'], 4), [round(v, 2) for v in d['keypoints']]) for d in json.loads(Path(path).read_text()) if d['image_id'] in ids)

def test_eval_mixed(corpus):
    "good and bad images: each bad one named, exit 1, the good images' detections as without the bad ones"
    o, go = corpus.out('eval-mixed')/'results.json', corpus.out('eval-good')/'results.json'
    r = evaluate(corpus, 'mixed', '--out', o)
    bad = contract(corpus, r, {1}, names=[Path(p).name for p in corpus.man['bad_images']], outs=[o]) + _nan_free(r)
    g = evaluate(corpus, 'good', '--out', go)
    if o.exists() and g.returncode == 0:
        ids = {im['id'] for im in json.loads((corpus.c/'gt'/'good.json').read_text())['images']}
        if _by_image(o, ids) != _by_image(go, ids): bad.append('the good images\' detections differ from the good-only run')
    elif not o.exists(): bad.append('no results written for the good images')
    check(bad, r)

@pytest.mark.parametrize('gt', FATAL_GT)
def test_eval_fatal_gt(corpus, gt):
    r = evaluate(corpus, gt)
    check(contract(corpus, r, {2}, names=[f'{gt}.json']) + _nan_free(r), r)

@pytest.mark.parametrize('gt', REJECTED_ANN + REPAIRED_ANN)
def test_eval_bad_annotation(corpus, gt):
    r = evaluate(corpus, gt)
    exit = {1, 2} if gt in REJECTED_ANN else {0, 1}
    check(contract(corpus, r, exit, names=_ann_names(corpus, gt)) + _nan_free(r), r)

@pytest.mark.parametrize('gt', ['good'] + REPAIRED_ANN)
def test_eval_results_scores(corpus, gt):
    "`--results`: the ground truth's people as detections score AP 1 against the clean file, and the same against a repaired one"
    r = corpus.run(f'eval-results-{gt}', 'eval', '--results', corpus.c/'gt'/'results.json', '--ann', corpus.c/'gt'/f'{gt}.json')
    bad = contract(corpus, r, {0} if gt == 'good' else {0, 1}) + _nan_free(r)
    ap = _ap(r)
    if ap is None: bad.append('no AP printed')
    elif not math.isclose(ap, 1.0, abs_tol=1e-3): bad.append(f'AP {ap:.3f}, the clean file gives 1.000')
    check(bad, r)

@pytest.mark.parametrize('ck', BAD_CKPT)
def test_eval_bad_checkpoint(corpus, ck):
    r = evaluate(corpus, 'good', weights=corpus.c/'ckpt'/ck, key=f'eval-ckpt-{ck}')
    check(contract(corpus, r, {2}, names=[ck]) + (['advises weights_only=False'] if 'weights_only=False' in r.stderr else []), r)

def test_eval_out_unusable(corpus):
    f = corpus.root/'a_file'; f.write_text('x')
    r = evaluate(corpus, 'good', '--out', f/'results.json', key='eval-unusable')
    check(contract(corpus, r, {2}, names=['a_file']), r)

# ---------------------------------------------------------------- predict
def predict(c, key, *inputs, weights=None, extra=()):
    o = c.out(f'predict-{key}')
    return c.run(f'predict-{key}', 'predict', *inputs, '--weights', weights or c.tiny, '--out', o, '--size', 128, '--device', 'cpu', '--quiet', *extra), o

def _images_done(r) -> int|None:
    m = re.search(r'(\d+) images', r.stdout)
    return int(m.group(1)) if m else None

def _people(o, names) -> list:
    p = o/'predictions.json'
    if not p.exists(): return None
    return sorted((Path(d.get('file_name', '')).name, round(d['score'], 4), [round(v, 2) for v in d['keypoints']])
                  for d in json.loads(p.read_text()) if Path(d.get('file_name', '')).name in names)

def test_predict_good(corpus):
    r, o = predict(corpus, 'good', img(corpus, 'good'))
    bad = contract(corpus, r, {0}, outs=[o/'predictions.json'], written=True)
    if _images_done(r) != 3: bad.append(f'{_images_done(r)} images processed, expected 3')
    check(bad, r)

def test_predict_odd(corpus):
    "every odd-but-valid image is processed; the GIF processed or refused by name"
    r, o = predict(corpus, 'odd', img(corpus, 'odd'))
    bad = contract(corpus, r, {0, 1}, outs=[o/'predictions.json'], written=True)
    gif = 'anim.gif' in r.stderr
    want = len(corpus.man['odd_images']) - gif
    if _images_done(r) != want: bad.append(f'{_images_done(r)} images processed, expected {want}')
    if r.returncode != (1 if gif else 0): bad.append(f'exit {r.returncode} with the GIF {"refused" if gif else "processed"}')
    check(bad, r)

def test_predict_extreme(corpus):
    r, o = predict(corpus, 'extreme', img(corpus, 'extreme'))
    bad = contract(corpus, r, {0, 1}, outs=[o/'predictions.json'], written=True)
    if 'dsize' in r.stderr or 'cv2.error' in r.stderr or 'Assertion' in r.stderr: bad.append('an OpenCV assertion reaches the user')
    for n in ('wide_3x2000.png', 'one_1x1.png'):
        if r.returncode == 1 and n not in r.stderr and (_images_done(r) or 0) < 2: bad.append(f'{n}: neither processed nor named')
    check(bad, r)

def test_predict_mixed(corpus):
    "good and bad images and videos in one run: each bad one named, exit 1, the good ones' results as without the bad ones"
    r, o = predict(corpus, 'mixed', img(corpus, 'good'), img(corpus, 'bad'), *(corpus.c/v for v in corpus.man['bad_videos']), corpus.c/'videos'/'good.avi')
    names = [Path(p).name for p in corpus.man['bad_images'] + corpus.man['bad_videos']]
    bad = contract(corpus, r, {1}, names=names, outs=[o/'predictions.json'], written=True)
    g, go = predict(corpus, 'good', img(corpus, 'good'))
    good = {Path(p).name for p in corpus.man['good_images']}
    if g.returncode == 0 and _people(o, good) != _people(go, good): bad.append("the good images' results differ from the good-only run")
    drawn = {p.name for p in o.rglob('*') if p.is_file()}
    for n in ('empty', 'random'):
        if any(d.startswith(n + '.') for d in drawn): bad.append(f'a drawing was written for the unreadable {n}.jpg')
    check(bad, r)

def test_predict_video(corpus):
    r, o = predict(corpus, 'video', corpus.c/'videos'/'good.avi')
    bad = contract(corpus, r, {0}, outs=[o/'predictions.json'], written=True)
    if not re.search(r'\b4 video frames', r.stdout): bad.append('not 4 video frames')
    check(bad, r)

@pytest.mark.parametrize('case', ['out_is_file', 'out_under_file'])
def test_predict_out_unusable(corpus, case):
    "an output folder that cannot be written is refused before any input is processed"
    f = corpus.root/'a_file'; f.write_text('x')
    r = corpus.run(f'predict-{case}', 'predict', img(corpus, 'good'), '--weights', corpus.tiny, '--out', f if case == 'out_is_file' else f/'sub',
                   '--size', 128, '--device', 'cpu', '--quiet')
    check(contract(corpus, r, {2}, names=['a_file']), r)

@pytest.mark.parametrize('ck', SOME_CKPT)
def test_predict_bad_checkpoint(corpus, ck):
    r, o = predict(corpus, f'ckpt-{ck}', img(corpus, 'good'), weights=corpus.c/'ckpt'/ck)
    check(contract(corpus, r, {2}, names=[ck], outs=[o/'predictions.json'], written=False)
          + (['advises weights_only=False'] if 'weights_only=False' in r.stderr else [])
          + ([f'the output folder {o.name}/ it made is left behind'] if o.exists() else []), r)

# ---------------------------------------------------------------- export
def export(c, key, weights):
    o = c.out(f'export-{key}')/'model.onnx'
    return c.run(f'export-{key}', 'export', '--weights', weights, '--out', o, '--height', 64, '--width', 64), o

def test_export_good(corpus):
    r, o = export(corpus, 'good', corpus.tiny)
    check(contract(corpus, r, {0}, outs=[o], written=True), r)

@pytest.mark.parametrize('ck', SOME_CKPT)
def test_export_bad_checkpoint(corpus, ck):
    r, o = export(corpus, ck, corpus.c/'ckpt'/ck)
    check(contract(corpus, r, {2}, names=[ck], outs=[o], written=False)
          + (['advises weights_only=False'] if 'weights_only=False' in r.stderr else [])
          + ([f'the output folder {o.name}/ it made is left behind'] if o.exists() else []), r)

# ---------------------------------------------------------------- quickstart
def test_quickstart_good(corpus):
    "a few steps on a few images: exit 0, the weights and metrics written, no `nan`"
    o = corpus.out('quickstart')
    r = corpus.run('quickstart', 'quickstart', '--out', o, '--steps', 2, '--n-train', 4, '--n-val', 2, '--size', 64, '--bs', 2, timeout=180)
    check(contract(corpus, r, {0}, outs=[o/'weights.safetensors', o/'metrics.json'], written=True) + _nan_free(r), r)

def test_quickstart_out_unusable(corpus):
    "an output folder that cannot be written is refused at once, before synthesizing or training"
    f = corpus.root/'a_file'; f.write_text('x')
    r = corpus.run('quickstart-unusable', 'quickstart', '--out', f, '--steps', 1, '--n-train', 4, '--n-val', 2, '--size', 64, timeout=120)
    check(contract(corpus, r, {2}, names=['a_file']), r)

def test_corpus_deterministic(corpus, tmp_path):
    "the corpus generator writes the same bytes twice (torch's zip checkpoints and the graphs commands cache beside them aside)"
    again = badinputs.write(tmp_path/'again')
    assert again == corpus.man
    for rel in [p.relative_to(corpus.c) for p in corpus.c.rglob('*') if p.is_file() and p.suffix != '.pth' and p.name != 'manifest.json'
                and not p.parent.name.endswith('.cache')]:
        assert (tmp_path/'again'/rel).read_bytes() == (corpus.c/rel).read_bytes(), f'{rel} differs between two runs'
