"""The contract on what users bring (issue 19), command by command, over the corpus of tools/badinputs.py and the
evaluation fixtures of testdata/eval_reference: phone photos turned by EXIF, pixel bombs, odd names and paths, a full
disk, SIGTERM and Ctrl-C, weights with NaN, a poisoned graph cache, numbers the official tools give, and logs.

Each test runs the installed commands as processes of their own, as a user runs them (started warm, tests/warm.py), and checks the contract of
tests/test_contract.py (no traceback, the right exit code, a line naming the problem, no temporary file, what was kept).
The full-disk tests mount a small tmpfs (as root, or through `sudo -n`); where the machine allows neither they are
skipped with that reason."""
import json, os, re, shutil, signal, subprocess, sys, threading, time
from contextlib import contextmanager
from pathlib import Path
import numpy as np
import pytest
import warm
from test_contract import BIN, ROOT, Corpus, check, contract

ENV = {**os.environ, **warm.BASE}
REF = ROOT/'testdata'/'eval_reference'
SMALL = ['--size', 64, '--device', 'cpu']

@pytest.fixture(scope='module')
def corpus(tmp_path_factory): return Corpus(tmp_path_factory.mktemp('faults'))

def run(*args, cwd=None, timeout=300, env=None) -> subprocess.CompletedProcess:
    "Run `simplepose-{args[0]} args[1:]`, output captured (so stderr is not a terminal)"
    return warm.run([BIN/f'simplepose-{args[0]}', *args[1:]], cwd=cwd, env=env or ENV, timeout=timeout)

def temporaries(*folders) -> list:
    "Temporary files (`.NAME.PID.tmp…`) and lock files left in `folders`"
    return [p.name for f in folders if Path(f).exists() for p in Path(f).rglob('.*') if '.tmp' in p.name or p.name.endswith('.lock')]

def one_stop_line(r, sig) -> list:
    "Problems with a stopped run: its exit code, a traceback, more than one stderr line about the stop"
    bad = [] if r.returncode == 128 + sig else [f'exit {r.returncode}, expected {128 + sig}']
    if 'Traceback' in r.stderr: bad.append('traceback on stderr')
    stops = [l for l in r.stderr.splitlines() if 'stopped by' in l]
    if len(stops) != 1 or signal.Signals(sig).name not in stops[0]: bad.append(f'stop lines: {stops}')
    return bad

