"""GPU figures in one run of at most 8 minutes on one GPU, one line each.

    python bench/gpu.py          # on a machine with a GPU (`make bench-gpu`); the full IMHN at 512 × 512
    python bench/gpu.py --dry    # the same code on the CPU, tiny IMHN at 64 × 64, in well under a minute (`make test` runs it)

Figures, in this order (the most expensive last, so that a time budget cuts only those):
- `infer <fp32|bf16|fp16> eager b<1|8>`: the network alone (`IMHN` forward, no flip), img/s, under `torch.autocast`;
- `loader b8` and `train <fp32|fp16|bf16> b8`: fastai training steps/s at batch 8 (`pose_dls` + `pose_learner` on synthetic
  people, the precisions through fastai's `to_fp16` / `to_bf16`), and the loader alone, to tell whether it keeps up;
- `e2e auto b<8|1>`: `PoseEstimator` on images, img/s: network with flip, fusion, peaks and grouping on the device;
- `grouping`: peaks and grouping alone on ideal maps of synthetic people (`IdealNet`), img/s and people per image;
- `infer <precision> compile b8`: the network through `torch.compile` (compile time given);
- `peak memory`: the largest `torch.cuda.max_memory_allocated` of the figures above (each line also carries its own);
- `cuda cells <notebook>`: every notebook holding `#| cuda` cells, executed as Run All (in other processes, at low
  priority, while the compiles run): how many of its cuda cells ran, and whether the notebook passed.
A figure that cannot run says `<figure>: skipped: <why>`. The first line says what ran where, the last is `gpu: wall=<s>s`.

Anchors, from the original's README (hellojialee/Improved-Body-Parts): its 4-stack IMHN at 512 × 512 ran at 38.5 img/s on
one 2080 Ti (AMP, 100 % GPU use); its pure-Python grouping at 5.2 img/s on a Xeon E5-2620; a C++ post-processing fork
reached 7–8 img/s single-scale with flip on a 2080 Ti."""
import argparse, contextlib, io, json, os, re, statistics, subprocess, sys, tempfile, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NET_FPS, GROUP_FPS, E2E_FPS = 38.5, 5.2, '7–8' # the original's README: network on a 2080 Ti, Python grouping, C++ fork end to end
PRECISIONS = ('fp32', 'bf16', 'fp16')

def _why(e:BaseException) -> str:
    "An exception in one line"
    msg = (str(e).strip().splitlines() or [''])[0]
    return f'{type(e).__name__}: {msg[:160]}'

class Bench:
    "Settings of a run (full size on the GPU or tiny on the CPU), the clock, and the one-line output"
    def __init__(self, dry:bool, budget:float):
        import torch
        self.torch, self.dry, self.t0, self.budget = torch, dry, time.time(), budget
        self.device = torch.device('cpu' if dry else 'cuda')
        self.cuda = self.device.type == 'cuda'
        self.size = 64 if dry else 512
        self.runs, self.min_s = (3, 0.0) if dry else (10, 2.0) # timed calls: at least `runs` and at least `min_s` seconds
        self.train_steps, self.warm_steps = (4, 1) if dry else (20, 3)
        self.n_images = 4 if dry else 16 # synthetic images for training, e2e and grouping
        self.peaks = {}
        from simplepose.model import TINY_CONFIG
        self.tiny = {**TINY_CONFIG, 'nstack': 1} # --dry's network: one stack halves torch.compile's tracing, the longest step on the CPU

    def model(self):
        "The network measured: the published size (4 stacks, 256 channels) on the GPU, the tiny one with one stack for --dry"
        from simplepose.model import IMHN
        self.torch.manual_seed(0)
        return (IMHN(**self.tiny) if self.dry else IMHN()).eval().to(self.device)

    def left(self) -> float: return self.budget - (time.time() - self.t0)

    def sync(self):
        if self.cuda: self.torch.cuda.synchronize()

    def reset_peak(self):
        if self.cuda: self.sync(); self.torch.cuda.reset_peak_memory_stats()

    def peak(self, name:str) -> str:
        "' peak=<MiB> MiB' of the figure just measured (GPU only), remembered for the `peak memory` line"
        if not self.cuda: return ''
        mib = self.torch.cuda.max_memory_allocated() / 2**20
        self.peaks[name] = mib
        return f' peak={mib:.0f} MiB'

    def say(self, name:str, text:str): print(f'{name}: {text}', flush=True)
    def skip(self, name:str, why:str): self.say(name, f'skipped: {why}')

    def timeit(self, fn) -> float:
        "Median seconds per call of `fn` after one warm-up call: at least `runs` calls and `min_s` seconds"
        fn(); self.sync()
        ts, start = [], time.perf_counter()
        while len(ts) < self.runs or time.perf_counter() - start < self.min_s:
            t = time.perf_counter(); fn(); self.sync(); ts.append(time.perf_counter() - t)
            if len(ts) >= 200: break
        return statistics.median(ts)

