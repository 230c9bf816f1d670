"""Real photos, learned: a compact IMHN trained on the 80 coco-mini train2017 images (all their people; crowd regions and
unannotated people masked out of the loss, as in full training) and scored with pycocotools on those same images.
A capacity-and-correctness check in the spirit of "overfit one batch": memorising fails when targets, masks, flips or
grouping are wrong. Goal: AP ≥ 0.7 within 25 minutes on 2 CPU cores.

    python bench/memorize.py --precision bf16      # coco-mini ($SIMPLEPOSE_DATA, see `files.shared_data`), 25 minutes
    python bench/memorize.py --limit 8 --size 128 --minutes 12   # the first 8 images with people, smaller
    python bench/memorize.py --ann testdata/mmpose/crowdpose/test_crowdpose.json --images testdata/mmpose/crowdpose --minutes 5

Views (`--view`): 'exact' (default) trains on the very inputs evaluation gives the network, every image with its height
scaled to `--size` and padded to multiples of 64, and their mirror images (evaluation's flip pass), with the library's
targets (`make_targets`), ignore masks (`person_masks`) and loss (`FocalL2Loss`), no augmentation: a literal memorisation
test. A fully convolutional network that has memorised one framing does not answer for another (a 128-px run on 8 images
reached a loss of 0.02 on centred crops and AP 0.25 on the padded evaluation inputs), so the other views need shift
augmentation and many more steps: 'image' trains the quickstart's way (`train_compact`) on augmented whole images,
'person' on the person-centred crops of full training. Evaluation (`evaluate_synth`: one scale at the training size plus
the mirror) runs at the training minutes listed by `--at` and at the end; its time is not counted in the budget. The
learning rate follows one cycle (AdamW) over the whole budget, so earlier points are taken at a higher rate than a
shorter run would end with. Prints one line per point, `minutes=<m> steps=<n> AP=<v> AP50=<v> loss=<v>`, and ends with
`memorize: AP=<v> minutes=<m>` (training minutes). Exit code 0, or 1 when a full 25-minute run misses the goal."""
import argparse, json, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
from simplepose.config import CFG
from simplepose.skeleton import Skeleton
from simplepose.files import shared_data
from simplepose.data import CocoSource, load_coco, to_person, person_masks
from simplepose.image import read_image
from simplepose.infer import preprocess
from simplepose.targets import make_targets
from simplepose.model import IMHN
from simplepose.loss import FocalL2Loss
from fastai.callback.schedule import combined_cos
import cv2
from simplepose.quickstart import QUICKSTART, train_compact, evaluate_synth
from fastai.callback.core import Callback # after simplepose's learner, which silences fastai's import-time warning

MEMORIZE = QUICKSTART.replace(input_size=256, sigma=4.5, limb_sigma=3.5, nstack=1, inp_dim=48, increase=24, batch_size=8,
                              max_rotate=5., scale_prob=.5, scale_min=.9, scale_max=1.1, center_perturb=50.)

class WholeImages:
    """Every image of a COCO keypoint file as one training record, framed as evaluation frames it: the image's height
    fills the input and the crop is centred on the image (± the augmentation's jitter), instead of centring each main
    person at 60 % of the input as `CocoSource` does. Images without people with keypoints are kept too (their people
    and crowds masked): the network is scored on whole images at one scale, all of them, so this is what it must memorise."""
    def __init__(self, ann, images, size:int):
        coco = load_coco(ann)
        self.skeleton, self.size, self.store_image_size = Skeleton.from_coco(coco['categories'][0], ann), size, CFG.store_image_size
        self.images = {im['id']: dict(im, file=Path(images)/im['file_name'], persons=[]) for im in coco['images']}
        for an in coco['annotations']: self.images[an['image_id']]['persons'].append(to_person(an, self.skeleton))
        self.ids = sorted(self.images)
    def __len__(self): return len(self.ids)
    def __getitem__(self, i:int) -> dict:
        im = self.images[self.ids[i]]
        h, w = im['height'], im['width']
        keyed = [p['joints'] for p in im['persons'] if p['num_keypoints'] > 0 and not p['iscrowd']]
        joints = np.stack(keyed) if keyed else np.zeros((0, self.skeleton.n_keypoints, 3), np.float32)
        # augment's scale is target_dist·(size − 1)/(scale_provided·store_image_size): make it size/h, as `image_geometry`'s
        return dict(image=read_image(im['file'], w, h), **dict(zip(('mask_miss', 'mask_all'), person_masks(im['persons'], h, w))),
                    joints=joints.astype(np.float32), objpos=np.array([(w - 1) / 2, (h - 1) / 2], np.float32),
                    scale_provided=CFG.target_dist * (self.size - 1) * h / (self.size * self.store_image_size),
                    image_id=im['id'], ann_id=-1)

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

