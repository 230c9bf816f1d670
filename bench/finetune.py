"""Fine-tuning across skeletons: with 128 labelled images of a new skeleton, a network started from the quickstart's COCO
model against one started from nothing, same data, same schedule, same training time.

    make quickstart                            # once: the COCO model, _quickstart/weights.safetensors (about 15 minutes)
    python bench/finetune.py                   # 2 layouts × 2 runs × 3 minutes of training, plus evaluations: about 15 minutes
    python bench/finetune.py --minutes 5 --layouts body13
    python bench/finetune.py --quick           # a tiny version (seconds): the mechanics only, no goal

Each layout (`crowdpose`: CrowdPose's 14 keypoints; `body13`: 13 joints, a layout no built-in knows) gets a synthetic
training set of `--n-train` images and a held-out set (`simplepose.quickstart.synth_sets`), and two quickstart-sized runs
(`simplepose.quickstart.QUICKSTART`: the compact IMHN, AdamW one-cycle over the time budget, one thread): (a) from
scratch, (b) from `--init` (`pose_learner(..., init=W)`: what does not depend on the skeleton, and the channels of
keypoints and limbs whose names match, carried over). Every `--every` seconds of training (the clock stops while it
evaluates) the network is scored with pycocotools on the held-out set; each evaluation prints a line
`curve: skeleton=<name> run=<scratch|finetuned> minute=<m> steps=<n> AP=<v>`, and each layout ends with
`finetune: skeleton=<name> scratch_AP=<v> finetuned_AP=<v> minutes=<m>`: the APs at the first evaluation where the
fine-tuned run reached 0.5 (`m`; the end of the budget if it never did), after an `end:` line with the APs at the end of
the budget. Goal per layout (issue 22): fine-tuned AP ≥ 0.5 within 3 minutes of training (m ≤ 3), and ≥ 1.5 × the
scratch AP at that same minute. Both runs follow a one-cycle schedule over the whole budget, so on these easy synthetic
people the scratch run catches up by the end; what fine-tuning buys is the minutes it takes to get a useful model.
Exit code 0, or 1 naming the goals missed (full runs only). Training time depends on the machine's load, the steps
each run did are printed with its curve."""
import argparse, sys, tempfile, time
from pathlib import Path
import torch
from fastai.callback.core import Callback
from simplepose.contract import BadInput, one_line_errors
from simplepose.data import CocoSource
from simplepose.learner import pose_dls, pose_learner
from simplepose.model import IMHN, save_safetensors
from simplepose.quickstart import QUICKSTART, OneCycleBudget, synth_sets, evaluate_synth

LAYOUTS = ('crowdpose', 'body13')
QUICKSTART_WEIGHTS = Path(__file__).parent.parent/'_quickstart'/'weights.safetensors'

class Curve(Callback):
    "Every `every` seconds of training (the budget's clock, which stops while it evaluates), the held-out AP"
    order = 59 # before `OneCycleBudget` ends the fit
    def __init__(self, net, budget:OneCycleBudget, val_ann, cfg, every:float, say):
        self.net, self.budget, self.val_ann, self.cfg, self.every, self.say = net, budget, val_ann, cfg, every, say
        self.points, self.next = [], every
    def training_seconds(self) -> float: return time.perf_counter() - self.budget.t0
    def evaluate(self):
        t, threads = time.perf_counter(), torch.get_num_threads()
        stats, _ = evaluate_synth(self.net, self.val_ann, self.cfg, verbose=False)
        self.net.train(); torch.set_num_threads(threads)
        self.points.append((self.training_seconds() - (time.perf_counter() - t), self.budget.n, stats['AP']))
        self.budget.t0 += time.perf_counter() - t # evaluation time is not training time
        self.say(*self.points[-1])
    def after_batch(self):
        if self.training_seconds() >= self.next: self.evaluate(); self.next += self.every

def run(train_ann, val_ann, cfg, seconds:float, steps:int, every:float, seed:int, init=None, say=print) -> list:
    "[(training seconds, steps, AP), ...] of one run: every `every` seconds and at the end of `seconds` (or `steps`)"
    src = CocoSource(train_ann, Path(train_ann).parent.parent/'images', cfg=cfg.replace(min_area=0))
    dls = pose_dls(src, cfg=cfg, seed=seed, device='cpu')
    torch.manual_seed(seed)
    learn = pose_learner(dls, init=init, precision='fp32')
    learn.model.to(memory_format=torch.channels_last)
    budget = OneCycleBudget(cfg.lr, steps, seconds)
    curve = Curve(learn.model, budget, val_ann, cfg, every, say)
    with learn.no_bar(), learn.no_logging(): learn.fit(10**6, cbs=[budget, curve])
    if not curve.points or curve.points[-1][1] != budget.n: curve.evaluate() # the end, unless just evaluated
    return curve.points

