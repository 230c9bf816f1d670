"""Tracking benchmark: identities, speed and smoothing on held-out synthetic videos with known identities.

    python bench/track.py                                   # 8 clips × 90 frames at 30 fps, default crowd and 10 people
    python bench/track.py --weights _quickstart/weights.safetensors   # adds the quickstart model's figures
    python bench/track.py --quick                           # make test: 2 short clips, seconds

The clips are drawn by `simplepose.synth_video.make_synth_video` into a temporary folder (split 'bench', seed 1: clips
that neither the tracker's notebook nor any training saw): people walking both ways, so they cross and hide each other,
entering and leaving, a quarter standing still, while the camera pans and zooms. Two crowds: the default (2 to 6 people a
clip) and 10 people a clip.

- `oracle`: each frame's annotated people rendered as a perfect network's output (`Codec.ideal_outputs`, the default
  512-px inference geometry, flip included), decoded by the codec (`fuse`, `decode`), then tracked (`Tracker`).
- `quickstart`: the frames' JPEGs through `PoseEstimator` with the quickstart model (`--weights`; default
  `_quickstart/weights.safetensors` when `make quickstart` has written it, else that line says it is skipped), then tracked.

Matching rule (PoseTrack's, at the level of people). PoseTrack's evaluation (poseval, which computes MOTA with
py-motmetrics) counts a predicted keypoint as correct when it lies within half the head size of the annotated one (PCKh
at 0.5; head size = 0.6 × the diagonal of the annotated head box). Here a prediction may match an annotated person
when at least half of that person's labelled keypoints are correct by this rule; the distance given to py-motmetrics is
1 − that fraction, so among candidates the better pose wins, and its assignment keeps earlier matches as CLEAR-MOT
does. Annotations without a head box (the synthetic ones) take as head size 0.15 × the diagonal of the labelled
keypoints' box, the median ratio on the PoseTrack18 sample's people. poseval scores each keypoint type as its own
object and averages the 17 MOTAs; this bench scores people, which is stricter about identities (a person's ID switch
counts once, not once per keypoint) and gives one IDF1 (poseval reports none). Every annotated person with a labelled
keypoint counts, however hidden.

Figures, over all clips of a crowd (py-motmetrics 1.4 `compute_many`, overall row):
- `MOTA`, `IDF1`, `idsw` (ID switches) and `idsw/100` = ID switches per 100 annotated person-frames (track-frames);
- `track_ms` = milliseconds per frame in `Tracker.update` alone, the median over the clips of each clip's mean (`track_fps`
  its inverse), `e2e_fps` = frames per second
  from the network's output (oracle) or the JPEG (quickstart) to the tracked people: decoding (+ reading and the network)
  + tracking; rendering the oracle maps is not counted.
Smoothing, on the tracked people matched to annotated ones (causal One-Euro `Smoother` at the clip's fps, offline
Savitzky–Golay `smooth_offline`, `Config`'s defaults):
- `jitter` = mean frame-to-frame acceleration |x[t+1] − 2x[t] + x[t−1]| (px) of the keypoints of people standing
  still (their annotated keypoints accelerate by < 0.1 px/frame², which the camera's slow eased pan allows), raw and
  smoothed, and the cut in %;
- `lag` = frames by which smoothed keypoints trail moving people: the least-squares L in smoothed ≈ truth − L·velocity
  (velocity from the annotation, central difference), over people moving ≥ 1 px/frame on average.
The oracle's keypoints are nearly exact (median acceleration on still people ≈ 0.02 px): their jitter is a few large
jumps where two people overlap and the grouping mixes them for a frame or two, which One-Euro follows by design. So
its smoothing is measured twice: as decoded, and with N(0, 2 px) added to every tracked keypoint, a network's typical
jitter (`+2 px noise`). The quickstart model's lines smooth its own keypoints as they come.
A real-data check follows on the PoseTrack18 sample in testdata/mmpose/posetrack18 (oracle maps, its declared
17-keypoint skeleton, its head boxes): 3 clips of one labelled frame each, so each frame is also played as a
`--pan-frames` clip panned 2 px a frame (the same real poses shifted), which exercises identities on real crowds.
PoseTrack labels no ears, and its declared skeleton joins the head to the shoulders only through the ears, so the
oracle decodes each head (nose, head bottom, head top) as a 3-keypoint person of its own: these count as false people.
So both rows are repeated with the limbs mmpose declares for PoseTrack18 (no ears; head_bottom joined to both
shoulders; the ears, which no limb joins, left out), which is what a model trained on PoseTrack would learn.

Goals (issue 21, this machine's 2 cores): oracle IDF1 ≥ 0.95, ≤ 1 ID switch per 100 track-frames, tracking ≤ 1 ms per
frame for 10 people, smoothing cuts jitter ≥ 60 % with ≤ 1 frame of lag at 30 fps; the line `goals` says which are
met (the exit code is 0 either way: these are measurements). The last line reads exactly
`track: MOTA=<v> IDF1=<v> idsw=<n> fps=<v>` for the oracle on the default crowd (fps: tracking alone)."""
import argparse, json, statistics, sys, tempfile, time, warnings
from collections import defaultdict
from pathlib import Path
import numpy as np, torch
import motmetrics as mm
from simplepose.config import CFG
from simplepose.skeleton import Skeleton
from simplepose.codec import Codec
from simplepose.track import Tracker, Smoother, smooth_offline, with_keypoints
from simplepose.synth_video import make_synth_video