class ExactViews:
    """The network inputs evaluation gives every image (height scaled to `size`, padded right and below to multiples of
    64 with grey) and their mirror images (padding on the left, as the evaluation's flip pass sees them), each with its
    targets and ignore mask on the output grid: the training set of a literal memorisation test, with no augmentation.
    Inputs of equal size are batched together."""
    def __init__(self, whole:WholeImages, cfg):
        self.items, sk = [], whole.skeleton
        for i in range(len(whole)):
            r = whole[i]
            x, g = preprocess(r['image'], 1.0, cfg.replace(input_size=whole.size))
            (ph, pw), (rh, rw), (oh, ow) = g.padded_hw, g.resized_hw, g.out_hw
            def grid(m, fill):
                m = cv2.resize(m, (rw, rh), interpolation=cv2.INTER_AREA)
                m = cv2.copyMakeBorder(m, 0, ph - rh, 0, pw - rw, cv2.BORDER_CONSTANT, value=fill)
                return cv2.resize(m, (ow, oh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
            j = r['joints'].copy(); j[..., :2] = g.to_input(j[..., :2])
            t = torch.from_numpy(make_targets(j, (oh, ow), sk, grid(r['mask_all'], 0), cfg.replace(stride=g.stride)))
            m = torch.from_numpy(grid(r['mask_miss'], 255))[None]
            self.items += [(x, m, t), (x.flip(-1), m.flip(-1), t.flip(-1)[torch.tensor(sk.flip_channels)])]
        self.skeleton, self.by_size = sk, {}
        for i, (x, _, _) in enumerate(self.items): self.by_size.setdefault(tuple(x.shape), []).append(i)

    def batches(self, bs:int, rng:np.random.Generator):
        "An endless stream of batches: each epoch, every input once, in random batches of one size"
        while True:
            chunks = []
            for idx in self.by_size.values():
                idx = rng.permutation(idx)
                chunks += [idx[k:k + bs] for k in range(0, len(idx), bs)]
            for c in rng.permutation(len(chunks)):
                yield tuple(torch.stack([self.items[i][k] for i in chunks[c]]) for k in range(3))

def train_exact(views:ExactViews, cfg, seconds:float, points:list, evaluate, seed:int=0, precision:str='fp32', threads:int=1):
    "AdamW one-cycle over `seconds` of training on `views`; `evaluate(model)` at the training minutes in `points` and at the end"
    torch.manual_seed(seed); torch.set_num_threads(threads)
    model = IMHN.of(cfg, views.skeleton)
    if precision == 'fp32': model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched, loss_func = combined_cos(0.25, cfg.lr / 25, cfg.lr, cfg.lr / 1e4), FocalL2Loss(skeleton=views.skeleton)
    points, curve, losses, steps, trained = sorted(points), [], [], 0, 0.
    def point():
        stats = evaluate(model); model.train(); torch.set_num_threads(threads)
        loss = float(np.mean(losses[-20:])) if losses else float('nan')
        curve.append(dict(minutes=trained / 60, AP=stats['AP'], AP50=stats['AP50'], loss=loss))
        print(f'minutes={trained / 60:.1f} steps={steps} AP={stats["AP"]:.3f} AP50={stats["AP50"]:.3f} loss={loss:.3g}', flush=True)
    model.train()
    for x, m, t in views.batches(cfg.batch_size, np.random.default_rng(seed)):
        if trained >= seconds: break
        t0 = time.perf_counter()
        for g in opt.param_groups: g['lr'] = sched(min(trained / seconds, 1.))
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=precision == 'bf16'):
            preds = model(x.contiguous(memory_format=torch.channels_last) if precision == 'fp32' else x)
        loss = loss_func([[o.float() for o in s] for s in preds], m, t)
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item()); steps += 1; trained += time.perf_counter() - t0
        if points and trained >= 60 * points[0]: points.pop(0); point()
    point()
    return curve

