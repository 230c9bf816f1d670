"""Library-level digests for tools/golden.sh: datasets (augmented, validation, store), an IMHN forward, the loss, estimator maps."""
import os, sys, hashlib
from pathlib import Path
import numpy as np, torch, cv2
ROOT = Path(__file__).resolve().parent.parent
OUT, MINI = Path(sys.argv[1]), Path(os.environ['SIMPLEPOSE_DATA'])/'coco-mini'
from simplepose.config import CFG
from simplepose.data import CocoSource, H5Store
from simplepose.augment import PoseDataset
from simplepose.model import IMHN
from simplepose.loss import FocalL2Loss
from simplepose.estimator import PoseEstimator

def h(*arrs):
    "The first 16 hex digits of the sha256 of the arrays' bytes"
    d = hashlib.sha256()
    for a in arrs: d.update(np.ascontiguousarray(np.asarray(a)).tobytes())
    return d.hexdigest()[:16]

torch.set_num_threads(1)
src = CocoSource(MINI/'annotations/person_keypoints_train2017.json', MINI/'train2017')
ds = PoseDataset(src, augment=True, seed=3)
print('coco dataset', len(ds), h(*[x for i in range(4) for x in ds[i]]))
ds = PoseDataset(src, CFG.replace(input_size=256), augment=False)
print('coco dataset val256', h(*[x for i in range(4) for x in ds[i]]))
if (OUT/'mini.h5').exists():
    ds = PoseDataset(H5Store(OUT/'mini.h5'), augment=True, seed=3)
    print('store dataset', len(ds), h(*[x for i in range(4) for x in ds[i]]))
torch.manual_seed(0)
m = IMHN(nstack=2, inp_dim=32, increase=16).eval()
x = torch.rand(2, 3, 128, 192, generator=torch.Generator().manual_seed(1))
with torch.no_grad(): out = m(x)
print('imhn forward', h(*[o.numpy() for s in out for o in s]))
ds = PoseDataset(src, CFG.replace(input_size=128), augment=True, seed=3)
im, mm, tg = (torch.from_numpy(np.stack(v)) for v in zip(*[ds[i] for i in range(2)]))
with torch.no_grad(): pr = m(im)
print('loss', FocalL2Loss()(pr, mm, tg).item())
est = PoseEstimator(model=m, input_size=128, scales=(1.0, 0.5))
imgs = [cv2.imread(str(p)) for p in sorted((ROOT/'testdata'/'mmpose'/'coco').glob('*.jpg'))]
print('est maps', h(*[np.concatenate([mp.keypoints.numpy().ravel(), mp.limbs.numpy().ravel()]) for mp in est.maps(imgs)]))
ps = est(imgs)
print('est people', [len(p) for p in ps], h(*[q.keypoints for p in ps for q in p]))