ROOT = Path(__file__).resolve().parent.parent
POSETRACK = ROOT/'testdata'/'mmpose'/'posetrack18'/'test_posetrack18_val.json'
NOISES = (0., 2.) # px of Gaussian noise added to the tracked keypoints before smoothing: as decoded, and like a network's jitter
METRICS = ['mota', 'idf1', 'num_switches', 'num_objects', 'num_false_positives', 'num_misses']

# mmpose's PoseTrack18 limbs (configs/_base_/datasets/posetrack18.py): no ears; the head joins the shoulders at head_bottom
MMPOSE_POSETRACK_LIMBS = [('left_ankle', 'left_knee'), ('left_knee', 'left_hip'), ('right_ankle', 'right_knee'), ('right_knee', 'right_hip'),
    ('left_hip', 'right_hip'), ('left_shoulder', 'left_hip'), ('right_shoulder', 'right_hip'), ('left_shoulder', 'right_shoulder'),
    ('left_shoulder', 'left_elbow'), ('right_shoulder', 'right_elbow'), ('left_elbow', 'left_wrist'), ('right_elbow', 'right_wrist'),
    ('nose', 'head_bottom'), ('nose', 'head_top'), ('head_bottom', 'left_shoulder'), ('head_bottom', 'right_shoulder')]

def load_clips(ann_file, limbs=None) -> tuple:
    "The skeleton, and per clip its frames in order: (image entry, [(track_id, (D, 3) keypoints with v, head size)]); with `limbs` (name pairs) the skeleton has those limbs and only their keypoints"
    d = json.loads(Path(ann_file).read_text())
    cat = d['categories'][0]
    keep = [i for i, n in enumerate(cat['keypoints']) if not limbs or any(n in l for l in limbs)]
    if limbs:
        names = [cat['keypoints'][i] for i in keep]
        cat = {**cat, 'keypoints': names, 'skeleton': [[names.index(a) + 1, names.index(b) + 1] for a, b in limbs]}
    sk = Skeleton.from_coco(cat, str(ann_file))
    anns = defaultdict(list)
    for a in d['annotations']:
        k = np.array(a['keypoints'], np.float32).reshape(-1, 3)[keep]
        lab = k[k[:, 2] > 0]
        if a.get('iscrowd') or not len(lab): continue
        hb = a.get('bbox_head')
        head = 0.6 * np.hypot(hb[2], hb[3]) if hb else 0.15 * np.hypot(*np.ptp(lab[:, :2], 0))
        anns[a['image_id']].append((a['track_id'], k, max(float(head), 1.)))
    clips = defaultdict(list)
    for im in sorted(d['images'], key=lambda im: im['frame_id']): clips[im['vid_id']].append((im, anns[im['id']]))
    return sk, list(clips.values())

def pckh_distance(gt:list, people:list) -> np.ndarray:
    "(G, P) 1 − fraction of each annotated person's labelled keypoints within half its head size; NaN below half"
    out = np.full((len(gt), len(people)), np.nan)
    for i, (_, k, head) in enumerate(gt):
        lab = k[:, 2] > 0
        for j, p in enumerate(people):
            ok = (p.keypoints[lab, 2] > 0) & (np.hypot(*(p.keypoints[lab, :2] - k[lab, :2]).T) <= 0.5 * head)
            if ok.mean() >= 0.5: out[i, j] = 1 - ok.mean()
    return out

