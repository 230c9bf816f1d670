"""Short versions of the benchmark scripts, so `make test` keeps them working; the full figures come from running them by hand."""
import os, re, sys
from pathlib import Path
import warm

ROOT = Path(__file__).parent.parent

def bench(script:str, *args, timeout:int):
    "`python bench/SCRIPT ARGS…` from the repository root, started warm where it can be (tests/warm.py); the CompletedProcess"
    env = {**os.environ, **warm.BASE}
    return warm.run([sys.executable, ROOT/'bench'/script, *args], cwd=ROOT, env=env, timeout=timeout)

def test_skeletons_quick(tmp_path):
    "bench/skeletons.py --quick: trains and evaluates a tiny IMHN on synthetic CrowdPose-layout and body13 people"
    r = bench('skeletons.py', '--quick', '--out', str(tmp_path), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    names = re.findall(r'^skeleton=(\S+) AP=[\d.]+ minutes=[\d.]+$', r.stdout, re.M)
    assert sorted(names) == ['body13', 'crowdpose'], r.stdout
    assert 'Traceback' not in r.stderr, r.stderr[-3000:]


def test_finetune_quick(tmp_path):
    "bench/finetune.py --quick: scratch and fine-tuned (carried over from a tiny COCO network) runs on both layouts, the lines' form"
    r = bench('finetune.py', '--quick', '--out', str(tmp_path), timeout=300)
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    names = re.findall(r'^finetune: skeleton=(\S+) scratch_AP=[\d.]+ finetuned_AP=[\d.]+ minutes=[\d.]+$', r.stdout, re.M)
    assert names == ['crowdpose', 'body13'], r.stdout
    assert re.search(r'^carried 12 of 13 keypoints, 8 of 13 limbs, \d+ of \d+ tensors from ', r.stderr, re.M), r.stderr[-3000:]


def test_backends_quick():
    "bench/backends.py --quick: every backend installed here on a tiny network, the accuracy path on a tiny synthetic set"
    r = bench('backends.py', '--quick', timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    last = r.stdout.strip().splitlines()[-1]
    num = r'(?:\d+\.\d+|nan)'
    assert re.fullmatch(rf'backends: eager_s={num} best=[a-z0-9-]+ best_s={num} speedup={num} ap_drop=-?{num} '
                        rf'int8_s={num} int8_speedup={num} int8_ap_drop=-?{num}', last), r.stdout[-3000:]
    assert 'Traceback' not in r.stderr, r.stderr[-3000:]


GPU_LINE = re.compile(r'^(?P<name>[a-z0-9_ ]+?): (?:skipped: \S.*|[\d.]+ (?:img/s|steps/s|batches/s|MiB)\b.*|\d+/\d+ ran\b.*)$')

def test_gpu_dry():
    "bench/gpu.py --dry: the GPU benchmark's code on the CPU at a tiny size; one well-formed line per figure"
    r = bench('gpu.py', '--dry', timeout=300)
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    assert lines[0].startswith('gpu: CPU (--dry), torch ') and re.fullmatch(r'gpu: wall=\d+s', lines[-1]), r.stdout
    bad = [l for l in lines[1:-1] if not GPU_LINE.match(l)]
    assert not bad, bad
    names = [GPU_LINE.match(l)['name'] for l in lines[1:-1]]
    want = [f'infer {p} {how} b{n}' for p in ('fp32', 'bf16', 'fp16') for how, n in (('eager', 1), ('eager', 8), ('compile', 8))]
    want += ['loader b8', 'train fp32 b8', 'train fp16 b8', 'train bf16 b8', 'e2e auto b8', 'e2e auto b1', 'grouping', 'peak memory',
             'cuda cells 03b_peaks', 'cuda cells 05_model', 'cuda cells 08a_infer',
             'cuda cells 09_estimator']
    assert sorted(names) == sorted(want), sorted(set(names) ^ set(want))
    ran = {n: l for n, l in zip(names, lines[1:-1]) if 'skipped: ' not in l}  # what --dry must really run on the CPU
    for n in ['infer fp32 eager b1', 'infer fp32 eager b8', 'infer bf16 eager b8', 'infer fp32 compile b8', 'train fp32 b8',
              'train bf16 b8', 'e2e auto b8', 'grouping', 'cuda cells 08a_infer']:
        assert n in ran, (n, r.stdout)
    assert 'notebook passed' in ran['cuda cells 08a_infer'], ran['cuda cells 08a_infer']


def test_contention_quick():
    "bench/contention.py --quick: the three cases (default, passive, one thread) in their own processes, training and predict, the lines' form"
    r = bench('contention.py', '--quick', timeout=300)
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r'threads: train_min=\d+\.\d+ predict_min=\d+\.\d+', last), r.stdout[-3000:]
    assert re.search(r'^policy: cpu_budget=\d+ ', r.stdout, re.M), r.stdout[-3000:]
    assert len(re.findall(r'^k=0 (?:train|predict): default=[\d.]+ passive=[\d.]+ one=[\d.]+ .* default/best=[\d.]+$', r.stdout, re.M)) == 2, r.stdout

def test_memorize_quick():
    "bench/memorize.py on the CrowdPose sample, tiny: the exact-view trainer, CrowdPose's skeleton and metric, the final line's form"
    r = bench('memorize.py', '--ann', 'testdata/mmpose/crowdpose/test_crowdpose.json',
              '--images', 'testdata/mmpose/crowdpose', '--size', '128', '--inp-dim', '16', '--minutes', '0.03', '--at', '0.015', timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(re.findall(r'^minutes=[\d.]+ steps=\d+ AP=[\d.-]+ AP50=[\d.-]+ loss=\S+$', r.stdout, re.M)) == 2, r.stdout
    assert re.search(r'^memorize: AP=[\d.-]+ minutes=[\d.]+$', r.stdout.splitlines()[-1]), r.stdout
    assert 'Traceback' not in r.stderr, r.stderr[-3000:]

def test_track_quick():
    "bench/track.py --quick: two short synthetic clips tracked from oracle maps (py-motmetrics), the smoothing and PoseTrack18 lines, the last line's form"
    r = bench('track.py', '--quick', '--weights', 'no-such-weights.safetensors', timeout=300)
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    lines = r.stdout.strip().splitlines()
    num = r'-?(?:\d+\.\d+|nan)'
    assert re.fullmatch(rf'track: MOTA={num} IDF1={num} idsw=\d+ fps=\d+', lines[-1]), r.stdout[-3000:]
    assert any(l.startswith('quickstart: skipped: ') for l in lines), r.stdout
    assert any(l.startswith('oracle default smoothing: jitter raw=') for l in lines), r.stdout
    assert any(l.startswith('posetrack18 sample') for l in lines), r.stdout
    mota, idf1 = map(float, re.findall(num, lines[-1])[:2])
    assert idf1 >= 0.9 and mota >= 0.9, lines[-1]  # perfect maps of two short clips: identities kept
