"""`simplepose-predict photo.jpg --weights simplepose-coco` as a new user runs it, against a loopback HTTP server.

The server (http.server in a thread, counting GET requests) stands in for Google Drive through the mirror variable
`SIMPLEPOSE_WEIGHTS_MIRROR`, and serves a checkpoint in the published layout: the full `IMHN()` (129 M parameters,
random weights) saved as `{'weights': state_dict}` in float16 (0.26 GB), as the original's weights-only file holds it.
`SIMPLEPOSE_CACHE` points the cache at a temporary folder. The command runs with `--backend torch --size 64` (the
default backend would first export the full network to ONNX, and 512 px takes ~25 s per image on one core), which
changes nothing in how the weights are resolved; it starts warm (tests/warm.py):
- the first run downloads once (1 GET), checks, converts, caches and predicts (exit 0);
- the second run downloads nothing (0 GETs);
- offline (server stopped, cache emptied): exit 2 and one line naming the file, the page and the path to pass;
- a served file of another layout: one error line naming what differs, nothing cached."""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest
import warm
from weights_server import Served, published_layout

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
PHOTO = ROOT/'testdata'/'mmpose'/'coco'/'000000000785.jpg'
FAST = ['--backend', 'torch', '--size', '64'] # for time only: see the module's docstring
BY_HAND = ('Download PoseNet_52_epoch.pth by hand from https://drive.google.com/file/d/1gLa2oNxnbFPo0BjnpPaiAmWJwyND8wkA/view '
           'and pass --weights /path/to/PoseNet_52_epoch.pth')

def predict(cwd:Path, url:str, *extra):
    "Run `simplepose-predict photo.jpg --weights simplepose-coco` in `cwd` with the mirror `url` and the cache `cwd/cache`"
    env = {**os.environ, **warm.BASE, 'SIMPLEPOSE_WEIGHTS_MIRROR': url, 'SIMPLEPOSE_CACHE': str(cwd/'cache')}
    return warm.run([BIN/'simplepose-predict', 'photo.jpg', '--weights', 'simplepose-coco', *FAST, *extra], cwd=cwd, env=env, timeout=300)

def cached_files(cwd:Path) -> list: return sorted(p.relative_to(cwd) for p in (cwd/'cache').rglob('*') if p.is_file())

def test_download_once_then_cached_then_offline(served, tmp_path):
    shutil.copy(PHOTO, tmp_path/'photo.jpg')
    r = predict(tmp_path, served.url)
    assert r.returncode == 0, r.stderr
    assert (served.gets, cached_files(tmp_path)) == (1, [Path('cache/weights/simplepose-coco.safetensors')])
    assert 'Traceback' not in r.stderr
    said = [l for l in r.stderr.splitlines() if l.startswith('simplepose-coco: ')]
    assert said[0] == f'simplepose-coco: not in the cache yet; downloading PoseNet_52_epoch.pth from {served.url}/PoseNet_52_epoch.pth (once)', said
    assert 'checked (1848 tensors, as published), cached as ' in said[-1], said
    assert r.stdout.startswith('1 inputs processed, 0 skipped, 0 failed; 1 images'), r.stdout
    assert (tmp_path/'predictions'/'predictions.json').exists()

    r2 = predict(tmp_path, served.url)
    assert (r2.returncode, served.gets) == (0, 1), r2.stderr
    assert not [l for l in r2.stderr.splitlines() if l.startswith('simplepose-coco: ')], r2.stderr

    url = served.url
    served.stop(); shutil.rmtree(tmp_path/'cache')
    r3 = predict(tmp_path, url)
    lines = r3.stderr.strip().splitlines()
    assert (r3.returncode, len(lines)) == (2, 1), r3.stderr
    assert lines[0] == (f'simplepose-predict: error: simplepose-coco: could not download {url}/PoseNet_52_epoch.pth (Connection refused); '
                        f'nothing cached. {BY_HAND}')
    assert cached_files(tmp_path) == []

def test_wrong_layout_is_refused(tmp_path):
    from simplepose.model import IMHN
    (tmp_path/'served').mkdir(); shutil.copy(PHOTO, tmp_path/'photo.jpg')
    published_layout(IMHN.tiny(), tmp_path/'served'/'PoseNet_52_epoch.pth')
    s = Served(tmp_path/'served')
    try: r = predict(tmp_path, s.url)
    finally: s.stop()
    errors = [l for l in r.stderr.splitlines() if 'error' in l]
    assert (r.returncode, len(errors), 'Traceback' in r.stderr) == (2, 1, False), r.stderr
    assert errors[0].startswith(f"simplepose-predict: error: simplepose-coco: the file from {s.url}/PoseNet_52_epoch.pth: does not fit "
                                "IMHN({'nstack': 4, 'inp_dim': 256, 'increase': 128, 'oup_dim': 50, 'depth': 4, 'se_reduction': 16}): "), errors
    assert errors[0].endswith(f'; nothing cached. {BY_HAND}'), errors
    assert cached_files(tmp_path) == []