def run_clip(frames:list, detect, sk:Skeleton, fps:float, cfg=CFG) -> dict:
    "Track one clip: detect(image entry, annotated people) → (people, seconds); returns the accumulator, times and tracked people"
    tr, acc = Tracker(sk, cfg), mm.MOTAccumulator(auto_id=False)
    tracked, t_det, t_track = [], 0., 0.
    for f, (im, gt) in enumerate(frames):
        people, secs = detect(im, gt)
        t0 = time.perf_counter()
        got = tr.update(people, f)
        t_track += time.perf_counter() - t0
        t_det += secs
        acc.update([g[0] for g in gt], [p.track_id for p in got], pckh_distance(gt, got), frameid=f)
        tracked.append(got)
    return dict(acc=acc, det=t_det, track=t_track, n=len(frames), tracked=tracked, frames=frames)

def oracle_detector(sk:Skeleton, cfg=CFG):
    "Frame → the codec's people from a perfect network's output for the annotated people, and the decoding time"
    codec = Codec(sk, cfg)
    def detect(im, gt):
        hw = (im['height'], im['width'])
        joints = sk.to_net(np.stack([k for _, k, _ in gt])) if gt else np.zeros((0, sk.n_keypoints, 3), np.float32)
        out, g = codec.ideal_outputs(joints, hw)
        t0 = time.perf_counter()
        people = codec.people(codec.fuse([out], [g], hw))
        return people, time.perf_counter() - t0
    return detect

def model_detector(est, images:Path):
    "Frame → the estimator's people in the frame's JPEG (read included), and the time"
    def detect(im, gt):
        t0 = time.perf_counter()
        people = est(str(images/im['file_name']))
        return people, time.perf_counter() - t0
    return detect

MATCHED = ('MATCH', 'SWITCH', 'TRANSFER', 'ASCEND', 'MIGRATE')

def matched_series(run:dict) -> dict:
    "Annotated track id → [(frame, its keypoints, the matched person's index in that frame)]"
    ev = run['acc'].mot_events
    ev = ev[ev.Type.isin(MATCHED)]
    out = defaultdict(list)
    for (f, _), row in ev.iterrows():
        gt = dict((t, k) for t, k, _ in run['frames'][f][1])
        j = next(j for j, p in enumerate(run['tracked'][f]) if p.track_id == row.HId)
        out[row.OId].append((f, gt[row.OId], j))
    return out

def noisy(frames:list, noise:float, seed:int=0) -> list:
    "The tracked people with N(0, `noise`) px added to each found keypoint's x and y"
    rng = np.random.default_rng(seed)
    def add(p):
        k = p.keypoints.copy(); k[:, :2] += (k[:, 2:] > 0) * rng.normal(0, noise, k[:, :2].shape)
        return with_keypoints(p, k)
    return [[add(p) for p in ps] for ps in frames] if noise else frames

def smoothing_sums(run:dict, fps:float, noise:float=0., cfg=CFG) -> dict:
    "Per variant (raw, one-euro, savgol): sums for the jitter on still people and the lag on moving ones"
    sm, tracked = Smoother(fps, cfg), noisy(run['tracked'], noise)
    variants = dict(raw=tracked, one_euro=[sm.update(ps, f) for f, ps in enumerate(tracked)],
                    savgol=smooth_offline(tracked, cfg))
    sums = {v: np.zeros(4) for v in variants} # jitter sum, jitter count, lag numerator, lag denominator
    for series in matched_series(run).values():
        trip = [s for s in zip(series, series[1:], series[2:]) if s[0][0] + 2 == s[1][0] + 1 == s[2][0]]
        if not trip: continue
        g = np.stack([[k for _, k, _ in s] for s in trip]) # (n, 3, D, 3)
        ok_g = (g[..., 2] > 0).all(1)
        acc_g = np.linalg.norm(g[:, 0, :, :2] - 2 * g[:, 1, :, :2] + g[:, 2, :, :2], axis=-1)[ok_g]
        vel = (g[:, 2, :, :2] - g[:, 0, :, :2]) / 2
        still = acc_g.mean() < 0.1 if acc_g.size else False
        moving = np.linalg.norm(vel, axis=-1)[ok_g].mean() >= 1 if acc_g.size else False
        for v, frames in variants.items():
            p = np.stack([[frames[f][j].keypoints for f, _, j in s] for s in trip]).astype(np.float64)
            ok = ok_g & (p[..., 2] > 0).all(1)
            if still: sums[v][:2] += np.linalg.norm(p[:, 0, :, :2] - 2 * p[:, 1, :, :2] + p[:, 2, :, :2], axis=-1)[ok].sum(), ok.sum()
            if moving:
                e = g[:, 1, :, :2] - p[:, 1, :, :2]
                sums[v][2:] += (e * vel).sum(-1)[ok].sum(), (vel * vel).sum(-1)[ok].sum()
    return sums

