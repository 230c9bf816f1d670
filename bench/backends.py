"""Inference backends on this machine (`simplepose.backends`): speed of the published network and accuracy of every route.

    python bench/backends.py                 # full IMHN (random weights) at 512², 3 interleaved rounds; AP on the quickstart model
    python bench/backends.py --skip-speed    # only the accuracy part (needs `make quickstart`'s _quickstart/weights.safetensors)
    python bench/backends.py --quick         # tiny network at 128², one round, a tiny synthetic AP check (make test, seconds)
    python bench/backends.py --skip-speed --calib-curve 4,16,64,300   # int8 AP drop against the number of calibration images

Speed, in one process with the rounds interleaved across backends (so a change of machine load hits all alike):
- `forward <name>`: median seconds per forward pass of one 1×3×512×512 input through `simplepose.model.IMHN()` (the
  published configuration, random weights), the input already a tensor; `eager` is torch float32 in NCHW memory format,
  the reference of the speedup.
- `e2e <name>`: images per second of `PoseEstimator` on the COCO photographs in testdata/mmpose/coco (single scale, flip,
  preprocessing, peaks, grouping and results included; random weights find nobody, so grouping is nearly free here).

Accuracy, with the quickstart's trained compact IMHN (`--weights`, default _quickstart/weights.safetensors):
- `ap <name>`: COCO AP on the quickstart's held-out synthetic images (_quickstart/synth/val, as `evaluate_synth` scores
  them in float32) and its drop from torch float32;
- `agreement`: AP of the route's people on the real photographs of testdata/mmpose scored against torch float32's people
  as ground truth (1.0: the same people at the same places).
A reduced-precision route that `auto` picks must lose at most `simplepose.backends.AP_DROP_BOUND` AP; the bench checks
the measured drops against the recorded `AP_DROPS` and exits with 1, naming the route, when `auto` picks a route that
fails the bound.

The last line reads exactly `backends: eager_s=<s> best=<name> best_s=<s> speedup=<x> ap_drop=<d>`, where best is the
route `auto` picks on this machine for weights from a file, speedup is eager_s / best_s and ap_drop that route's AP drop
(nan when not measured), followed by the int8 route's figures: `int8_s=<s> int8_speedup=<x> int8_ap_drop=<d>` (its
seconds per forward pass, eager_s / int8_s, and its AP drop; the int8 graph of the random-weight network is calibrated
on `--calib-speed` synthetic scenes at 512², the quickstart's on `--calib` synthetic scenes at its input size).
`nobf16 …` says what a CPU without native bf16 gets: openvino float32 and int8 (whose unquantized layers are float32 on
every CPU) against eager."""
import argparse, math, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
from simplepose.contract import Tally, BadInput
from simplepose.backends import (BACKENDS, AP_DROPS, AP_DROP_BOUND, INT8_DROP_BOUND, TorchBackend, OpenVinoBackend, can_run,
                                 cpu_bf16, cpu_flags, installed, resolve_backend, int8_graph_for, calibration_images)
from simplepose.config import CFG
from simplepose.model import load_checkpoint
from simplepose.model import IMHN, save_safetensors
from simplepose.image import read_image
from simplepose.estimator import PoseEstimator
from simplepose.codec import keypoint_box
from simplepose.eval import evaluate_model, evaluate_coco

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT/'testdata'/'mmpose'

def routes(device='cpu') -> list:
    "The backends that can run here, fastest-known first (`torch-fp16` left out on the CPU: no hardware fp16 there)"
    return [n for n in BACKENDS if installed(BACKENDS[n].package) and not can_run(n, device) and not (n == 'torch-fp16' and device == 'cpu')]

def real_images(limit:int=None) -> list:
    "Paths of the real photographs in testdata/mmpose (COCO, OCHuman, CrowdPose, PoseTrack18)"
    paths = sorted(p for p in REAL.rglob('*.jpg'))
    return paths[:limit]

def fmt(s:float) -> str: return f'{s:.3f}' if s == s else 'nan'

INT8 = 'openvino-int8'

def int8_graph(net, weights, n:int, size:int, seed_note:str=''):
    "The int8 graph of `net` calibrated on `n` synthetic scenes at `size` (cached), and a line saying how long it took"
    t = time.perf_counter()
    g, secs = int8_graph_for(net, weights, calibration_images(n=n, size=size), cfg=CFG.replace(input_size=size))
    print(f'int8 graph: {g.name} calibrated on {n} synthetic scenes at {size}²{seed_note}: '
          f'{"quantized in %.0fs" % secs if secs else "from the cache"}', flush=True)
    return g