def _dtype(torch, precision:str): return dict(fp32=None, bf16=torch.bfloat16, fp16=torch.float16)[precision]

def infer_line(b:Bench, model, precision:str, batch:int, name:str, compiled:str=None): # `torch.compile`'s backend if compiled
    "img/s of the network alone on `batch` random inputs at the run's size, under autocast at `precision`; the seconds it took"
    torch = b.torch
    dtype = _dtype(torch, precision)
    x = torch.rand(batch, 3, b.size, b.size, device=b.device)
    def call():
        with torch.inference_mode(), torch.autocast(b.device.type, dtype=dtype, enabled=dtype is not None): model(x)
    b.reset_peak()
    t = time.time()
    try:
        if compiled: call(); b.sync() # the compile happens here
        compile_s = time.time() - t
        s = b.timeit(call)
    except Exception as e: return b.skip(name, _why(e))
    extra = f' compile={compile_s:.0f}s backend={compiled}' if compiled else ''
    anchor = f' (original: {NET_FPS} img/s on a 2080 Ti)' if batch > 1 else ''
    b.say(name, f'{batch / s:.1f} img/s{b.peak(name)}{extra}{anchor}')
    return time.time() - t

def infer_eager(b:Bench, model):
    for p in PRECISIONS:
        for batch in (1, 8): infer_line(b, model, p, batch, f'infer {p} eager b{batch}')

def infer_compiled(b:Bench, model, per_compile:float): # seconds a compile and its timing take, about
    "The network through `torch.compile` (inductor on the GPU; with --dry dynamo's 'eager' backend, one precision)"
    torch = b.torch
    for i, p in enumerate(PRECISIONS):
        name = f'infer {p} compile b8'
        if b.dry and i: b.skip(name, '--dry compiles one precision (inductor on the CPU took minutes for the tiny IMHN)'); continue
        if b.left() < per_compile: b.skip(name, f'time budget ({b.left():.0f}s left, a compile takes about {per_compile:.0f}s)'); continue
        torch._dynamo.reset()
        backend = 'eager' if b.dry else 'inductor'
        took = infer_line(b, torch.compile(model, backend=backend, dynamic=False), p, 8, name, compiled=backend)
        per_compile = max(per_compile, took or 0) # the next one takes about as long

def synth_source(b:Bench, tmp:Path):
    "A list of sample records of synthetic people, enough for warm-up and timed steps at batch 8"
    from simplepose.synth import make_synth_coco
    from simplepose.data import CocoSource
    from simplepose.config import CFG
    ann = make_synth_coco(tmp/'synth', n_images=b.n_images, seed=0, size=max(b.size, 256))
    src = CocoSource(ann, tmp/'synth'/'images', cfg=CFG.replace(min_area=0))
    records = [src[i] for i in range(len(src))]
    return [records[i % len(records)] for i in range(8 * (b.warm_steps + b.train_steps))]

