"""Oracle benchmark: what the post-processing loses on perfect network outputs (no network involved).

For every image of a COCO keypoint file of any skeleton (COCO, OCHuman, CrowdPose, PoseTrack18, a synthetic
`--layout body13` set: whatever its keypoint category declares, read by `Skeleton.from_coco`), the ideal outputs of
that skeleton are rendered with the training target generator in the single-scale inference geometry (m = 512/H, stride 4, padding to multiples of 64; the mirrored input gets the
mirrored, left/right-swapped maps). Then flip fusion → peaks → grouping → COCO results → pycocotools over all images
of the file, images without people included.

    python bench/oracle.py                                   # COCO-MINI ($SIMPLEPOSE_DATA, see `files.shared_data`), clean
    python bench/oracle.py --ann FILE.json --noisy --seed 1  # clip(0.8·maps + N(0, 0.03), 0, 1)
    python bench/oracle.py --attach-from --singles           # our grouping options
    python bench/oracle.py --ann testdata/mmpose/crowdpose/test_crowdpose.json   # CrowdPose: also AP easy/medium/hard

`e2e_img_s` is images per second from the rendered outputs to the COCO records (fusion, peaks, grouping, output),
rendering and pycocotools excluded; each image is timed `--repeat` times and its fastest run kept, so that other
jobs on the machine disturb the figure less. The last line is
`oracle AP=<v> AP50=<v> AR=<v> e2e_img_s=<v>`, with `APeasy=<v> APmedium=<v> APhard=<v>` before `e2e_img_s` for
ground truth with CrowdPose's crowd index."""
import argparse, sys
from pathlib import Path
import torch

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--ann', default=None, help='COCO keypoint JSON of any skeleton (default: COCO-MINI)')
    p.add_argument('--noisy', action='store_true', help='clip(0.8·maps + N(0, 0.03), 0, 1), independently for image and mirror')
    p.add_argument('--seed', type=int, default=0, help='noise seed')
    p.add_argument('--limit', type=int, default=None, help='only the first N images')
    p.add_argument('--repeat', type=int, default=3, help='time each image this many times, keep the fastest')
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    p.add_argument('--attach-from', action='store_true', help="grouping option: attach a limb's from-keypoint to the person holding its to-keypoint")
    p.add_argument('--singles', action='store_true', help='grouping option: leftover keypoints become one-keypoint people')
    p.add_argument('--person-score', default='total', choices=['total', 'mean'], help='1 − 1/total (original) or total/#parts')
    p.add_argument('--table', action='store_true', help="print pycocotools' table")
    a = p.parse_args(argv)
    if a.ann is None:
        import warnings
        from simplepose.files import shared_data
        with warnings.catch_warnings(): warnings.simplefilter('ignore'); a.ann = shared_data('coco-mini', 'annotations', 'person_keypoints_train2017.json')
        if a.ann is None:
            print('skipped: COCO-MINI not found (set $SIMPLEPOSE_DATA, or pass --ann FILE.json)')
            return 0
    if not Path(a.ann).exists():
        print(f'skipped: {a.ann} not found (pass --ann FILE.json)')
        return 0
    torch.set_num_threads(a.threads)
    from simplepose.eval import run_oracle
    from simplepose.contract import Tally
    run_oracle(a.ann, limit=1, tally=Tally(quiet=True))  # warm-up: first-call costs are not post-processing
    r = run_oracle(a.ann, noise=0.03 if a.noisy else 0.0, seed=a.seed, limit=a.limit, verbose=a.table, repeat=a.repeat,
                   attach_from=a.attach_from, singles=a.singles, person_score=a.person_score)
    print(f"{a.ann}: skeleton {r['skeleton']}, {r['n_images']} images, {r['n_people']} people found, "
          f"noise={'0.03' if a.noisy else '0'} seed={a.seed}, median e2e {r['e2e_ms']:.2f} ms/img")
    crowd = ''.join(f" AP{k.split('_')[1]}={r[k]:.3f}" for k in ('AP_easy', 'AP_medium', 'AP_hard') if k in r)
    print(f"oracle AP={r['AP']:.3f} AP50={r['AP50']:.3f} AR={r['AR']:.3f}{crowd} e2e_img_s={r['e2e_img_s']:.0f}")
    return 0

if __name__ == '__main__': sys.exit(main())