def speed(names:list, quick:bool, rounds:int, e2e_images:int, calib:int) -> dict:
    "{name: (median s/forward, e2e img/s)} of the random-weight network; 'eager' is torch NCHW float32"
    torch.manual_seed(0)
    net, size = (IMHN.tiny(init=False, nstack=1), 128) if quick else (IMHN(), 512)
    net.eval()
    g8 = int8_graph(net, None, calib, size) if INT8 in names else None
    t0 = time.perf_counter()
    ests = {}
    for n in names:
        ests[n] = PoseEstimator(model=net, device='cpu', backend='torch' if n == 'eager' else n, scales=(1.0,), flip=True,
                                input_size=size, predict_batch_size=1)
        if n == 'eager': ests[n].backend = TorchBackend(net, channels_last=False, name='eager')
        if n == INT8: ests[n].backend = OpenVinoBackend(g8, 'int8')
    exported = [f'{n}\'s graph in {e.backend.exported:.0f}s' for n, e in ests.items() if getattr(e.backend, 'exported', None)]
    print(f'setup: {len(names)} backends in {time.perf_counter() - t0:.0f}s'
          f'{"; exported " + ", ".join(exported) if exported else "; graph from the cache"}', flush=True)
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    imgs = [read_image(p) for p in sorted((REAL/'coco').glob('*.jpg'))[:e2e_images]]
    fw, e2e = {n: [] for n in names}, {n: [] for n in names}
    for n in names:  # first calls: the engines plan each new input size once
        t = time.perf_counter(); ests[n].backend(x); first = time.perf_counter() - t
        for im in imgs: ests[n](im)
        print(f'warm-up {n}: first forward {first:.2f}s', flush=True)
    for r in range(rounds):
        for n in names:
            t = time.perf_counter(); ests[n].backend(x); fw[n].append(time.perf_counter() - t)
            t = time.perf_counter()
            for im in imgs: ests[n](im)
            e2e[n].append((time.perf_counter() - t) / max(len(imgs), 1))
        print(f'round {r + 1}/{rounds}: ' + ' '.join(f'{n}={fw[n][-1]:.3f}s' for n in names), flush=True)
    res = {n: (statistics.median(fw[n]), 1 / statistics.median(e2e[n]) if imgs else math.nan) for n in names}
    for n, (s, ips) in res.items():
        print(f'forward {n}: median={s:.3f}s over {rounds} rounds ({res["eager"][0] / s:.2f}× eager) '
              f'{"IMHN.tiny 128²" if quick else "IMHN 512²"}; e2e {n}: {ips:.3f} img/s on {len(imgs)} COCO photographs', flush=True)
    if 'openvino' in res and INT8 in res:
        e = res['eager'][0]
        print(f'nobf16 (a CPU without native bf16: openvino f32 and int8 with f32 layers): openvino={e / res["openvino"][0]:.2f}× '
              f'int8={e / res[INT8][0]:.2f}× eager; int8 is {res["openvino"][0] / res[INT8][0]:.2f}× openvino f32', flush=True)
    return res

def people_gt(people_per_image:list, imgs:list, skeleton) -> dict:
    "A COCO keypoint ground truth whose people are the given `Person`s (found keypoints labelled visible) in images `imgs`"
    images, anns = [], []
    for i, (people, img) in enumerate(zip(people_per_image, imgs), 1):
        images.append(dict(id=i, file_name=f'{i:012d}.jpg', height=img.shape[0], width=img.shape[1]))
        for p in people:
            k = p.keypoints.astype(np.float64).copy()
            found = k[:, 2] > 0
            if found.sum() < 2: continue
            k[:, 2] = np.where(found, 2, 0)
            x, y, w, h = keypoint_box(p.keypoints)
            anns.append(dict(id=len(anns) + 1, image_id=i, category_id=1, iscrowd=0, area=float(max(w, 1) * max(h, 1)),
                             bbox=[x, y, max(w, 1), max(h, 1)], num_keypoints=int(found.sum()), keypoints=k.reshape(-1).tolist()))
    return dict(images=images, annotations=anns, categories=[skeleton.category()])

