"""Training on skeletons other than COCO's, with no configuration: quickstart-sized runs on synthetic people annotated in
CrowdPose's layout (14 keypoints) and in `body13` (13 joints, a layout no built-in knows), each scored with pycocotools
on held-out synthetic images of its own layout. Goal: AP ≥ 0.5 within 10 minutes per skeleton on 2 CPU cores.

    python bench/skeletons.py                  # about 10 minutes per skeleton; run it on a quiet machine
    python bench/skeletons.py --minutes 5      # a shorter budget per skeleton
    python bench/skeletons.py --quick          # a tiny version (under a minute): the mechanics only, no AP goal

Each skeleton goes through the quickstart's own stages (`simplepose.quickstart`: `synth_sets` with the layout,
`train_compact`, `evaluate_synth`); nothing names the skeleton but the synthetic layout: the network, targets, loss,
decoding and scoring all read it from the annotation file. One line per skeleton:
`skeleton=<name> AP=<v> minutes=<m>` (minutes: that skeleton's wall time, rendering, training and evaluation).
Exit code 0, or 1 naming the goal missed (runs of 10 minutes or more only)."""
import argparse, sys, tempfile, time
from pathlib import Path
from simplepose.quickstart import QUICKSTART, synth_sets, train_compact, evaluate_synth

LAYOUTS = ('crowdpose', 'body13')

def run(layout:str, out:Path, cfg, minutes:float, steps:int=None, seed:int=0, threads:int=0, reserve:float=30.) -> tuple:
    "(AP, wall minutes) of one layout: render, train for what is left of `minutes` less `reserve` seconds, evaluate"
    t0 = time.perf_counter()
    train_ann, val_ann = synth_sets(out/layout, cfg, seed, layout=layout)
    seconds = max(60 * minutes - (time.perf_counter() - t0) - reserve, 1.)
    learn = train_compact(train_ann, cfg, steps, seconds, seed, threads=threads)
    stats, _ = evaluate_synth(learn.model, val_ann, cfg, verbose=False)
    return stats['AP'], (time.perf_counter() - t0) / 60

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--minutes', type=float, default=10., help='wall budget per skeleton')
    p.add_argument('--quick', action='store_true', help='tiny sets and network, a few steps: checks the mechanics in under a minute')
    p.add_argument('--layouts', nargs='+', default=list(LAYOUTS), choices=list(LAYOUTS))
    p.add_argument('--out', default=None, help='folder for the synthetic sets (default: a temporary one)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=0, help='torch threads for training; 0: chosen as it goes')
    a = p.parse_args(argv)
    out = Path(a.out or tempfile.mkdtemp(prefix='skeletons_'))
    if a.quick: cfg, steps, threads = QUICKSTART.replace(synth_train_images=16, synth_val_images=4, batch_size=4, inp_dim=16, increase=8), 4, 1
    else: cfg, steps, threads = QUICKSTART, None, a.threads
    missed = []
    for layout in a.layouts:
        ap, minutes = run(layout, out, cfg, a.minutes, steps, a.seed, threads)
        print(f'skeleton={layout} AP={ap:.3f} minutes={minutes:.1f}', flush=True)
        if not a.quick and a.minutes >= 10 and (ap < 0.5 or minutes > 10): missed.append(f'{layout}: AP {ap:.3f}, {minutes:.1f} min (goal AP ≥ 0.5 within 10)')
    if missed: print('MISSED: ' + '; '.join(missed))
    return 1 if missed else 0

if __name__ == '__main__': sys.exit(main())
