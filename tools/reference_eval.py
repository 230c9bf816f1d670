"""Reference numbers of the official keypoint evaluation tools, for the cases in testdata/eval_reference/.

`simplepose-eval --results` (`simplepose.eval.evaluate_coco`) must give these numbers: pycocotools' for COCO-format ground
truth, crowdposetools' (the official CrowdPose API) for CrowdPose-format ground truth, which xtcocotools' `keypoints_crowd`
also computes. The notebook nbs/10_eval.ipynb compares every case with the fixture this script writes,
testdata/eval_reference/expected.json. The official tools run here, once, in an environment of their own (xtcocotools
needs numpy < 2, simplepose numpy 2), outside the repository:

    python3 -m venv /tmp/refenv
    /tmp/refenv/bin/pip install 'numpy<2' pycocotools xtcocotools Cython     # tested: numpy 1.26.4, pycocotools 2.0.11, xtcocotools 1.14.3
    # crowdposetools: github.com/Jeff-sjtu/CrowdPose, folder crowdpose-api/PythonAPI (tested at commit 86fe5e1)
    git clone https://github.com/Jeff-sjtu/CrowdPose /tmp/CrowdPose
    (cd /tmp/CrowdPose/crowdpose-api/PythonAPI && /tmp/refenv/bin/python setup.py build_ext --inplace)

and then, from the repository root:

    /tmp/refenv/bin/python tools/reference_eval.py --crowdposetools /tmp/CrowdPose/crowdpose-api/PythonAPI [--write-cases]

`--write-cases` first writes the crafted case files again (deterministic; they are committed, so this is only needed
when the cases change). crowdposetools uses `np.float`, which numpy 1.24 removed; it is set to `float` (what it was an
alias of) before the tools run. With `--measure GT RESULTS` it prints the official numbers of one more pair, for
measurements outside the repository (e.g. CrowdPose's own val file), and writes nothing.
"""
import argparse, contextlib, copy, io, json, sys
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT/'testdata'/'eval_reference'
MM = ROOT/'testdata'/'mmpose'
COCO_STATS = ('AP', 'AP50', 'AP75', 'APm', 'APl', 'AR', 'AR50', 'AR75', 'ARm', 'ARl')
CROWDPOSE_STATS = ('AP', 'AP50', 'AP75', 'AR', 'AR50', 'AR75', 'AP_easy', 'AP_medium', 'AP_hard')
CROWDPOSE_SIGMAS = np.array([.79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79, .79]) / 10.0
COCO_NAMES = ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow',
              'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
CROWDPOSE_NAMES = ['left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
                   'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'head', 'neck']
COCO_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11],
                 [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]

# ------------------------------------------------------------------------------------------------ the cases
# name: ground truth, results (paths relative to the repository root), the protocol, and for the reference:
# `img_ids` (pycocotools' params.imgIds; default all), `normalise` (the file as pycocotools can read it: string ids made
# numbers, a missing category_id given the keypoint category's) and `sigmas` (a category's own `sigmas` field).
def _c(gt, res, protocol, **kw): return dict(gt=str(gt), results=str(res), protocol=protocol, **kw)
E = 'testdata/eval_reference'
CASE_LIST = {
    'crowdpose_declared_misses': _c(f'{E}/crowdpose_declared.json', f'{E}/crowdpose_declared_misses.json', 'crowdpose'),
    'crowdpose_declared_finds': _c(f'{E}/crowdpose_declared.json', f'{E}/crowdpose_declared_finds.json', 'crowdpose'),
    'mmpose_crowdpose': _c('testdata/mmpose/crowdpose/test_crowdpose.json', f'{E}/mmpose_crowdpose_results.json', 'crowdpose'),
    'xtcocoapi_crowdpose': _c(f'{E}/xtcocoapi/example_crowdpose_val.json', f'{E}/xtcocoapi/example_crowdpose_preds.json', 'crowdpose'),
    'coco_declared': _c(f'{E}/coco_declared.json', f'{E}/coco_declared_results.json', 'coco'),
    'coco_declared_subset': _c(f'{E}/coco_declared.json', f'{E}/coco_declared_results.json', 'coco', img_ids=[1, 2]),
    'mmpose_coco': _c('testdata/mmpose/coco/test_coco.json', f'{E}/mmpose_coco_results.json', 'coco'),
    'string_ids': _c(f'{E}/string_ids.json', f'{E}/string_ids_results.json', 'coco', normalise=True),
    'no_category_id': _c(f'{E}/coco_declared.json', f'{E}/no_category_id_results.json', 'coco', normalise=True),
    'custom_sigmas': _c(f'{E}/custom_sigmas.json', f'{E}/custom_sigmas_results.json', 'coco', sigmas=True),
}

