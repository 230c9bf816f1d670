"""`simplepose-export --int8` as a user runs it: NNCF's int8 graph of a tiny network, calibrated on a folder of photographs
(a file that cannot be read is skipped with its line), its AP drop measured on a few synthetic scenes and recorded beside
the weights, then found by `--backend openvino-int8`; a calibration folder that does not exist is one line and exit 2.
The network is a random-weights IMHN(nstack=1, inp_dim=32, increase=16) at 64 px, so each run takes seconds."""
import importlib.util, json, os, shutil, sys
from pathlib import Path
import pytest, torch
import warm

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(importlib.util.find_spec('nncf') is None, reason='NNCF is not installed')  # found, not imported: collecting stays quick

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    from simplepose.model import IMHN, save_safetensors
    from simplepose.config import CFG
    d = tmp_path_factory.mktemp('int8')
    torch.manual_seed(0)
    w = save_safetensors(IMHN(nstack=1, inp_dim=32, increase=16, init=False), d/'tiny.safetensors', cfg=CFG.replace(input_size=64))
    photos = d/'photos'; photos.mkdir()
    for p in sorted((ROOT/'testdata'/'mmpose'/'coco').glob('*.jpg'))[:2]: shutil.copy(p, photos/p.name)
    (photos/'broken.jpg').write_bytes(b'\xff\xd8not a jpeg')
    return d, w, photos

def export(*args, cwd):
    "`simplepose-export ARGS…` in `cwd` (also its HOME), started warm where it can be (tests/warm.py)"
    env = {**warm.startup_env(os.environ), **warm.BASE, 'PATH': str(BIN), 'HOME': str(cwd)}
    return warm.run([BIN/'simplepose-export', *map(str, args)], cwd=cwd, env=env, timeout=600)

def test_export_int8(tiny):
    d, w, photos = tiny
    r = export('--weights', w, '--out', d/'tiny.onnx', '--height', 64, '--int8', '--calibrate', photos, '--ap-images', 2, cwd=d)
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    assert 'broken.jpg' in r.stderr and 'skipped' in r.stderr, r.stderr
    graphs = list((d/'tiny.safetensors.cache').glob('int8-*.xml'))
    assert len(graphs) == 1 and graphs[0].with_suffix('.bin').exists(), graphs
    rec = json.loads(graphs[0].with_name(graphs[0].name + '.json').read_text())
    assert rec['images'] == 2 and isinstance(rec['ap_drop'], float) and rec['ap_on'].startswith('2 synthetic scenes'), rec
    assert f'{graphs[0].name}: int8 for openvino-int8, calibrated on 2 images of {photos}' in r.stdout, r.stdout
    from simplepose.estimator import PoseEstimator
    est = PoseEstimator(w, device='cpu', backend='openvino-int8')
    assert (est.backend.name, est.backend.path, est.backend.exported) == ('openvino-int8', graphs[0], None)

def test_export_int8_bad_folder(tiny):
    d, w, _ = tiny
    r = export('--weights', w, '--out', d/'x.onnx', '--int8', '--calibrate', d/'no-such-folder', cwd=d)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    assert r.stderr.strip().splitlines()[-1].endswith('no-such-folder: not a folder of images to calibrate on'), r.stderr