def layout_runs(layout:str, out:Path, cfg, init, minutes:float, steps:int, every:float, seed:int) -> dict:
    "{'scratch': points, 'finetuned': points} of one layout"
    train_ann, val_ann = synth_sets(out/layout, cfg, seed, layout=layout)
    res = {}
    for name, w in (('scratch', None), ('finetuned', init)):
        say = lambda s, n, ap: print(f'curve: skeleton={layout} run={name} minute={s / 60:.2f} steps={n} AP={ap:.3f}', flush=True)
        res[name] = run(train_ann, val_ann, cfg, minutes * 60, steps, every, seed, w, say)
    return res

def at_minute(points:list, minute:float) -> float:
    "The AP of the last evaluation within `minute` minutes of training (0 before the first)"
    return next((ap for s, _, ap in reversed(points) if s <= minute * 60 + 1.), 0.)

def tiny_source(out:Path, cfg) -> Path:
    "A tiny COCO network's weights (for --quick): the mechanics of carrying over, not a trained model"
    torch.manual_seed(0)
    return save_safetensors(IMHN(cfg.nstack, cfg.inp_dim, cfg.increase), out/'coco_tiny.safetensors')

@one_line_errors
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--minutes', type=float, default=3., help='training time per run')
    p.add_argument('--every', type=float, default=30., help='seconds of training between evaluations')
    p.add_argument('--n-train', type=int, default=128, help='labelled training images per layout')
    p.add_argument('--n-val', type=int, default=100, help='held-out images per layout')
    p.add_argument('--init', default=str(QUICKSTART_WEIGHTS), help='weights to fine-tune from (default: the quickstart model)')
    p.add_argument('--layouts', nargs='+', default=list(LAYOUTS), choices=list(LAYOUTS))
    p.add_argument('--out', default=None, help='folder for the synthetic sets (default: a temporary one)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--quick', action='store_true', help='tiny sets and network, a few steps: the mechanics in seconds')
    a = p.parse_args(argv)
    out = Path(a.out or tempfile.mkdtemp(prefix='finetune_'))
    torch.set_num_threads(1)
    if a.quick:
        cfg = QUICKSTART.replace(synth_train_images=8, synth_val_images=4, batch_size=4, input_size=64, synth_size=64, inp_dim=16, increase=8, workers=0)
        init, steps, every = tiny_source(out, cfg), 3, 1e9
    else:
        cfg, init, steps, every = QUICKSTART.replace(synth_train_images=a.n_train, synth_val_images=a.n_val), Path(a.init), None, a.every
        if not init.exists(): raise BadInput(f'{init}: no such file; make it with `make quickstart` (about 15 minutes), or give --init')
    missed = []
    for layout in a.layouts:
        t = time.perf_counter()
        res = layout_runs(layout, out, cfg, init, a.minutes, steps, every, a.seed)
        print(f'wall: skeleton={layout} {(time.perf_counter() - t) / 60:.1f} minutes (rendering, both runs, evaluations)')
        print(f"end: skeleton={layout} scratch_AP={res['scratch'][-1][2]:.3f} finetuned_AP={res['finetuned'][-1][2]:.3f} "
              f"minutes={res['finetuned'][-1][0] / 60:.2f}")
        m = next((s / 60 for s, _, ap in res['finetuned'] if ap >= 0.5), res['finetuned'][-1][0] / 60) # the minute it became useful
        s_m, f_m = at_minute(res['scratch'], m), at_minute(res['finetuned'], m)
        print(f'finetune: skeleton={layout} scratch_AP={s_m:.3f} finetuned_AP={f_m:.3f} minutes={m:.2f}', flush=True)
        if not a.quick and (f_m < 0.5 or m > 3): missed.append(f'{layout}: fine-tuned AP reached 0.5 {"at minute %.2f" % m if f_m >= 0.5 else "never"}')
        if not a.quick and f_m < 1.5 * s_m: missed.append(f'{layout}: fine-tuned AP {f_m:.3f} < 1.5 × scratch AP {s_m:.3f} at minute {m:.2f}')
    if missed: print('MISSED: ' + '; '.join(missed)); sys.exit(1)

if __name__ == '__main__': main()
