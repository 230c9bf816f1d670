"""simplepose-convert (nbs/01b_convert.ipynb) as a user runs it: the contract of tests/test_contract.py for datasets brought
from labelling tools. Each test runs the installed command as a process of its own (started warm, tests/warm.py) on a few 64-px synthetic images:
- good data: exit 0, no traceback, the round trip COCO → YOLO-pose → COCO keeps every labelled keypoint to half a pixel;
- a batch with bad files (a broken image, a label line that is not one, an image a COCO file names but that is missing):
  one stderr line naming each file, the good images still converted, exit 1, no temporary file left;
- a source that cannot be used at all (not YAML, a flip_idx the names contradict, limbs that leave keypoints apart,
  no limbs declared, an output that is a file): one line naming the file and the problem, exit 2, nothing written."""
import json, os, subprocess
from pathlib import Path
import numpy as np
import pytest, yaml
import warm
from test_contract import BIN
from simplepose.synth import make_synth_coco

ENV = {**os.environ, **warm.BASE}

def convert(*args) -> subprocess.CompletedProcess:
    return warm.run([BIN/'simplepose-convert', *args], env=ENV, timeout=120)

def problems(r, exit:int, names=()) -> list:
    "What is wrong with run `r`: a traceback, another exit code, a name no stderr line holds"
    bad = ['traceback on stderr'] if 'Traceback' in r.stderr else []
    if r.returncode != exit: bad.append(f'exit {r.returncode}, expected {exit}')
    bad += [f'no line names {n!r}' for n in names if not any(n in l for l in r.stderr.splitlines())]
    return bad + ([] if not bad else [f'stderr: {r.stderr[-1500:]}'])

def leftovers(folder:Path) -> list:
    "Temporary and lock files left in `folder`"
    return [p.name for p in Path(folder).rglob('.*') if '.tmp' in p.name or p.name.endswith('.lock')] if Path(folder).exists() else []

@pytest.fixture(scope='module')
def data(tmp_path_factory):
    "A synthetic body13 COCO set and its YOLO-pose conversion"
    root = tmp_path_factory.mktemp('convert')
    ann = make_synth_coco(root/'synth', n_images=5, size=64, layout='body13', seed=3)
    r = convert(root/'synth', '--to', 'yolo-pose', '--out', root/'yolo')
    assert not problems(r, 0), problems(r, 0)
    return root, ann

def labelled(coco:dict) -> dict:
    names = {im['id']: im['file_name'].split('/')[-1] for im in coco['images']}
    out = {}
    for a in coco['annotations']:
        if a.get('iscrowd'): continue
        k = np.array(a['keypoints'], float).reshape(-1, 3); k[k[:, 2] == 0] = 0
        out.setdefault(names[a['image_id']], []).append(k)
    return out

def test_round_trip(data):
    root, ann = data
    r = convert(root/'yolo'/'data.yaml', '--to', 'coco', '--out', root/'back')
    assert not problems(r, 0), problems(r, 0)
    assert r.stdout.startswith(f'{root}/back/annotations/person_keypoints_train.json: 5 images processed')
    want, got = labelled(json.loads(ann.read_text())), labelled(json.loads((root/'back'/'annotations'/'person_keypoints_train.json').read_text()))
    assert sorted(want) == sorted(got)
    for name in want: assert np.abs(np.stack(got[name]) - np.stack(want[name])).max() <= 0.5, name
    assert not leftovers(root/'back') and not leftovers(root/'yolo')

def copy_yolo(root:Path, name:str) -> Path:
    import shutil
    shutil.copytree(root/'yolo', root/name)
    d = yaml.safe_load((root/name/'data.yaml').read_text())
    d['path'] = str(root/name)
    (root/name/'data.yaml').write_text(yaml.safe_dump(d, sort_keys=False))
    return root/name