def summary(runs:list, fps:float) -> dict:
    "The figures over all clips of a set of runs"
    mh = mm.metrics.create()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        df = mh.compute_many([r['acc'] for r in runs], metrics=METRICS, names=[str(i) for i in range(len(runs))], generate_overall=True)
    o = df.loc['OVERALL']
    n, t_track, t_det = sum(r['n'] for r in runs), sum(r['track'] for r in runs), sum(r['det'] for r in runs)
    ms = statistics.median(1e3 * r['track'] / r['n'] for r in runs) # per clip, the median: one clip's cold start or a busy moment does not move it
    smooth = {}
    for noise in NOISES:
        sums = {v: sum(s) for v, s in zip(('raw', 'one_euro', 'savgol'), zip(*[smoothing_sums(r, fps, noise).values() for r in runs]))}
        smooth[noise] = dict(jitter={v: s[0] / max(s[1], 1) for v, s in sums.items()}, still_n=int(sums['raw'][1]),
                             lag={v: s[2] / s[3] if s[3] else float('nan') for v, s in sums.items()})
    return dict(mota=o.mota, idf1=o.idf1, idsw=int(o.num_switches), gt=int(o.num_objects), fp=int(o.num_false_positives),
                fn=int(o.num_misses), frames=n, track_ms=ms, track_fps=1e3 / ms,
                e2e_fps=n / max(t_det + t_track, 1e-9), smooth=smooth)

def line(name:str, s:dict) -> str:
    "The identity figures of one set, one line"
    return (f"{name}: MOTA={s['mota']:.3f} IDF1={s['idf1']:.3f} idsw={s['idsw']} idsw/100={100 * s['idsw'] / max(s['gt'], 1):.2f} "
            f"gt={s['gt']} fp={s['fp']} fn={s['fn']} frames={s['frames']} track_ms={s['track_ms']:.3f} "
            f"track_fps={s['track_fps']:.0f} e2e_fps={s['e2e_fps']:.1f}")

def jitter_cut(s:dict, v:str) -> float:
    "How much smoother `v` cuts the raw jitter, %"
    return 100 * (1 - s['jitter'][v] / s['jitter']['raw']) if s['jitter']['raw'] > 0 else float('nan')

def smooth_line(name:str, s:dict) -> str:
    "The smoothing figures of one set and noise, one line"
    j, l = s['jitter'], s['lag']
    cut = lambda v: jitter_cut(s, v)
    return (f"{name}: jitter raw={j['raw']:.3f}px one_euro={j['one_euro']:.3f}px ({cut('one_euro'):+.0f}%) "
            f"savgol={j['savgol']:.3f}px ({cut('savgol'):+.0f}%) on {s['still_n']} still keypoint-triples; "
            f"lag raw={l['raw']:.2f} one_euro={l['one_euro']:.2f} savgol={l['savgol']:.2f} frames")

def smooth_lines(name:str, s:dict) -> list:
    "The smoothing lines of a set: as decoded, then with detection noise added"
    return [smooth_line(f"{name} smoothing{f' +{n:g} px noise' if n else ''}", s['smooth'][n]) for n in NOISES]

def goals(result:dict) -> str:
    "The issue's goals for the oracle, each met or missed, one line"
    o, big = result['default'], result.get('10 people', result['default'])
    checks = [(f"IDF1 {o['idf1']:.3f} ≥ 0.95", o['idf1'] >= 0.95),
              (f"idsw/100 {100 * o['idsw'] / max(o['gt'], 1):.2f} ≤ 1", o['idsw'] <= o['gt'] / 100),
              (f"track_ms {big['track_ms']:.3f} ≤ 1 ({'10 people' if '10 people' in result else 'default crowd'})", big['track_ms'] <= 1),
              *[(f"jitter cut{f' (+{n:g} px noise)' if n else ''} one_euro {jitter_cut(o['smooth'][n], 'one_euro'):.0f}% "
                 f"savgol {jitter_cut(o['smooth'][n], 'savgol'):.0f}% ≥ 60%",
                 min(jitter_cut(o['smooth'][n], 'one_euro'), jitter_cut(o['smooth'][n], 'savgol')) >= 60) for n in NOISES],
              *[(f"lag{f' (+{n:g} px noise)' if n else ''} one_euro {o['smooth'][n]['lag']['one_euro']:.2f} savgol {o['smooth'][n]['lag']['savgol']:.2f} ≤ 1 frame",
                 max(abs(o['smooth'][n]['lag']['one_euro']), abs(o['smooth'][n]['lag']['savgol'])) <= 1) for n in NOISES]]
    return 'goals (oracle, default crowd): ' + '; '.join(f"{t} {'met' if ok else 'MISSED'}" for t, ok in checks)