def _dump(path, obj):
    Path(path).write_text(json.dumps(obj, separators=(',', ':')) + '\n')

def _box(kp):
    "x, y, w, h of the labelled keypoints (k, 3), widened by 10 %"
    lab = kp[kp[:, 2] > 0]
    x0, y0 = lab[:, :2].min(0); x1, y1 = lab[:, :2].max(0)
    w, h = max(x1 - x0, 4), max(y1 - y0, 4)
    return [round(float(x0 - .05 * w), 2), round(float(y0 - .05 * h), 2), round(float(1.1 * w), 2), round(float(1.1 * h), 2)]

def _figure(rng, names, x, y, h):
    "A standing figure (k, 3) of height `h` px with its top at (x, y), every keypoint visible"
    u = h / 8
    place = dict(nose=(0, .5), left_eye=(.2, .3), right_eye=(-.2, .3), left_ear=(.45, .45), right_ear=(-.45, .45), head=(0, -.1),
                 neck=(0, 1.4), left_shoulder=(1, 1.5), right_shoulder=(-1, 1.5), left_elbow=(1.3, 2.8), right_elbow=(-1.3, 2.8),
                 left_wrist=(1.4, 4), right_wrist=(-1.4, 4), left_hip=(.6, 4.2), right_hip=(-.6, 4.2), left_knee=(.7, 6),
                 right_knee=(-.7, 6), left_ankle=(.7, 7.8), right_ankle=(-.7, 7.8))
    kp = np.array([(x + place[n][0] * u, y + place[n][1] * u + 1.0, 2) for n in names], np.float64)
    kp[:, :2] += rng.normal(0, .05 * u, (len(names), 2))
    return kp

def _detect(rng, kp, noise, score, drop=0.0):
    "A result record's keypoints: the labelled ones moved by N(0, noise) px, v = 1; a fraction `drop` left out as (0, 0, 0)"
    d = kp.copy()
    lab = d[:, 2] > 0
    d[lab, :2] += rng.normal(0, noise, (lab.sum(), 2))
    d[:, 2] = lab.astype(float)
    d[rng.random(len(d)) < drop] = 0
    return dict(keypoints=[round(float(v), 2) for v in d.reshape(-1)], score=round(float(score), 4))

def _perturbed(gt:dict, rng, noise_frac=.05, keep=lambda a: True) -> list:
    "A detection for every non-crowd annotation with labelled keypoints that `keep` accepts, noise ∝ its box's size"
    out = []
    for a in gt['annotations']:
        kp = np.array(a['keypoints'], np.float64).reshape(-1, 3)
        if a.get('iscrowd') or not (kp[:, 2] > 0).any() or not keep(a): continue
        s = noise_frac * np.sqrt(a['bbox'][2] * a['bbox'][3])
        out.append(dict(image_id=a['image_id'], category_id=a['category_id'], **_detect(rng, kp, s * rng.uniform(.3, 2), rng.uniform(.2, 1))))
    return out

