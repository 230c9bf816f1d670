"""Sharing the cores: quickstart training and inference alone and beside one busy process, under the project's thread policy.

    python bench/contention.py                          # the policy as the commands apply it (about 1.5 minutes)
    python bench/contention.py --quick                  # a smoke run (make test)
    OMP_WAIT_POLICY=PASSIVE python bench/contention.py  # waiting threads sleep, for comparison
    OMP_NUM_THREADS=1 python bench/contention.py        # one thread

The policy (`simplepose.contract.set_thread_policy`, applied at the start of every command): torch uses `cpu_budget()`
threads (the affinity mask, capped by a cgroup CPU quota) unless `OMP_NUM_THREADS` says otherwise; OpenMP's waiting is
left as the environment sets it (`OMP_WAIT_POLICY=PASSIVE` makes waiting threads sleep: slower alone, steadier on an
oversubscribed machine; measured in simplepose.contract, "Threads on a shared machine"). The competitor is one CPU-bound process (a Python busy loop), started
and stopped by this script; phases alternate alone / beside it, `--rounds` times.

Training: steps of the quickstart's network (`IMHN(nstack=1, inp_dim=32, increase=16)`, 128 px, batches of 16, AdamW,
samples made in the training process: `simplepose.quickstart.train_compact`) on rendered synthetic people, at the
policy's fixed thread count; the first `--skip` steps of each phase are left out. Inference: one 128-px synthetic image,
one scale plus the mirror, peaks and grouping included (`PoseEstimator`), with the network the training phases left.
Prints one line per case and phase, then the medians, and ends with
`contention: train_slowdown=<x> infer_slowdown=<x>` (median beside the competitor / median alone). Goal: ≤ 2.5."""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
from simplepose.contract import cgroup_cpus, cpu_budget, set_thread_policy
from simplepose.quickstart import QUICKSTART, train_compact
from simplepose.synth import make_synth_coco, render_scene
from simplepose.estimator import PoseEstimator

class Competitor:
    "`n` CPU-bound processes (Python busy loops) while the block runs; none for `n=0`"
    def __init__(self, n:int=1): self.n = n
    def __enter__(self):
        loop = f'import os\nwhile os.getppid() == {os.getpid()}:\n    for _ in range(10**6): pass'  # ends when this script does
        self.procs = [subprocess.Popen([sys.executable, '-c', loop]) for _ in range(self.n)]
        if self.procs: time.sleep(0.3)  # let them start running
        return self
    def __exit__(self, *exc):
        for p in self.procs: p.kill()
        for p in self.procs: p.wait()

def train_phase(ann:Path, steps:int, skip:int, threads:int) -> list:
    "Seconds of each training step after the first `skip`, and the learner"
    learn = train_compact(ann, QUICKSTART, steps=steps + skip, threads=threads)
    t = np.diff([0.] + [h['seconds'] for h in learn.budget.history])
    return list(t[skip:]), learn

def infer_phase(est:PoseEstimator, img:np.ndarray, n:int) -> list:
    "Seconds per image (network with the mirror, peaks and grouping) of `n` runs after one warm-up"
    est(img)
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); est(img); ts.append(time.perf_counter() - t0)
    return ts

def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed benchmark stops its competitor too
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=3, help='alone / beside-the-competitor phase pairs per case')
    ap.add_argument('--steps', type=int, default=12, help='timed training steps per phase')
    ap.add_argument('--skip', type=int, default=3, help='training steps left out at the start of each phase')
    ap.add_argument('--images', type=int, default=30, help='timed inferences per phase')
    ap.add_argument('--competitors', type=int, default=1, help='busy processes beside the measured one')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: the policy, `set_thread_policy`)')
    ap.add_argument('--quick', action='store_true', help='a smoke run: 1 round, 2 steps, 3 images')
    a = ap.parse_args()
    if a.quick: a.rounds, a.steps, a.skip, a.images = 1, 2, 1, 3
    threads = set_thread_policy(a.threads)
    quota = cgroup_cpus()
    print(f"policy: threads={threads} cpu_budget={cpu_budget()} (affinity {len(os.sched_getaffinity(0))}, cgroup quota "
          f"{'none' if quota is None else f'{quota:g}'}) OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')} "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')} load1={os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ann = make_synth_coco(Path(tmp)/'train', max(QUICKSTART.batch_size * (a.steps + a.skip), 64), QUICKSTART, 0, 'train')
        img, _ = render_scene(np.random.default_rng(1), QUICKSTART, QUICKSTART.input_size)
        times, est = {}, None
        for r in range(a.rounds):
            for n in (0, a.competitors):
                with Competitor(n):
                    ts, learn = train_phase(ann, a.steps, a.skip, threads)
                    torch.set_num_threads(threads)
                    if est is None: est = PoseEstimator(model=learn.model.eval(), device='cpu', scales=(1.,), flip=True, input_size=QUICKSTART.input_size)
                    else: est.model.load_state_dict(learn.model.state_dict())
                    ti = infer_phase(est, img, a.images)
                where = f'beside {n} busy process{"es" * (n > 1)}' if n else 'alone'
                times.setdefault(('train', n), []).extend(ts); times.setdefault(('infer', n), []).extend(ti)
                print(f'round {r} {where}: train {statistics.median(ts):.4f} s/step, infer {statistics.median(ti):.4f} s/image '
                      f'(load1={os.getloadavg()[0]:.1f})', flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    for what, unit in (('train', 's/step'), ('infer', 's/image')):
        for n in (0, a.competitors):
            print(f'{what} {"alone" if not n else f"beside {n} busy"}: {med[(what, n)]:.4f} {unit} (median of {len(times[(what, n)])})')
    slow = {w: med[(w, a.competitors)] / med[(w, 0)] for w in ('train', 'infer')}
    print(f"contention: train_slowdown={slow['train']:.2f} infer_slowdown={slow['infer']:.2f}")

if __name__ == '__main__': main()
