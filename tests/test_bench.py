"""Short versions of the benchmark scripts, so `make test` keeps them working; the full figures come from running them by hand."""
import re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

def test_skeletons_quick(tmp_path):
    "bench/skeletons.py --quick: trains and evaluates a tiny IMHN on synthetic CrowdPose-layout and body13 people"
    r = subprocess.run([sys.executable, ROOT/'bench'/'skeletons.py', '--quick', '--out', str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    names = re.findall(r'^skeleton=(\S+) AP=[\d.]+ minutes=[\d.]+$', r.stdout, re.M)
    assert sorted(names) == ['body13', 'crowdpose'], r.stdout
    assert 'Traceback' not in r.stderr, r.stderr[-3000:]
