"""Training-data throughput of one process: store → full augmentation → 512×512 inputs, 50×128×128 targets, masks.

    python bench/data.py [--rounds 5] [--per-round 200] [--size 512] [--store PATH]

Builds (once, cached in the temp folder) an HDF5 store of synthetic 640×480 images with several people
(`simplepose.synth` + `simplepose.data.prepare_store`), or reads the store given with `--store`. Then times
`PoseDataset(store, CFG.replace(input_size=size), augment=True)[i]` on one core (OpenCV and torch limited to one thread), after
`keep_freed_memory()` as the learner's loaders call it, and prints `samples/s=<median over rounds>` as its last
line. The original's data server made about 40 samples/s per process."""
import argparse, os, sys, tempfile, time
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')
import numpy as np
import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from simplepose.augment import PoseDataset, keep_freed_memory
from simplepose import data
from simplepose.contract import BadInput
from simplepose.config import CFG
from simplepose.synth import make_synth_coco

CACHE = Path(tempfile.gettempdir())/'simplepose-bench-data'

def _open_or_build(path, build):
    "The cached store at `path`, rebuilt when missing or unreadable (e.g. written by an older store format)"
    if path.exists():
        try: return data.H5Store(path)
        except BadInput: path.unlink()
    build()
    return data.H5Store(path)

def build_source(store=None):
    "A sample source: the given store, or a cached synthetic store"
    if store: return data.H5Store(store), f'store {store}'
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE/'synth-640x480.h5'
    def build():
        ann = make_synth_coco(CACHE/'synth', n_images=48, seed=0, size=(480, 640))
        data.prepare_store(ann, ann.parent.parent/'images', path)
    return _open_or_build(path, build), f'synthetic 640×480 store {path}'

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--per-round', type=int, default=200)
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--store', default=None, help='an existing store to read instead of the synthetic one')
    args = ap.parse_args()
    cv2.setNumThreads(1)
    try:
        import torch; torch.set_num_threads(1)
    except ImportError: pass
    src, what = build_source(args.store)
    keep_freed_memory()
    ds = PoseDataset(src, CFG.replace(input_size=args.size), augment=True, seed=0)
    n = len(ds)
    people = np.mean([len(src[i]['joints']) for i in range(min(n, 50))])
    h, w = src[0]['image'].shape[:2]
    print(f'source: {what}: {n} samples, first image {w}×{h}, {people:.1f} people per sample')
    x, m, t = ds[0]
    print(f'sample: image {tuple(x.shape)}, mask_miss {tuple(m.shape)}, targets {tuple(t.shape)}')
    for i in range(20): ds[i % n]                      # warm-up
    rates, cpu_rates, t_read = [], [], []
    for r in range(args.rounds):
        ds.set_epoch(r + 1)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(args.per_round): ds[(r * args.per_round + i) % n]
        rates.append(args.per_round / (time.perf_counter() - t0))
        cpu_rates.append(args.per_round / (time.process_time() - c0))
        t0 = time.perf_counter()
        for i in range(50): src[(r * 50 + i) % n]
        t_read.append((time.perf_counter() - t0) / 50 * 1e3)
    print(f'per round: {" ".join(f"{v:.0f}" for v in rates)} samples/s; store read alone {np.median(t_read):.2f} ms/sample')
    print(f'per CPU-second of this process (insensitive to other load): {np.median(cpu_rates):.1f} samples/s')
    print(f'samples/s={np.median(rates):.1f}')

if __name__ == '__main__': main()
