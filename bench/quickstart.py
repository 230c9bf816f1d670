"""The full quickstart with its goal checked: AP ≥ 0.6 on held-out synthetic people within 10 minutes on 2 CPU cores.

    python bench/quickstart.py                     # about 10 minutes on a quiet machine; longer on a busy one, same AP
    python bench/quickstart.py --out /tmp/qs

It is `make quickstart` (the same `simplepose.quickstart.quickstart`, same seeds and defaults) plus the checks the
quickstart notebook leaves out because they take the whole budget. It prints the quickstart's own lines and ends with
`bench quickstart: AP=<value> wall=<seconds>s` and exit code 0, or names the goal it missed and exits 1. The quickstart
trains a fixed number of steps on one thread, so its AP does not depend on the load; only the wall time does."""
import argparse, sys
from simplepose.quickstart import quickstart

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='_quickstart_bench', help='output folder')
    a = p.parse_args()
    m = quickstart(a.out)
    missed = [f'wall {m["wall_s"]:.0f}s > 600s (a busy machine takes longer)'] * (m['wall_s'] > 600) + \
             [f'AP {m["AP"]:.3f} < 0.6 after {m["steps"]} steps'] * (m['AP'] < 0.6)
    print(f'bench quickstart: AP={m["AP"]:.3f} wall={m["wall_s"]:.0f}s' + (f' MISSED: {"; ".join(missed)}' if missed else ''))
    sys.exit(1 if missed else 0)