def _crowdpose_declared(rng):
    "CrowdPose-format ground truth in which declared num_keypoints (labelled body joints) differs from the labelled count"
    ims = [dict(id=i, file_name=f'{i:06d}.jpg', width=640, height=480, crowdIndex=ci)
           for i, ci in enumerate((0.05, 0.2, 0.5, 0.8, 0.95, 0.4), 1)]
    anns, n = [], 0
    def add(iid, kp, num, crowd=0, bbox=None):
        nonlocal n; n += 1
        anns.append(dict(id=1000 + n, image_id=iid, category_id=1, iscrowd=crowd, num_keypoints=num,
                         keypoints=[round(float(v), 2) for v in kp.reshape(-1)], bbox=bbox or _box(kp)))
    for iid in range(1, 6):
        for j in range(iid):                                    # 1 to 5 people with their whole body labelled
            kp = _figure(rng, CROWDPOSE_NAMES, 60 + 110 * j + rng.uniform(-10, 10), 40 + rng.uniform(0, 60), rng.uniform(150, 320))
            kp[rng.random(14) < .15, 2] = 1
            add(iid, kp, int((kp[:12, 2] > 0).sum()))
        # a person far behind, only the head and neck labelled: CrowdPose declares num_keypoints 0 (it counts the 12 body joints)
        kp = _figure(rng, CROWDPOSE_NAMES, 590, 300, 90)
        kp[:12] = 0
        add(iid, kp, 0)
    # a person whose head, neck and shoulders are labelled: num_keypoints 2
    kp = _figure(rng, CROWDPOSE_NAMES, 300, 100, 250); kp[2:12] = 0
    add(6, kp, 2)
    # a crowd region
    add(3, np.zeros((14, 3)), 0, crowd=1, bbox=[400.0, 200.0, 200.0, 150.0])
    return dict(images=ims, annotations=anns, categories=[dict(id=1, name='person', supercategory='person', keypoints=CROWDPOSE_NAMES,
                                                                skeleton=COCO_SKELETON[:12])])

def _crowdpose_results(gt, rng) -> tuple:
    """Detections of the body people, two false ones and one in the crowd (a model that misses the head-and-neck-only
    people); and the same with those people found too"""
    res = _perturbed(gt, rng, keep=lambda a: a['num_keypoints'] > 0)
    res.append(dict(image_id=2, category_id=1, **_detect(rng, _figure(rng, CROWDPOSE_NAMES, 500, 50, 200), 1, .55)))
    res.append(dict(image_id=5, category_id=1, **_detect(rng, _figure(rng, CROWDPOSE_NAMES, 20, 20, 100), 1, .35)))
    res.append(dict(image_id=3, category_id=1, **_detect(rng, _figure(rng, CROWDPOSE_NAMES, 480, 210, 120), 1, .9)))
    return res, res + _perturbed(gt, rng, keep=lambda a: a['num_keypoints'] == 0)

def _coco_declared(rng):
    "COCO-format ground truth where declared num_keypoints, iscrowd and area decide who is scored and how"
    ims = [dict(id=i, file_name=f'{i:012d}.jpg', width=640, height=480) for i in (1, 2, 3)]
    anns = []
    def add(iid, kp, num=None, area=None, **kw):
        kp = np.asarray(kp, np.float64)
        box = kw.pop('bbox', None) or _box(kp)
        anns.append(dict(id=len(anns) + 1, image_id=iid, category_id=1, iscrowd=kw.pop('iscrowd', 0), keypoints=[round(float(v), 2) for v in kp.reshape(-1)],
                         num_keypoints=int((kp[:, 2] > 0).sum()) if num is None else num, bbox=box,
                         area=round(box[2] * box[3] * .6, 2) if area is None else area, **kw))
    for iid, heights in ((1, (300, 200, 120)), (2, (250, 60, 25)), (3, (350, 180))):   # large, medium and small people
        for j, h in enumerate(heights):
            kp = _figure(rng, COCO_NAMES, 80 + 170 * j, 30 + rng.uniform(0, 40), h)
            kp[rng.random(17) < .2, 2] = 1
            kp[rng.random(17) < .1] = 0
            add(iid, kp)
    kp = _figure(rng, COCO_NAMES, 560, 200, 160); kp[:5] = 0
    add(1, kp, num=0)                                            # declares 0 but has 12 labelled: pycocotools ignores it
    add(2, np.zeros((17, 3)), num=4, bbox=[500.0, 60.0, 80.0, 200.0])   # declares 4, none labelled: scored by its box
    add(3, np.zeros((17, 3)), num=0, area=30000.0, iscrowd=1, bbox=[420.0, 150.0, 200.0, 150.0],
        segmentation=[[420, 150, 620, 150, 620, 300, 420, 300]])
    kp = _figure(rng, COCO_NAMES, 600, 150, 240)                 # its left arm beyond the right edge: labelled all the same
    add(3, kp, area=900.0)                                       # a declared area far below its box's
    return dict(images=ims, annotations=anns, categories=[dict(id=1, name='person', supercategory='person', keypoints=COCO_NAMES,
                                                                skeleton=COCO_SKELETON)])