def panned(frames:list, n:int, step:float=2.) -> list:
    "Each labelled frame played as an `n`-frame clip, its people shifted right `step` px a frame"
    def shift(k, f): k = k.copy(); k[k[:, 2] > 0, 0] += step * f; return k
    return [[(im, [(t, shift(k, f), h) for t, k, h in gt]) for f in range(n)] for clip in frames for im, gt in clip]

def make_sets(out:Path, a) -> dict:
    "name → annotation file of the held-out clips of each crowd"
    crowds = {'default': CFG.synth_people} if a.quick else {'default': CFG.synth_people, '10 people': (10, 10)}
    return {name: make_synth_video(out/name.replace(' ', '_'), n_videos=a.videos, frames=a.frames, cfg=CFG.replace(synth_people=ppl),
                                   seed=a.seed, split='bench', size=a.size, fps=a.fps, camera=a.camera)
            for name, ppl in crowds.items()}

def quickstart_model(a):
    "The estimator of the quickstart weights, or None with the line saying why"
    w = Path(a.weights) if a.weights else ROOT/'_quickstart'/'weights.safetensors'
    if not w.exists():
        print(f'quickstart: skipped: no weights at {w} (run `make quickstart`, or pass --weights W)')
        return None
    from simplepose.estimator import PoseEstimator
    return PoseEstimator(w, device='cpu')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='2 clips × 30 frames of the default crowd at 128 px (make test)')
    p.add_argument('--videos', type=int, default=8, help='clips per crowd')
    p.add_argument('--frames', type=int, default=90, help='frames per clip')
    p.add_argument('--fps', type=float, default=30., help='frames per second of the clips')
    p.add_argument('--size', type=int, default=256, help='frame side, px')
    p.add_argument('--camera', type=float, default=1., help='how far the camera pans and zooms (0: fixed)')
    p.add_argument('--weights', default=None, help='quickstart weights (default _quickstart/weights.safetensors if present)')
    p.add_argument('--pan-frames', type=int, default=30, help='frames of each panned PoseTrack18 clip')
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    p.add_argument('--seed', type=int, default=1, help='random seed of the clips (1: the held-out set the goals are measured on)')
    p.add_argument('--keep', default=None, help='write the clips into this folder instead of a temporary one')
    a = p.parse_args(argv)
    if a.quick: a.videos, a.frames, a.size, a.pan_frames = 2, 30, 128, 5
    torch.set_num_threads(a.threads)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(a.keep or tmp)
        t0 = time.perf_counter()
        sets = make_sets(out, a)
        print(f'clips: {len(sets)} crowds × {a.videos} clips × {a.frames} frames at {a.fps:g} fps, {a.size} px, drawn in {time.perf_counter() - t0:.0f}s')
        est, result = quickstart_model(a), {}
        for name, ann in sets.items():
            sk, clips = load_clips(ann)
            s = summary([run_clip(c, oracle_detector(sk), sk, a.fps) for c in clips], a.fps)
            result[name] = s
            print(line(f'oracle {name}', s)); print(*smooth_lines(f'oracle {name}', s), sep='\n')
            if est is not None:
                q = summary([run_clip(c, model_detector(est, ann.parent.parent/'images'), sk, a.fps) for c in clips], a.fps)
                print(line(f'quickstart {name}', q)); print(*smooth_lines(f'quickstart {name}', q)[:1], sep='\n')
    for limbs, which in ((None, 'its declared skeleton'), (MMPOSE_POSETRACK_LIMBS, "mmpose's PoseTrack18 limbs")):
        if not POSETRACK.exists(): break
        sk, clips = load_clips(POSETRACK, limbs)
        s = summary([run_clip(c, oracle_detector(sk), sk, a.fps) for c in clips], a.fps)
        print(line(f'posetrack18 sample ({len(clips)} labelled frames, oracle, {which})', s))
        s = summary([run_clip(c, oracle_detector(sk), sk, a.fps) for c in panned(clips, a.pan_frames)], a.fps)
        print(line(f'posetrack18 sample panned ({len(clips)} clips × {a.pan_frames} frames, 2 px/frame, {which})', s))
    o = result['default']
    print(goals(result))
    print(f"track: MOTA={o['mota']:.3f} IDF1={o['idf1']:.3f} idsw={o['idsw']} fps={o['track_fps']:.0f}")
    return 0

if __name__ == '__main__': sys.exit(main())
