"""End-to-end prediction speed of `PoseEstimator` on one synthetic image: read-free, network (with flip) + fusion + peaks + grouping.

    python bench/predict.py                          # tiny network, 512×512, CPU, 1 thread
    python bench/predict.py --model full --runs 3    # the published network's size (random weights), ~10–60 s per image on CPU
    python bench/predict.py --weights PoseNet_52_epoch.pth --device cuda --runs 20

Random weights find nobody, so the grouping time is that of an empty image; with trained weights it adds a few ms.
Prints one line per setting and `img_s=<median>` last (images per second, from the median latency)."""
import argparse, statistics, time
import numpy as np, torch
from simplepose.model import IMHN
from simplepose.estimator import PoseEstimator
from simplepose.synth import render_scene

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', choices=['tiny', 'full'], default='tiny', help='random-weight network size (ignored with --weights)')
    ap.add_argument('--weights', help='a checkpoint to load instead')
    ap.add_argument('--size', type=int, default=512, help='image height and width (also the base input height)')
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads (0: torch default)')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--no-flip', action='store_true')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    kw = dict(device=a.device, flip=not a.no_flip, input_size=a.size)
    if a.weights: est = PoseEstimator(a.weights, **kw)
    else: est = PoseEstimator(model=(IMHN.tiny() if a.model == 'tiny' else IMHN()).eval(), **kw)
    img, _ = render_scene(np.random.default_rng(0), size=a.size)
    sync = (lambda: torch.cuda.synchronize()) if est.device.type == 'cuda' else (lambda: None)
    est(img); sync()  # warm-up
    ts = []
    for _ in range(a.runs):
        t0 = time.perf_counter(); est(img); sync(); ts.append(time.perf_counter() - t0)
    med = statistics.median(ts)
    name = a.weights or a.model
    print(f'{name} {a.size}x{a.size} flip={not a.no_flip} {est.device} {est.precision} threads={torch.get_num_threads()}: '
          f'median {med * 1000:.1f} ms over {a.runs} runs (min {min(ts) * 1000:.1f} ms)')
    print(f'img_s={1 / med:.3f}')

if __name__ == '__main__': main()