def _coco_results(gt, rng):
    res = _perturbed(gt, rng)
    res.append(dict(image_id=2, category_id=1, **_detect(rng, _figure(rng, COCO_NAMES, 540, 70, 180), 1, .5)))   # near the box-only one
    res.append(dict(image_id=3, category_id=1, **_detect(rng, _figure(rng, COCO_NAMES, 470, 160, 130), 1, .95)))  # in the crowd
    res.append(dict(image_id=1, category_id=1, **_detect(rng, _figure(rng, COCO_NAMES, 400, 300, 100), 1, .45)))  # a false one
    return res

ARM = dict(id=1, name='arm', supercategory='arm', keypoints=['hand', 'wrist', 'elbow', 'shoulder', 'neck'],
           skeleton=[[1, 2], [2, 3], [3, 4], [4, 5]], sigmas=[0.03, 0.05, 0.08, 0.1, 0.12])

def _custom_sigmas(rng):
    "A skeleton no built-in knows, whose category gives its OKS sigmas"
    ims = [dict(id=i, file_name=f'{i}.jpg', width=320, height=240) for i in (1, 2)]
    anns = []
    for iid in (1, 2):
        for j in range(3):
            x, y = 30 + 90 * j, 40 + rng.uniform(0, 30)
            kp = np.array([(x + 10 * k + rng.normal(0, 2), y + 30 * k + rng.normal(0, 2), 2) for k in range(5)])
            box = _box(kp)
            anns.append(dict(id=len(anns) + 1, image_id=iid, category_id=1, iscrowd=0, num_keypoints=5, bbox=box,
                             area=round(box[2] * box[3], 2), keypoints=[round(float(v), 2) for v in kp.reshape(-1)]))
    return dict(images=ims, annotations=anns, categories=[ARM])

def write_cases():
    "Write the crafted case files (deterministic)"
    rng = np.random.default_rng(19)
    CASES.mkdir(parents=True, exist_ok=True)
    cp = _crowdpose_declared(rng); _dump(CASES/'crowdpose_declared.json', cp)
    misses, finds = _crowdpose_results(cp, rng)
    _dump(CASES/'crowdpose_declared_misses.json', misses)
    _dump(CASES/'crowdpose_declared_finds.json', finds)
    _dump(CASES/'mmpose_crowdpose_results.json', _perturbed(json.loads((MM/'crowdpose'/'test_crowdpose.json').read_text()), rng))
    co = _coco_declared(rng); _dump(CASES/'coco_declared.json', co)
    res = _coco_results(co, rng); _dump(CASES/'coco_declared_results.json', res)
    _dump(CASES/'no_category_id_results.json', [{k: v for k, v in r.items() if k != 'category_id'} for r in res])
    _dump(CASES/'mmpose_coco_results.json', _perturbed(json.loads((MM/'coco'/'test_coco.json').read_text()), rng, .03))
    s = copy.deepcopy(co)                                        # numeric strings for the category's id and the annotations'
    s['categories'][0]['id'] = '1'
    for a in s['annotations']: a['category_id'] = '1'
    _dump(CASES/'string_ids.json', s)
    _dump(CASES/'string_ids_results.json', [dict(r, category_id='1') for r in res])
    cs = _custom_sigmas(rng); _dump(CASES/'custom_sigmas.json', cs)
    _dump(CASES/'custom_sigmas_results.json', _perturbed(cs, rng, .1))

# ------------------------------------------------------------------------------------------------ the official tools
@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()): yield

def _normalised(gt:dict, res:list) -> tuple:
    "The files as pycocotools can read them: numeric string ids as numbers, a missing category_id the keypoint category's"
    num = lambda v: int(v) if isinstance(v, str) and v.strip().lstrip('-').isdigit() else v
    gt = copy.deepcopy(gt)
    for c in gt['categories']: c['id'] = num(c['id'])
    for a in gt['annotations']: a['category_id'] = num(a['category_id'])
    cat = next(c['id'] for c in gt['categories'] if c.get('keypoints'))
    return gt, [dict(r, category_id=num(r.get('category_id', cat))) for r in res]