def first_images(ann:Path, n:int, folder:Path) -> Path:
    "A copy of the keypoint file `ann` with only its first `n` images that have people with keypoints, in `folder`"
    d = json.loads(ann.read_text())
    keep = sorted({x['image_id'] for x in d['annotations'] if x['num_keypoints'] > 0})[:n]
    d = dict(d, images=[i for i in d['images'] if i['id'] in keep], annotations=[x for x in d['annotations'] if x['image_id'] in keep])
    (out := folder/ann.name).write_text(json.dumps(d))
    return out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--ann', default=None, help='COCO keypoint JSON (default: coco-mini train2017)')
    p.add_argument('--images', default=None, help="its image folder (default: coco-mini's train2017)")
    p.add_argument('--minutes', type=float, default=25., help='training budget')
    p.add_argument('--at', type=float, nargs='*', default=[1, 2, 5, 10, 15, 20], help='training minutes of the intermediate points')
    p.add_argument('--size', type=int, default=MEMORIZE.input_size, help='input side for training and evaluation, a multiple of 64')
    p.add_argument('--inp-dim', type=int, default=MEMORIZE.inp_dim, help='network width')
    p.add_argument('--bs', type=int, default=MEMORIZE.batch_size, help='batch size')
    p.add_argument('--limit', type=int, default=None, help='only the first N images that have people with keypoints (a smaller test)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=0, help='torch threads for training; 0: chosen as it goes')
    p.add_argument('--view', choices=['exact', 'image', 'person'], default='exact',
                   help="'exact': the evaluation's own inputs and their mirrors, no augmentation; 'image': augmented whole images; 'person': training's person-centred crops")
    p.add_argument('--precision', choices=['fp32', 'bf16'], default='fp32', help='training precision (bf16: CPUs with native bf16)')
    p.add_argument('--nstack', type=int, default=MEMORIZE.nstack, help='hourglass stacks')
    p.add_argument('--lr', type=float, default=MEMORIZE.lr, help='peak AdamW rate')
    a = p.parse_args(argv)
    if a.ann is None:
        root = shared_data('coco-mini')
        if root is None: sys.exit('memorize: coco-mini not found: set SIMPLEPOSE_DATA to the folder holding coco-mini, or give --ann and --images')
        a.ann, a.images = root/'annotations'/'person_keypoints_train2017.json', a.images or root/'train2017'
    ann, images = Path(a.ann), Path(a.images) if a.images else Path(a.ann).parent.parent/'images'
    if a.limit: ann = first_images(ann, a.limit, Path(tempfile.mkdtemp()))
    cfg = MEMORIZE.replace(input_size=a.size, inp_dim=a.inp_dim, increase=a.inp_dim // 2, batch_size=a.bs, nstack=a.nstack, lr=a.lr)
    source = WholeImages(ann, images, cfg.input_size) if a.view != 'person' else CocoSource(ann, images, cfg=cfg.replace(min_area=0))
    if a.view == 'exact':
        t = time.perf_counter()
        source = ExactViews(source, cfg)
        print(f'{len(source.items)} inputs ({len(source.items) // 2} images and their mirrors) in {len(source.by_size)} sizes, made in {time.perf_counter() - t:.0f}s', flush=True)
    evaluate = lambda model: evaluate_synth(model, ann, cfg, verbose=False, images=images)[0]
    curve = EvalAt([m for m in a.at if m < a.minutes], evaluate, a.threads)
    print(f'{ann}: training IMHN(nstack={cfg.nstack}, inp_dim={cfg.inp_dim}, increase={cfg.increase}) at {cfg.input_size} px, '
          f'batches of {cfg.batch_size}, {len(getattr(source, "items", source))} samples ({a.view} view), {a.precision}, for {a.minutes:g} minutes', flush=True)
    if a.view == 'exact':
        last = train_exact(source, cfg, 60 * a.minutes, curve.minutes, evaluate, a.seed, a.precision, a.threads or 2)[-1]
    else:
        learn = train_compact(ann, cfg, seconds=60 * a.minutes, seed=a.seed, threads=a.threads, images=images, cbs=[curve], source=source, precision=a.precision)
        curve.learn = learn
        curve.point()
        last = curve.curve[-1]
    print(f'memorize: AP={last["AP"]:.3f} minutes={last["minutes"]:.1f}')
    return 1 if a.minutes >= 25 and (last['AP'] < 0.7 or last['minutes'] > 25) else 0

if __name__ == '__main__': sys.exit(main())