def train_figures(b:Bench, records:list):
    "Loader batches/s, then fastai training steps/s at batch 8 in each precision"
    torch = b.torch
    from simplepose.learner import pose_dls, pose_learner # first: it imports fastai without its deprecation warnings
    from fastai.callback.core import Callback
    import fastai.callback.fp16, fastai.callback.progress # `to_fp16`, `to_bf16`, `no_bar`
    from simplepose.config import CFG
    workers = 0 if b.dry else min(8, max((os.cpu_count() or 2) - 2, 1))
    dls = pose_dls(records, cfg=CFG.replace(batch_size=8, input_size=b.size, workers=workers), device=b.device)
    t, n = time.perf_counter(), 0
    for _ in dls.train: n += 1
    b.say('loader b8', f'{n / (time.perf_counter() - t):.1f} batches/s (workers={workers}; synthetic people, augmented, targets made)')

    class StepTimes(Callback):
        order = 99
        def before_fit(self): self.times = []
        def after_batch(self): b.sync(); self.times.append(time.perf_counter())

    for p in ('fp32', 'fp16', 'bf16'):
        name = f'train {p} b8'
        if b.left() < 30: b.skip(name, f'time budget ({b.left():.0f}s left)'); continue
        b.reset_peak()
        try:
            learn = pose_learner(dls, precision='fp32', **(b.tiny if b.dry else {}))
            if p == 'fp16': learn.to_fp16()
            elif p == 'bf16': learn.to_bf16()
            timer = StepTimes()
            with warnings.catch_warnings(record=True) as said, learn.no_bar(), learn.no_logging():
                warnings.simplefilter('always')
                learn.fit(1, cbs=[timer])
        except Exception as e: b.skip(name, _why(e)); continue
        ts = timer.times[b.warm_steps:]
        steps_s = (len(ts) - 1) / (ts[-1] - ts[0])
        skipped = sum(getattr(c, 'skipped', 0) for c in learn.cbs if type(c).__name__ == 'GuardLoss')
        note = ''
        if p != 'fp32' and not b.cuda and any('CUDA is not available' in str(w.message) for w in said):
            note = " (fastai's MixedPrecision autocasts on CUDA only: fp32 here)"
        b.say(name, f'{steps_s:.2f} steps/s{b.peak(name)} over {len(ts) - 1} steps' + (f', {skipped} skipped' if skipped else '') + note)
        del learn
        if b.cuda: torch.cuda.empty_cache()

def scenes(b:Bench):
    "Synthetic scenes at the run's size, every person annotated: images and their people in the network's order"
    import numpy as np
    from simplepose.config import CFG
    from simplepose.skeleton import COCO
    from simplepose.synth import render_scene, scene_keypoints
    every = CFG.replace(synth_crowd_prob=0, synth_unannotated_prob=0)
    sc = [render_scene(np.random.default_rng([7, i]), every, (b.size, b.size)) for i in range(b.n_images)]
    return [img for img, _ in sc], [COCO.to_net(scene_keypoints(anns)) for _, anns in sc]

def e2e_figures(b:Bench, model, images:list):
    "`PoseEstimator` on images: network with flip, fusion, peaks and grouping, at its default precision"
    from simplepose.estimator import PoseEstimator
    for batch in (8, 1):
        name = f'e2e auto b{batch}'
        b.reset_peak()
        try:
            est = PoseEstimator(model=model, device=b.device, input_size=b.size, flip=True, predict_batch_size=batch)
            s = b.timeit(lambda: est(images))
        except Exception as e: b.skip(name, _why(e)); continue
        route = getattr(getattr(est, 'backend', None), 'name', est.precision) # the backend `auto` chose
        b.say(name, f'{len(images) / s:.1f} img/s{b.peak(name)} ({route}, flip, single scale, random weights: nobody found; '
                    f'original with C++ grouping: {E2E_FPS} img/s on a 2080 Ti)')

def grouping_figure(b:Bench, images:list, people:list):
    "Peaks and grouping alone, on the ideal maps of known people, on the device"
    from simplepose.estimator import PoseEstimator
    from simplepose.testing import IdealNet
    from simplepose.config import CFG
    name = 'grouping'
    try:
        est = PoseEstimator(model=IdealNet(zip(images, people), CFG.replace(input_size=b.size)), device=b.device, input_size=b.size)
        maps = est.maps(images)
        found = []
        s = b.timeit(lambda: found.append([est.people(m) for m in maps]))
    except Exception as e: return b.skip(name, _why(e))
    per_img = statistics.mean(len(f) for f in found[-1])
    b.say(name, f'{len(images) / s:.1f} img/s, {per_img:.1f} people/img (maps on {est.device}; original Python grouping: {GROUP_FPS} img/s on a CPU)')

CUDA_FLAG = re.compile(r'^#\|\s*cuda\b', re.M)

def cuda_cells(book) -> list:
    "The code cells of a notebook (nbformat) flagged `#| cuda`"
    return [c for c in book.cells if c.cell_type == 'code' and CUDA_FLAG.search(c.source)]

def cuda_notebooks() -> list:
    "The notebooks holding `#| cuda` cells"
    import nbformat
    return sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_') and cuda_cells(nbformat.read(p, as_version=4)))

