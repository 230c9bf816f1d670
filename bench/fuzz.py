"""Grouping fuzz test: `decode` on 50 000 seeded random maps of grids up to 24 cells a side must never raise and must give
well-formed people (finite coordinates, scores above the threshold, enough parts). About ten minutes on one CPU core;
the notebook `08b_testing` runs 3000 smaller cases.

    python bench/fuzz.py                 # 50 000 cases, seed 2, grids up to 24 cells
    python bench/fuzz.py --n 5000 --seed 3
    python bench/fuzz.py --n 5000 --layout crowdpose   # the maps of another skeleton (coco, crowdpose, body13)

The last line is `fuzz n=<cases> people=<total> seconds=<wall>`; the exit status is 1 when a case fails."""
import argparse, sys, time
import torch

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=50000, help='number of cases')
    p.add_argument('--seed', type=int, default=2, help='seed of the random maps')
    p.add_argument('--max-cells', type=int, default=24, help='largest grid side')
    p.add_argument('--layout', default='coco', help="the maps' skeleton: a layout of simplepose.synth (coco, crowdpose, body13)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    from simplepose.testing import fuzz_decode
    from simplepose.synth import layout_of
    skeleton = layout_of(a.layout)[0]
    t0 = time.perf_counter()
    try: counts = fuzz_decode(a.n, a.seed, a.max_cells, skeleton)
    except AssertionError as e:
        print(f'fuzz failed: {e}', file=sys.stderr)
        return 1
    print(f'fuzz n={len(counts)} people={sum(counts)} seconds={time.perf_counter() - t0:.0f}' + (f' layout={a.layout}' if a.layout != 'coco' else ''))
    return 0

if __name__ == '__main__': sys.exit(main())