def test_bad_files_in_batch(data):
    "a broken image and a label line that is not one: a line naming each, the other images converted, exit 1"
    root, _ = data
    y = copy_yolo(root, 'yolo-bad')
    (y/'labels'/'train'/'000000000002.txt').write_text('0 0.5 0.5\n')
    (y/'images'/'train'/'000000000003.jpg').write_bytes(b'\xff\xd8 not a jpeg')
    r = convert(y, '--out', root/'bad-out')
    assert not problems(r, 1, ['000000000002.txt: line 1', '000000000003.jpg: cannot be decoded']), problems(r, 1)
    out = json.loads((root/'bad-out'/'annotations'/'person_keypoints_train.json').read_text())
    assert len(out['images']) == 4 and ': 4 images processed, 0 skipped, 2 failed' in r.stdout, r.stdout
    assert not leftovers(root/'bad-out')

def test_missing_image_in_coco(data):
    "a COCO file naming an image that is not there: one line naming the file and the image, the rest converted"
    root, ann = data
    d = json.loads(ann.read_text())
    d['images'].append(dict(id=77, file_name='gone.jpg', width=64, height=64))
    (root/'synth'/'annotations'/'person_keypoints_gone.json').write_text(json.dumps(d))
    r = convert(root/'synth'/'annotations'/'person_keypoints_gone.json', '--to', 'yolo-pose', '--out', root/'gone-out')
    assert not problems(r, 1, ['person_keypoints_gone.json: image 77', 'gone.jpg: No such file']), problems(r, 1)
    assert len(list((root/'gone-out'/'labels'/'gone').iterdir())) == 5

def _fatal(root, name, change, *args):
    "Run the command on a copy of the YOLO set changed by `change(folder, data.yaml dict)`; the run and its output folder"
    y = copy_yolo(root, name)
    d = yaml.safe_load((y/'data.yaml').read_text())
    text = change(y, d)
    (y/'data.yaml').write_text(text if isinstance(text, str) else yaml.safe_dump(d, sort_keys=False))
    return convert(y, '--out', root/f'{name}-out', *args), root/f'{name}-out'

def _flip(y, d): f = d['flip_idx']; f[1], f[2], f[3], f[4] = 3, 4, 1, 2
def _apart(y, d): d['skeleton'] = [[1, 2], [1, 3], [2, 4]]
def _no_limbs(y, d): d.pop('skeleton')

@pytest.mark.parametrize('case,change,names', [
    ('not-yaml', lambda y, d: 'kpt_shape: [13, 3\n  names: {', ['data.yaml: not YAML']),
    ('flip', _flip, ['data.yaml: flip_idx pairs keypoints whose names are not mirror images: l_hip↔l_knee']),
    ('apart', _apart, ['data.yaml', 'unconnected parts', 'l_wrist']),
    ('no-limbs', _no_limbs, ['data.yaml: declares no limbs', '--skeleton FILE.json'])])
def test_fatal(data, case, change, names):
    "a source that cannot be used: one line naming the file and the problem, exit 2, nothing written"
    root, _ = data
    r, out = _fatal(root, f'yolo-{case}', change)
    assert not problems(r, 2, names), problems(r, 2, names)
    assert len([l for l in r.stderr.splitlines() if 'error:' in l]) == 1
    assert not out.exists() or not any(out.rglob('*.json')) and not any(out.rglob('*.yaml')), sorted(out.rglob('*'))

def test_limbs_given(data):
    "the limbs a YOLO-pose set lacks, given from a COCO file of the same keypoints"
    root, ann = data
    r, out = _fatal(root, 'yolo-given', _no_limbs, '--skeleton', ann)
    assert not problems(r, 0), problems(r, 0)
    cat = json.loads((out/'annotations'/'person_keypoints_train.json').read_text())['categories'][0]
    assert cat['skeleton'] == json.loads(ann.read_text())['categories'][0]['skeleton']

def test_output_is_a_file(data):
    root, _ = data
    (root/'a_file').write_text('x')
    r = convert(root/'yolo', '--out', root/'a_file')
    assert not problems(r, 2, ['a_file: an existing file']), problems(r, 2)