def start_notebooks(b:Bench, tmp:Path) -> list:
    "Start each notebook with `#| cuda` cells in its own process (this script with --notebook), at low priority"
    nbs = cuda_notebooks()
    run = ([p for p in nbs if p.stem == '08a_infer'] or nbs[:1]) if b.dry else nbs # --dry: the quickest Run All of them
    started = []
    for p in nbs:
        if p not in run:
            started.append((p, None, None)); continue
        out = tmp/f'{p.stem}.json'
        proc = subprocess.Popen([sys.executable, __file__, '--notebook', str(p), '--result', str(out)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(10))
        started.append((p, proc, out))
    return started

def finish_notebooks(b:Bench, started:list):
    for p, proc, out in started:
        name = f'cuda cells {p.stem}'
        if proc is None: b.skip(name, '--dry runs only the quickest notebook'); continue
        try: proc.wait(timeout=max(b.left(), 5))
        except subprocess.TimeoutExpired: proc.kill(); b.skip(name, 'still running at the end of the time budget'); continue
        if not out.exists(): b.skip(name, f'the notebook runner ended with status {proc.returncode}'); continue
        r = json.loads(out.read_text())
        state = 'passed' if r['error'] is None else f"failed: {r['error']}"
        noted = f", {r['noted']} printed the no-CUDA note" if r['noted'] else ''
        b.say(name, f"{r['ran']}/{r['cells']} ran{noted}; notebook {state} in {r['seconds']:.0f}s")

def run_notebook(path:Path, result:Path):
    "Execute a notebook as Run All does (tests/test_notebooks.py) and write what its `#| cuda` cells did as JSON"
    import nbformat
    from nbclient import NotebookClient
    book = nbformat.read(path, as_version=4)
    cuda = cuda_cells(book)
    t, error = time.time(), None
    try: NotebookClient(book, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    except Exception as e: error = _why(e)
    def text(c): return ''.join(o.get('text', '') for o in c.get('outputs', []))
    ran = [c for c in cuda if c.get('execution_count') is not None and not any(o.get('output_type') == 'error' for o in c.outputs)]
    noted = sum('No CUDA device here' in text(c) for c in ran)
    result.write_text(json.dumps(dict(cells=len(cuda), ran=len(ran) - noted, noted=noted, error=error, seconds=time.time() - t)))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dry', action='store_true', help='the same code on the CPU at a tiny size (tiny IMHN, 64 px, few steps)')
    ap.add_argument('--budget', type=float, default=450, help='seconds; figures that would end later are skipped with a line')
    ap.add_argument('--notebook', help=argparse.SUPPRESS) # internal: run one notebook and write --result
    ap.add_argument('--result', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.notebook: return run_notebook(Path(a.notebook), Path(a.result))
    import torch
    if not a.dry and not torch.cuda.is_available():
        print('gpu: skipped: no CUDA device here; `python bench/gpu.py --dry` runs the same code on the CPU at a tiny size')
        return
    b = Bench(a.dry, a.budget)
    where = torch.cuda.get_device_name() if b.cuda else 'CPU (--dry)'
    print(f"gpu: {where}, torch {torch.__version__}, cuda {torch.version.cuda}, {'tiny IMHN' if b.dry else 'IMHN 4 stacks 256 ch'} at "
          f"{b.size}x{b.size}, threads {torch.get_num_threads()}, fp32 convs in TF32: {torch.backends.cudnn.allow_tf32}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = b.model()
        infer_eager(b, model)
        images, people = scenes(b)
        train_figures(b, synth_source(b, tmp))
        e2e_figures(b, model, images)
        grouping_figure(b, images, people)
        started = start_notebooks(b, tmp) # they run beside the compiles, which are mostly CPU work
        infer_compiled(b, model, per_compile=15 if b.dry else 60)
        if b.peaks:
            top = max(b.peaks, key=b.peaks.get)
            b.say('peak memory', f'{b.peaks[top]:.0f} MiB ({top}; torch.cuda.max_memory_allocated)')
        else: b.skip('peak memory', 'no CUDA (torch.cuda.max_memory_allocated)')
        finish_notebooks(b, started)
    print(f'gpu: wall={time.time() - b.t0:.0f}s', flush=True)

if __name__ == '__main__': main()
