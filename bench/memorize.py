"""Real photos, learned: a compact IMHN trained on the 80 coco-mini train2017 images (all their people; crowd regions and
unannotated people masked out of the loss, as in full training) and scored with pycocotools on those same images.
A capacity-and-correctness check in the spirit of "overfit one batch": memorising fails when targets, masks, flips or
grouping are wrong. Goal: AP ≥ 0.7 within 25 minutes on 2 CPU cores.

    python bench/memorize.py                       # coco-mini ($SIMPLEPOSE_DATA, see `core.shared_data`), 25 minutes
    python bench/memorize.py --minutes 1           # a smoke run
    python bench/memorize.py --ann testdata/mmpose/crowdpose/test_crowdpose.json --images testdata/mmpose/crowdpose --minutes 5

Training is the quickstart's (`simplepose.quickstart.train_compact`: AdamW one-cycle over the time budget, the
learner's loader, augmentation, targets and loss) at `--size` px; the skeleton is the file's (COCO for coco-mini,
CrowdPose's for the CrowdPose sample). Evaluation (`evaluate_synth`: one scale at the training size plus the mirror)
runs at the training minutes listed by `--at` and at the end; its time is not counted in the budget. Because the
learning rate follows one cycle over the whole budget, earlier points are taken at a higher rate than a shorter run
would end with. Prints one line per point, `minutes=<m> steps=<n> AP=<v> AP50=<v> loss=<v>`, and ends with
`memorize: AP=<v> minutes=<m>` (training minutes). Exit code 0, or 1 when the full run misses the goal."""
import argparse, sys, time
from pathlib import Path
import numpy as np, torch
from simplepose.core import shared_data
from simplepose.quickstart import QUICKSTART, train_compact, evaluate_synth
from fastai.callback.core import Callback # after simplepose's learner, which silences fastai's import-time warning

MEMORIZE = QUICKSTART.replace(input_size=256, sigma=4.5, limb_sigma=3.5, nstack=1, inp_dim=48, increase=24, batch_size=8)

class EvalAt(Callback):
    "At the given training minutes, score the model with `evaluate(model)` → stats; the time it takes is left out of the budget"
    order, run_valid = 62, False
    def __init__(self, minutes:list, evaluate, threads:int=0):
        self.minutes, self.evaluate, self.threads, self.curve = sorted(minutes), evaluate, threads, []

    def point(self):
        "Score the model now and log one line"
        hist = self.learn.budget.history
        trained = hist[-1]['seconds'] if hist else 0.
        t, threads = time.perf_counter(), torch.get_num_threads()
        stats = self.evaluate(self.learn.model)
        self.learn.model.train()
        torch.set_num_threads(self.threads or threads)
        loss = float(np.mean([h['loss'] for h in hist[-20:]]))
        self.curve.append(dict(minutes=trained / 60, AP=stats['AP'], AP50=stats['AP50'], loss=loss))
        print(f'minutes={trained / 60:.1f} steps={len(hist)} AP={stats["AP"]:.3f} AP50={stats["AP50"]:.3f} loss={loss:.3g}', flush=True)
        self.learn.budget.t0 += time.perf_counter() - t   # evaluation time is not training time

    def after_batch(self):
        if self.minutes and time.perf_counter() - self.learn.budget.t0 >= 60 * self.minutes[0]:
            self.minutes.pop(0)
            self.point()

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--ann', default=None, help='COCO keypoint JSON (default: coco-mini train2017)')
    p.add_argument('--images', default=None, help="its image folder (default: coco-mini's train2017)")
    p.add_argument('--minutes', type=float, default=25., help='training budget')
    p.add_argument('--at', type=float, nargs='*', default=[1, 2, 5, 10, 15, 20], help='training minutes of the intermediate points')
    p.add_argument('--size', type=int, default=MEMORIZE.input_size, help='input side for training and evaluation, a multiple of 64')
    p.add_argument('--inp-dim', type=int, default=MEMORIZE.inp_dim, help='network width')
    p.add_argument('--bs', type=int, default=MEMORIZE.batch_size, help='batch size')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=0, help='torch threads for training; 0: chosen as it goes')
    a = p.parse_args(argv)
    if a.ann is None:
        root = shared_data('coco-mini')
        if root is None: sys.exit('memorize: coco-mini not found: set SIMPLEPOSE_DATA to the folder holding coco-mini, or give --ann and --images')
        a.ann, a.images = root/'annotations'/'person_keypoints_train2017.json', a.images or root/'train2017'
    ann, images = Path(a.ann), Path(a.images) if a.images else Path(a.ann).parent.parent/'images'
    cfg = MEMORIZE.replace(input_size=a.size, inp_dim=a.inp_dim, increase=a.inp_dim // 2, batch_size=a.bs)
    evaluate = lambda model: evaluate_synth(model, ann, cfg.input_size, verbose=False, images=images)[0]
    curve = EvalAt([m for m in a.at if m < a.minutes], evaluate, a.threads)
    print(f'{ann}: training IMHN(nstack={cfg.nstack}, inp_dim={cfg.inp_dim}, increase={cfg.increase}) at {cfg.input_size} px, '
          f'batches of {cfg.batch_size}, for {a.minutes:g} minutes', flush=True)
    learn = train_compact(ann, cfg, seconds=60 * a.minutes, seed=a.seed, threads=a.threads, images=images, cbs=[curve])
    curve.learn = learn
    curve.point()
    last = curve.curve[-1]
    print(f'memorize: AP={last["AP"]:.3f} minutes={last["minutes"]:.1f}')
    return 1 if a.minutes >= 25 and (last['AP'] < 0.7 or last['minutes'] > 25) else 0

if __name__ == '__main__': sys.exit(main())