def stopped(args:list, sig:int, ready, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    "Start `simplepose-{args[0]}`, send `sig` once `ready(stdout, stderr)` is true (the work has begun); the finished run"
    p = warm.popen([BIN/f'simplepose-{args[0]}', *args[1:]], cwd=cwd, env=ENV)
    out, err = [], []
    readers = [threading.Thread(target=lambda s, b: b.extend(iter(s.readline, '')), args=a, daemon=True)
               for a in ((p.stdout, out), (p.stderr, err))]
    for t in readers: t.start()
    t0 = time.time()
    while p.poll() is None and not ready(''.join(out), ''.join(err)):
        if time.time() - t0 > timeout: p.kill(); raise TimeoutError(f'{args[0]} never became ready: {"".join(err)[-2000:]}')
        time.sleep(0.05)
    if p.poll() is None: p.send_signal(sig)
    p.wait(timeout=timeout)
    for t in readers: t.join(10)
    return subprocess.CompletedProcess(p.args, p.returncode, ''.join(out), ''.join(err))

@contextmanager
def small_disk(path:Path, kb:int):
    "A tmpfs of `kb` KiB mounted at `path` for the block; the test is skipped where mounting is not permitted"
    path.mkdir(parents=True, exist_ok=True)
    sudo = [] if os.geteuid() == 0 else ['sudo', '-n']
    m = subprocess.run([*sudo, 'mount', '-t', 'tmpfs', '-o', f'size={kb}k,mode=0777', 'tmpfs', str(path)], capture_output=True, text=True)
    if m.returncode: pytest.skip(f'cannot mount a small tmpfs here ({m.stderr.strip()[:80] or "mount refused"}): no full-disk test')
    try: yield path
    finally: subprocess.run([*sudo, 'umount', '-l', str(path)], capture_output=True)

def images_of(c:Corpus, n:int, name:str) -> Path:
    "A folder of `n` copies of the corpus's good pictures (a run long enough to stop in the middle)"
    d = c.root/name
    if not d.exists():
        d.mkdir()
        good = sorted((c.c/'images'/'good').iterdir())
        for i in range(n): shutil.copy(good[i % len(good)], d/f'{i:03d}.jpg')
    return d

def many_gt(c:Corpus) -> tuple:
    "(ground truth, image folder): an unreadable image first (its line says the loop has begun), then 60 good ones"
    gt = c.root/'many.json'
    if not gt.exists():
        good = json.loads((c.c/'gt'/'good.json').read_text())
        pics = images_of(c, 60, 'sixty')
        images = [dict(id=1, file_name='corpus/images/bad/empty.jpg', width=128, height=128)]
        anns = [dict(a, id=900 + k, image_id=1) for k, a in enumerate(good['annotations'])] # so that prepare reads it too
        for i in range(60):
            im = good['images'][i % len(good['images'])]
            images.append(dict(im, id=i + 2, file_name=f'sixty/{i:03d}.jpg'))
            anns += [dict(a, id=1000 * (i + 2) + k, image_id=i + 2) for k, a in enumerate(x for x in good['annotations'] if x['image_id'] == im['id'])]
        gt.write_text(json.dumps(dict(good, images=images, annotations=anns)))
    return gt, c.root

# ------------------------------------------------------------- 1. EXIF orientation
def test_exif_predict_draws_as_seen(corpus):
    "pictures stored turned with EXIF 6 and 8 are drawn, and their keypoints given, in the frame every viewer shows"
    o = corpus.out('exif-predict')
    r = run('predict', corpus.c/'images'/'exif', '--weights', corpus.tiny, '--out', o, *SMALL, '--singles', '--quiet')
    bad = contract(corpus, r, {0}, outs=[o/'predictions.json'], written=True)
    import cv2
    for p in sorted((o/'exif').glob('*.png')):
        if cv2.imread(str(p)).shape[:2] != (96, 128): bad.append(f'{p.name} drawn {cv2.imread(str(p)).shape[1]}×{cv2.imread(str(p)).shape[0]}, seen as 128×96')
    for rec in json.loads((o/'predictions.json').read_text()):
        xs, ys = rec['keypoints'][0::3], rec['keypoints'][1::3]
        if max(xs) > 128 or max(ys) > 96: bad.append(f"{rec['file_name']}: keypoint outside the 128×96 frame seen"); break
    check(bad, r)

def _store_images(path) -> list:
    import h5py
    with h5py.File(path, 'r') as f: return [f['images'][k][()] for k in sorted(f['images'])]

def test_exif_prepare_stores_upright(corpus):
    "a store of the EXIF copies holds the same pixels as a store of the plain pictures"
    stores = {}
    for gt in ('exif_upright', 'exif'):
        stores[gt] = corpus.out(f'exif-prep-{gt}')/'s.h5'
        r = run('prepare', '--ann', corpus.c/'gt'/f'{gt}.json', '--images', corpus.c/'images', '--out', stores[gt], '--quiet')
        check(contract(corpus, r, {0}, outs=[stores[gt]], written=True), r)
    a, b = _store_images(stores['exif_upright']), _store_images(stores['exif'])
    assert len(a) == len(b) >= 1 and all(np.array_equal(x, y) for x, y in zip(a, b)), 'the EXIF copies were stored differently'

def test_exif_eval_as_seen_and_as_stored(corpus):
    "ground truth made on the seen frame is read as seen; made on the stored frame, as stored, with one line per image"
    r = run('eval', '--weights', corpus.tiny, '--ann', corpus.c/'gt'/'exif.json', '--images', corpus.c/'images', *SMALL)
    bad = contract(corpus, r, {0})
    if not re.search(r'\b2 images processed, 0 skipped, 0 failed', r.stdout): bad.append('not every EXIF picture evaluated')
    s = run('eval', '--weights', corpus.tiny, '--ann', corpus.c/'gt'/'exif_stored.json', '--images', corpus.c/'images', *SMALL)
    bad += contract(corpus, s, {0})
    said = [l for l in s.stderr.splitlines() if 'read as stored' in l]
    if len(said) != 2 or not all('EXIF orientation 6' in l for l in said): bad.append(f'stored-frame lines: {said}')
    check(bad, r if not bad or not said else s)

# ------------------------------------------------------------- 8. pixel limit
def test_pixel_bomb_refused_from_its_header(corpus):
    "a 31 KB PNG of 16000×16000 pixels is one line and never decoded"
    o = corpus.out('bomb')
    t = time.time()
    r = run('predict', corpus.c/'images'/'huge', '--weights', corpus.tiny, '--out', o, *SMALL, '--quiet')
    bad = contract(corpus, r, {1}, names=['bomb.png'], outs=[o/'predictions.json'])
    if 'max_image_pixels' not in r.stderr: bad.append('the line does not name the limit')
    if time.time() - t > 60: bad.append(f'took {time.time() - t:.0f}s: decoded before refusing?')
    check(bad, r)

# ------------------------------------------------------------- 7. names and paths
def test_odd_names_one_line_each(corpus):
    "names with a line break or an escape sequence stay one printable line; other files are counted, a broken link named"
    o = corpus.out('names')
    r = run('predict', corpus.c/'images'/'names', '--weights', corpus.tiny, '--out', o, *SMALL, '--quiet')
    bad = contract(corpus, r, {1}, names=['gone.jpg', '1 picture skipped (formats simplepose does not read: .heic)'], outs=[o/'predictions.json'], written=True)
    if sorted(p.name for p in (o/'names').iterdir()) != sorted(['\x1b[31mred.jpg', 'new\nline.jpg']): bad.append('the oddly named pictures were not drawn')
    if not all(l.isprintable() for l in r.stderr.splitlines()): bad.append('an unprintable character reached stderr')
    if 'other file left out (.txt)' not in r.stderr: bad.append('the note is not counted in one line')
    if not r.stdout.startswith('2 inputs processed, 2 skipped, 0 failed'): bad.append(f'summary: {r.stdout[:80]!r}')
    check(bad, r)

def test_names_outside_the_image_folder(corpus):
    "`../outside.png` and `/outside.png` as file_names are refused, named, and never read (prepare and eval)"
    o = corpus.out('outside')/'s.h5'
    r = run('prepare', '--ann', corpus.c/'gt'/'outside.json', '--images', corpus.c/'images', '--out', o, '--quiet')
    bad = contract(corpus, r, {1}, names=['../outside.png', '/outside.png'], outs=[o], written=True)
    e = run('eval', '--weights', corpus.tiny, '--ann', corpus.c/'gt'/'outside.json', '--images', corpus.c/'images', *SMALL)
    bad += contract(corpus, e, {1}, names=['../outside.png', '/outside.png'])
    if 'AP over 3 of the 5 images' not in e.stdout: bad.append('the AP line does not say it covers 3 of the 5 images')
    check(bad, e if bad else r)

@pytest.mark.parametrize('where', ['dot', 'inside'])
def test_out_in_the_input_folder(corpus, tmp_path, where):
    "`--out .` in the picture folder, or an --out inside it: the pictures are processed, the drawings never read back"
    pics = tmp_path/'pics'; shutil.copytree(corpus.c/'images'/'good', pics)
    out = '.' if where == 'dot' else 'pics/drawn'
    cwd = pics if where == 'dot' else tmp_path
    for _ in range(2):
        r = run('predict', '.' if where == 'dot' else 'pics', '--weights', corpus.tiny, '--out', out, *SMALL, '--quiet', cwd=cwd)
        check(contract(corpus, r, {0}) + ([] if r.stdout.startswith('3 inputs processed') else [f'summary: {r.stdout[:60]!r}']), r)

def test_two_runs_into_one_out(corpus):
    "a second predict into an --out another one is writing is refused with one line; the first finishes"
    pics, o = images_of(corpus, 150, 'many'), corpus.out('locked')
    first = warm.popen([BIN/'simplepose-predict', pics, '--weights', corpus.tiny, '--out', o, '--size', '256',
                        '--device', 'cpu', '--batch-size', '1', '--quiet'], env=ENV)
    t0 = time.time()
    while not (o/'.simplepose.lock').exists() and first.poll() is None and time.time() - t0 < 120: time.sleep(0.05)
    # hold the first run still while the second starts: on a fast machine the first can finish 150 images before the second gets going
    first.send_signal(signal.SIGSTOP)
    try: r = run('predict', corpus.c/'images'/'good', '--weights', corpus.tiny, '--out', o, *SMALL, '--quiet')
    finally: first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    bad = contract(corpus, r, {2}, names=['another simplepose run'])
    if first.returncode != 0: bad.append(f'the first run ended {first.returncode}: {err[-300:]}')
    check(bad, r)

# ------------------------------------------------------------- 6. arguments and identifiers
@pytest.mark.parametrize('args', [['--size', 0], ['--size', -256], ['--scales', 0], ['--scales', -1], ['--scales', 'nan']])
def test_bad_arguments_before_any_work(corpus, args):
    o = corpus.out('args')
    r = run('predict', corpus.c/'images'/'good', '--weights', corpus.tiny, '--out', o, '--quiet', *args)
    check(contract(corpus, r, {2}, names=[args[0]], outs=[o/'predictions.json'], written=False), r)

def _cases() -> dict: return json.loads((REF/'expected.json').read_text())['cases']

def _printed(stdout:str) -> dict:
    "The statistics pycocotools' (or crowdposetools') table printed, by their line's description"
    return {m[1].strip(): float(m[2]) for m in re.finditer(r'^ (Average (?:Precision|Recall).*?) = (-?[\d.]+)$', stdout, re.M)}

@pytest.mark.parametrize('case', ['crowdpose_declared_misses', 'crowdpose_declared_finds', 'coco_declared', 'string_ids',
                                  'no_category_id', 'custom_sigmas', 'xtcocoapi_crowdpose'])
def test_eval_equals_the_official_tools(case):
    "`simplepose-eval --results` prints the AP the official tools give (pycocotools; crowdposetools and xtcocotools)"
    c = _cases()[case]
    extra = ['--sigmas', *c['sigmas']] if c.get('sigmas') and 'sigmas' not in json.loads((ROOT/c['gt']).read_text())['categories'][0] else []
    r = run('eval', '--ann', ROOT/c['gt'], '--results', ROOT/c['results'], *extra)
    bad = [] if r.returncode in (0, 1) and 'Traceback' not in r.stderr else [f'exit {r.returncode}']
    m = re.search(r'^AP (-?[\d.]+)', r.stdout, re.M)
    if not m or abs(float(m[1]) - c['stats']['AP']) > 5e-4: bad.append(f"AP {m and m[1]}, the official tools give {c['stats']['AP']:.4f}")
    if c['protocol'] == 'crowdpose':
        if 'area=medium' in r.stdout or 'area= large' in r.stdout: bad.append('COCO area rows printed for a CrowdPose file')
        if 'easy' not in r.stdout: bad.append('no AP easy/medium/hard')
    if len(r.stderr.splitlines()) > 4: bad.append(f'{len(r.stderr.splitlines())} stderr lines: per-annotation lines?')
    check(bad, r)

def test_eval_subset_says_so(corpus):
    "an AP over the first images only says so on its line"
    r = run('eval', '--weights', corpus.tiny, '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', *SMALL, '--limit', 2)
    check(contract(corpus, r, {0}) + ([] if 'AP over 2 of the 3 images' in r.stdout else ['no subset note on the AP line']), r)

def test_sigmas_said_once(tmp_path):
    "a skeleton whose OKS sigmas are unknown: one line names the keypoints that fall back to 0.07; --sigmas of the wrong length: exit 2"
    c = _cases()['custom_sigmas']
    gt = json.loads((ROOT/c['gt']).read_text())
    gt['categories'][0].pop('sigmas', None)
    (tmp_path/'gt.json').write_text(json.dumps(gt))
    r = run('eval', '--ann', tmp_path/'gt.json', '--results', ROOT/c['results'])
    bad = [] if r.returncode in (0, 1) else [f'exit {r.returncode}']
    said = [l for l in r.stderr.splitlines() if 'OKS sigmas' in l]
    if len(said) != 1 or '0.07' not in said[0]: bad.append(f'sigma lines: {said}')
    w = run('eval', '--ann', tmp_path/'gt.json', '--results', ROOT/c['results'], '--sigmas', 0.05)
    if w.returncode != 2 or 'Traceback' in w.stderr: bad.append(f'--sigmas of the wrong length: exit {w.returncode}')
    check(bad, r)

# ------------------------------------------------------------- 3. weights with NaN
@pytest.mark.parametrize('cmd', ['predict', 'eval', 'export'])
def test_nonfinite_weights_refused(corpus, cmd):
    "weights with a NaN or an infinity (a diverged run) are one line naming the tensor and exit 2, never '0 people'"
    w = corpus.c/'ckpt'/'nan.safetensors'
    if cmd == 'predict': r = run('predict', corpus.c/'images'/'good', '--weights', w, '--out', corpus.out('nan-p'), *SMALL, '--quiet')
    elif cmd == 'eval': r = run('eval', '--weights', w, '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', *SMALL)
    else: r = run('export', '--weights', w, '--out', corpus.out('nan-x')/'m.onnx')
    check(contract(corpus, r, {2}, names=['nan.safetensors', 'running_var']), r)

# ------------------------------------------------------------- 5. the graph cache
def test_poisoned_graph_cache(corpus, tmp_path):
    "a truncated cached graph, or another network's, is rebuilt with one line, and the results are the fresh ones"
    pytest.importorskip('onnxruntime')
    w, other = tmp_path/'w.safetensors', tmp_path/'other'/'w.safetensors'
    shutil.copy(corpus.tiny, w)
    other.parent.mkdir(); shutil.copy(corpus.tiny, other)
    import torch; from simplepose.model import IMHN, save_safetensors
    torch.manual_seed(5); save_safetensors(IMHN(nstack=1, inp_dim=32, increase=16, init=False), other)
    args = lambda weights, out: ('predict', corpus.c/'images'/'good', '--weights', weights, '--out', tmp_path/out, *SMALL, '--singles',
                                 '--backend', 'onnxruntime', '--no-draw', '--quiet')
    fresh = run(*args(w, 'fresh')); run(*args(other, 'other'))
    bad = contract(corpus, fresh, {0})
    graph = next((w.parent/'w.safetensors.cache').glob('*.onnx'))
    want = (tmp_path/'fresh'/'predictions.json').read_text()
    for poison in ('truncated', 'impostor'):
        if poison == 'truncated': graph.write_bytes(graph.read_bytes()[:len(graph.read_bytes()) // 2])
        else: shutil.copy(next((other.parent/'w.safetensors.cache').glob('*.onnx')), graph)
        r = run(*args(w, poison))
        bad += [f'{poison}: {b}' for b in contract(corpus, r, {0})]
        if 'rebuilt' not in r.stderr: bad.append(f'{poison}: no line says the graph was rebuilt')
        if (tmp_path/poison/'predictions.json').read_text() != want: bad.append(f'{poison}: results differ from the fresh graph')
    check(bad, fresh)

def test_graph_cache_folder_not_private(corpus, tmp_path):
    "a shared temporary cache folder writable by others is not used (another user could plant a graph there)"
    pytest.importorskip('onnxruntime')
    weights = tmp_path/'ro'/'w.safetensors'; weights.parent.mkdir(); shutil.copy(corpus.tiny, weights)
    (tmp_path/'ro'/'w.safetensors.cache').write_text('not a folder')  # the cache beside the weights cannot be used
    tmpdir = tmp_path/'tmp'; (tmpdir/f'simplepose-cache-{os.getuid()}').mkdir(parents=True)
    (tmpdir/f'simplepose-cache-{os.getuid()}').chmod(0o777)
    r = run('predict', corpus.c/'images'/'good', '--weights', weights, '--out', tmp_path/'o', *SMALL, '--backend', 'onnxruntime', '--quiet',
            env={**ENV, 'TMPDIR': str(tmpdir)})
    check(contract(corpus, r, {0}) + ([] if 'not used as the graph cache' in r.stderr else ['the open cache folder was not refused']), r)

# ------------------------------------------------------------- 4. SIGTERM and Ctrl-C
@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_stop_predict(corpus, sig):
    "stopped mid-run: the finished images' results written and counted, one line, 143/130"
    pics, o = images_of(corpus, 40, 'forty'), corpus.out(f'stop-predict-{sig}')
    r = stopped(['predict', pics, '--weights', corpus.tiny, '--out', o, *SMALL, '--batch-size', 1],
                sig, lambda out, err: len(list(o.glob('forty/*.jpg'))) >= 3)
    bad = one_stop_line(r, sig) + contract(corpus, r, {128 + sig}, outs=[o/'predictions.json'], written=True)
    drawn = len(list(o.glob('forty/*.jpg')))
    if not re.match(rf'{drawn} inputs processed', r.stdout): bad.append(f'summary {r.stdout[:50]!r} with {drawn} drawings')
    check(bad + [f'left: {t}' for t in temporaries(o)], r)

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_stop_eval(corpus, sig):
    "stopped after the first images: their results written to --out, no AP pretended, one line"
    o, (gt, images) = corpus.out(f'stop-eval-{sig}')/'res.json', many_gt(corpus)
    r = stopped(['eval', '--weights', corpus.tiny, '--ann', gt, '--images', images, '--size', 256, '--device', 'cpu', '--out', o],
                sig, lambda out, err: 'empty.jpg' in err)
    bad = one_stop_line(r, sig) + contract(corpus, r, {128 + sig}, outs=[o])
    if o.exists() and not isinstance(json.loads(o.read_text()), list): bad.append('--out is not a results list')
    check(bad + [f'left: {t}' for t in temporaries(o.parent)], r)

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_stop_prepare(corpus, sig):
    "stopped mid-way: no half store, no temporary file, one line"
    o, (gt, images) = corpus.out(f'stop-prepare-{sig}')/'s.h5', many_gt(corpus)
    o.parent.mkdir(parents=True, exist_ok=True)
    r = stopped(['prepare', '--ann', gt, '--images', images, '--out', o, '--image-format', 'raw'], sig, lambda out, err: 'empty.jpg' in err)
    check(one_stop_line(r, sig) + contract(corpus, r, {128 + sig}, outs=[o], written=False) + [f'left: {t}' for t in temporaries(o.parent)], r)

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_stop_train(corpus, sig):
    "stopped after its first epoch: last.pth intact, the line says what it holds and how to resume"
    o = corpus.out(f'stop-train-{sig}')
    r = stopped(['train', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', '--out', o, '--epochs', 50, '--bs', 2, '--size', 64,
                 '--nstack', 1, '--inp-dim', 16, '--increase', 8, '--workers', 0],
                sig, lambda out, err: (o/'last.pth').exists())
    bad = one_stop_line(r, sig) + contract(corpus, r, {128 + sig}, outs=[o/'last.pth'], written=True)
    if '--resume' not in r.stderr: bad.append('the stop line does not say how to resume')
    check(bad + [f'left: {t}' for t in temporaries(o)], r)

@pytest.mark.parametrize('cmd', ['synth', 'synth-video', 'quickstart'])
def test_stop_synth_quickstart(corpus, cmd):
    "a stopped dataset (of images or clips) or quickstart leaves no temporary file (a half MP4 included) and nothing that looks finished"
    o = corpus.out(f'stop-{cmd}')
    args = {'synth': ['synth', '--out', o, '--n', 400, '--size', 128],
            'synth-video': ['synth', '--out', o, '--video', '--n', 20, '--frames', 60, '--size', 128],
            'quickstart': ['quickstart', '--out', o, '--n-train', 64, '--n-val', 8, '--threads', 1]}[cmd]
    ready = {'synth': lambda out, err: len(list(o.glob('images/*.jpg'))) >= 5,
             'synth-video': lambda out, err: len(list(o.glob('images/*/*.jpg'))) >= 70, # stopped in the second clip
             'quickstart': lambda out, err: 'synthesized' in out}[cmd]
    r = stopped(args, signal.SIGTERM, ready)
    done = o/{'synth': 'annotations/person_keypoints_train.json', 'synth-video': 'annotations/posetrack_train.json', 'quickstart': 'metrics.json'}[cmd]
    check(one_stop_line(r, signal.SIGTERM) + (['looks finished'] if done.exists() else []) + [f'left: {t}' for t in temporaries(o)], r)

# ------------------------------------------------------------- 2. a full disk
def test_full_disk_predict(corpus, tmp_path):
    "drawings fill the disk: one line naming a file, exit 2, the finished drawings kept, no temporary file"
    pics = images_of(corpus, 40, 'forty')
    with small_disk(tmp_path/'disk', 160) as d:
        r = run('predict', pics, '--weights', corpus.tiny, '--out', d/'o', *SMALL, '--quiet')
        bad = contract(corpus, r, {2}, names=['No space left on device']) + [f'left: {t}' for t in temporaries(d)]
        if not list((d/'o').rglob('*.jpg')): bad.append('no drawing kept')
    check(bad, r)

def test_full_disk_prepare(corpus, tmp_path):
    "the store does not fit: one line naming it, exit 2, nothing left on the disk (HDF5 never meets a full disk)"
    with small_disk(tmp_path/'disk', 2048) as d:
        r = run('prepare', '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', '--out', d/'s.h5', '--image-format', 'raw', '--quiet')
        bad = contract(corpus, r, {2}, names=['s.h5', 'No space left on device'], outs=[d/'s.h5'], written=False)
        left = [p.name for p in d.iterdir()]
        if left: bad.append(f'left on the disk: {left}')
    check(bad, r)

def test_full_disk_eval_still_prints_ap(corpus, tmp_path):
    "the results file does not fit: the AP is still printed, then one line naming the file, exit 2"
    with small_disk(tmp_path/'disk', 64) as d:
        with open(d/'filler', 'wb', buffering=0) as f: # the disk is full before the run starts
            while True:
                try: f.write(b'x' * 4096)
                except OSError: break
        r = run('eval', '--weights', corpus.tiny, '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', *SMALL, '--singles',
                '--out', d/'res.json')
        bad = contract(corpus, r, {2}, names=['res.json']) + [f'left: {t}' for t in temporaries(d)]
        if not re.search(r'^AP ', r.stdout, re.M): bad.append('no AP line')
        if sorted(p.name for p in d.iterdir()) != ['filler']: bad.append(f'left on the disk: {sorted(p.name for p in d.iterdir())}')
    check(bad, r)

def test_full_disk_train(corpus, tmp_path):
    "a checkpoint that does not fit: one line naming it, exit 2, no temporary file"
    with small_disk(tmp_path/'disk', 256) as d:
        r = run('train', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', '--out', d/'run', '--epochs', 1, '--bs', 2, '--size', 64,
                '--nstack', 1, '--inp-dim', 32, '--increase', 16, '--workers', 0, '--quiet')
        bad = contract(corpus, r, {2}, names=['No space left on device']) + [f'left: {t}' for t in temporaries(d)]
    check(bad, r)

# ------------------------------------------------------------- 11. logs
@pytest.mark.parametrize('cmd', ['predict', 'eval', 'prepare'])
def test_no_bars_in_logs(corpus, cmd):
    "progress is on (no --quiet), stderr goes to a file: no carriage return, no bar"
    o = corpus.out(f'log-{cmd}')
    if cmd == 'predict': r = run('predict', images_of(corpus, 12, 'twelve'), '--weights', corpus.tiny, '--out', o, *SMALL)
    elif cmd == 'eval': r = run('eval', '--weights', corpus.tiny, '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', *SMALL)
    else: o.mkdir(parents=True, exist_ok=True); r = run('prepare', '--ann', corpus.c/'gt'/'good.json', '--images', corpus.c/'images', '--out', o/'s.h5')
    check(contract(corpus, r, {0}) + (['carriage returns on stderr'] if '\r' in r.stderr else []), r)