def pycocotools_stats(gt:dict, res:list, img_ids=None, sigmas=None) -> dict:
    "pycocotools' ten keypoint numbers"
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with _quiet():
        g = COCO(); g.dataset = copy.deepcopy(gt); g.createIndex()
        d = g.loadRes(copy.deepcopy(res))
        ev = COCOeval(g, d, 'keypoints')
        if img_ids is not None: ev.params.imgIds = list(img_ids)
        if sigmas is not None: ev.params.kpt_oks_sigmas = np.array(sigmas, np.float64)
        ev.evaluate(); ev.accumulate(); ev.summarize()
    return dict(zip(COCO_STATS, map(float, ev.stats)))

def crowdposetools_stats(gt_path, res_path) -> dict:
    "crowdposetools' numbers: AP, AP50, AP75, AR, AR50, AR75 and AP easy/medium/hard (its stats 0-2, 5-10)"
    if not hasattr(np, 'float'): np.float = float               # removed in numpy 1.24; crowdposetools still uses it
    from crowdposetools.coco import COCO
    from crowdposetools.cocoeval import COCOeval
    with _quiet():
        g = COCO(str(gt_path)); d = g.loadRes(str(res_path))
        ev = COCOeval(g, d, 'keypoints'); ev.evaluate(); ev.accumulate(); ev.summarize()
    return dict(zip(CROWDPOSE_STATS, (float(ev.stats[i]) for i in (0, 1, 2, 5, 6, 7, 8, 9, 10))))

def xtcocotools_stats(gt_path, res_path) -> dict:
    "xtcocotools' `keypoints_crowd` numbers (its demo_crowdpose.py: CrowdPose's sigmas, use_area=False)"
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    with _quiet():
        g = COCO(str(gt_path)); d = g.loadRes(str(res_path))
        ev = COCOeval(g, d, 'keypoints_crowd', CROWDPOSE_SIGMAS, use_area=False); ev.evaluate(); ev.accumulate(); ev.summarize()
    return dict(zip(CROWDPOSE_STATS, map(float, ev.stats)))

def reference(case:dict) -> dict:
    "The official numbers of one case"
    gt_path, res_path = ROOT/case['gt'], ROOT/case['results']
    gt, res = json.loads(gt_path.read_text()), json.loads(res_path.read_text())
    if case['protocol'] == 'crowdpose':
        cp, xt = crowdposetools_stats(gt_path, res_path), xtcocotools_stats(gt_path, res_path)
        return dict(stats=cp, xtcocotools=xt, tools_agree=cp == xt)
    if case.get('normalise'): gt, res = _normalised(gt, res)
    sig = next(c for c in gt['categories'] if c.get('keypoints')).get('sigmas') if case.get('sigmas') else None
    return dict(stats=pycocotools_stats(gt, res, case.get('img_ids'), sig))

def versions() -> dict:
    from importlib.metadata import version
    return {p: version(p) for p in ('numpy', 'pycocotools', 'xtcocotools')}

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--crowdposetools', required=True, help="crowdpose-api/PythonAPI of Jeff-sjtu/CrowdPose, built in place")
    p.add_argument('--write-cases', action='store_true', help='write the crafted case files first')
    p.add_argument('--measure', nargs=2, metavar=('GT', 'RESULTS'), help='print the official numbers of one more pair and stop')
    a = p.parse_args()
    sys.path.insert(0, a.crowdposetools)
    if a.measure:
        gt, res = a.measure
        print(json.dumps(dict(crowdposetools=crowdposetools_stats(gt, res), xtcocotools=xtcocotools_stats(gt, res))))
        return
    if a.write_cases: write_cases()
    out = dict(tools=dict(versions(), crowdposetools='github.com/Jeff-sjtu/CrowdPose crowdpose-api/PythonAPI'),
               cases={name: dict(case, **reference(case)) for name, case in CASE_LIST.items()})
    (CASES/'expected.json').write_text(json.dumps(out, indent=1) + '\n')
    for name, c in out['cases'].items():
        print(name, {k: round(v, 4) for k, v in c['stats'].items()}, '' if c.get('tools_agree', True) else 'crowdposetools ≠ xtcocotools')

if __name__ == '__main__': main()