def accuracy(names:list, weights:Path, val_ann:Path, size:int, limit:int=None, real_limit:int=None, graphs:dict=None) -> dict:
    "{name: (AP on the held-out synthetic images, agreement AP with torch float32 on the real photographs)}; `graphs`: int8 label → graph"
    paths, graphs = real_images(real_limit), graphs or {}
    imgs = [read_image(p) for p in paths]
    out, ref_people, gt = {}, None, None
    for n in [*names, *graphs]:
        est = PoseEstimator(weights, device='cpu', backend=n if n in BACKENDS else 'openvino', scales=(1.0,), flip=True,
                            input_size=size, predict_batch_size=1)
        if n in graphs: est.backend = OpenVinoBackend(graphs[n], 'int8')
        recs, ids, _ = evaluate_model(est, val_ann, val_ann.parent.parent/'images', limit=limit, progress=False, tally=Tally(quiet=True))
        ap = evaluate_coco(val_ann, recs, ids, verbose=False)['AP']
        people = est(imgs)
        if ref_people is None: ref_people, gt = people, people_gt(people, imgs, est.skeleton)
        if gt['annotations']:
            res = [p.to_coco(i) for i, ps in enumerate(people, 1) for p in ps]
            agree = evaluate_coco(gt, res, verbose=False)['AP']
        else: agree = math.nan
        out[n] = (ap, agree)
        print(f'ap {n}: AP={ap:.4f} drop={out[names[0]][0] - ap:+.4f} agreement={fmt(agree)} '
              f'({len(gt["annotations"])} fp32 people on {len(paths)} real photographs)', flush=True)
    return out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='tiny network at 128², one round, a tiny synthetic AP check')
    p.add_argument('--rounds', type=int, default=3, help='interleaved timing rounds')
    p.add_argument('--e2e-images', type=int, default=2, help='COCO photographs per end-to-end round')
    p.add_argument('--weights', default=str(ROOT/'_quickstart'/'weights.safetensors'), help="the quickstart's trained model")
    p.add_argument('--val', default=None, help='held-out COCO keypoint JSON (default: beside --weights, synth/val)')
    p.add_argument('--size', type=int, default=128, help="input height for the accuracy part (the quickstart's)")
    p.add_argument('--threads', type=int, default=0, help='torch (and engine) threads; 0: torch default')
    p.add_argument('--skip-speed', action='store_true')
    p.add_argument('--skip-ap', action='store_true')
    p.add_argument('--calib', type=int, default=64, help="synthetic calibration scenes of the quickstart model's int8 graph")
    p.add_argument('--calib-speed', type=int, default=8, help="synthetic calibration scenes of the random network's int8 graph (speed only)")
    p.add_argument('--calib-curve', default='', help='comma-separated calibration counts: AP drop of int8 graphs calibrated on each')
    a = p.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    vers = {e: __import__(e).__version__.split('-')[0] for e in ('onnxruntime', 'openvino') if installed(e)}
    print(f'torch {torch.__version__}, ' + ', '.join(f'{k} {v}' for k, v in vers.items()) +
          f'; {torch.get_num_threads()} threads; native bf16: {"yes" if cpu_bf16() else "no"}; '
          f'int8 instructions: {" ".join(sorted(f for f in cpu_flags() if "vnni" in f or f.startswith("amx"))) or "no VNNI/AMX"}', flush=True)
    names = routes()
    best = resolve_backend('auto', device='cpu', from_file=True)
    eager_s = best_s = ap_drop = int8_s = int8_drop = math.nan
    if not a.skip_speed:
        res = speed(['eager', *names], a.quick, 1 if a.quick else a.rounds, 2 if a.quick else a.e2e_images, 4 if a.quick else a.calib_speed)
        eager_s, best_s = res['eager'][0], res[best][0]
        int8_s = res[INT8][0] if INT8 in res else math.nan
    failed = []
    if not a.skip_ap:
        weights, val = Path(a.weights), a.val
        if a.quick and not any(x.startswith('--weights') for x in (argv if argv is not None else sys.argv[1:])):
            from simplepose.synth import make_synth_coco
            tmp = Path(tempfile.mkdtemp(prefix='backends_'))
            torch.manual_seed(0)
            weights = save_safetensors(IMHN.tiny(nstack=1), tmp/'tiny.safetensors')
            val = make_synth_coco(tmp/'synth'/'val', 4, seed=0, split='val', size=128)
        val = Path(val) if val else weights.parent/'synth'/'val'/'annotations'/'person_keypoints_val.json'
        if not weights.exists() or not val.exists():
            print(f'ap: {weights if not weights.exists() else val} is missing: run `make quickstart` first; ap_drop=nan', flush=True)
        else:
            graphs = {}
            if INT8 in names:
                model = load_checkpoint(weights)
                counts = [int(c) for c in a.calib_curve.split(',') if c] if a.calib_curve else []
                for c in sorted({4 if a.quick else a.calib, *counts}):
                    graphs[INT8 if c == (4 if a.quick else a.calib) else f'{INT8} calib={c}'] = int8_graph(model, weights, c, a.size)
            acc = accuracy(['torch', *[n for n in names if n not in ('torch', INT8)]], weights, val, a.size, 8 if a.quick else None,
                           3 if a.quick else None, graphs)
            ref = acc['torch'][0]
            ap_drop = ref - acc[best][0] if best in acc else math.nan
            int8_drop = ref - acc[INT8][0] if INT8 in acc else math.nan
            for n, (ap, _) in acc.items():
                if n not in BACKENDS or BACKENDS[n].precision in ('fp32', 'int8') or a.quick: continue
                drop, recorded = ref - ap, AP_DROPS.get(n)
                picked = recorded is not None and recorded <= AP_DROP_BOUND
                state = 'ok' if drop <= AP_DROP_BOUND else ('FAILS the bound' if picked else 'above the bound (not picked by auto)')
                print(f'check {n}: AP drop {drop:+.4f} (recorded {recorded}, bound {AP_DROP_BOUND}): {state}', flush=True)
                if picked and drop > AP_DROP_BOUND: failed.append(n)
    print(f'backends: eager_s={fmt(eager_s)} best={best} best_s={fmt(best_s)} '
          f'speedup={eager_s / best_s if best_s == best_s and best_s > 0 else math.nan:.2f} ap_drop={ap_drop:.4f} '
          f'int8_s={fmt(int8_s)} int8_speedup={eager_s / int8_s if int8_s == int8_s and int8_s > 0 else math.nan:.2f} '
          f'int8_ap_drop={int8_drop:.4f}', flush=True)
    if failed: sys.exit(1)

if __name__ == '__main__': main()
