"""Every command of README.md, run as pasted, in README order, in a scratch folder that holds what a clone holds.

Each shell line and each Python block of the README is either run here or named in `NOT_HERE` with the reason; a
new README line that is neither fails the test, so the README cannot drift from what runs. What stands in for what a
user has:
- the published weights (`simplepose-coco`) come from a loopback server through `SIMPLEPOSE_WEIGHTS_MIRROR`: the full
  network in the published layout (random values), so the download, the check, the conversion and the cache are real;
- `my_photos/`, `my_video.mp4` (the README's placeholders) and `coco/` (what the README's `curl`/`unzip` lines fetch)
  are made from the four COCO photos and annotations in `testdata/mmpose/coco` (the placeholders cut to a phone's
  portrait shapes: 3:4 photos, 9:16 video);
- `_quickstart/weights.safetensors` (what `make quickstart` writes) is the quickstart's compact network with random
  values, saved with its configuration as the quickstart saves it.

Lines that take long with the full network on a CPU (`HEAVY`) run only with `SIMPLEPOSE_README_ALL=1`;
`SIMPLEPOSE_README_TRANSCRIPT=file` writes every line run, its exit code and its output to `file`."""
import json, os, re, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path
import cv2, pytest
from simplepose.model import IMHN, save_safetensors

ROOT = Path(__file__).parent.parent
COCO4 = ROOT/'testdata'/'mmpose'/'coco'
ALL = os.environ.get('SIMPLEPOSE_README_ALL') == '1'
TRANSCRIPT = os.environ.get('SIMPLEPOSE_README_TRANSCRIPT') # a file to write each line, its exit code and its output to

NOT_HERE = { # a README line (a regular expression of it) → why this test does not run it
    r'git clone .*': 'the test runs inside the clone',
    r'cd simplepose': 'the test runs inside the clone',
    r'make test': 'this is make test',
    r'curl -L -o coco/.*': 'no network here: coco/ is made from testdata/mmpose/coco',
    r'unzip -q -d coco .*': 'no network here: coco/ is made from testdata/mmpose/coco',
}
HEAVY = { # lines run only with SIMPLEPOSE_README_ALL=1, and why
    r'make quickstart': 'about 10 minutes',
    r'simplepose-predict my_photos/ --weights simplepose-coco --scales .*': 'four scales of the full network',
    r'simplepose-eval --weights simplepose-coco .*--scales 0.5 1 1.5 2 3': 'five scales of the full network',
    r'accelerate launch --multi_gpu .*': 'the full network trained on the CPU',
    r'simplepose-export --weights simplepose-coco .*--int8 .*': 'quantizes the full network and measures its AP (minutes)',
    r'simplepose-predict my_photos/ --weights simplepose-coco --backend openvino-int8': 'needs the int8 graph the line above makes',
}
EXIT = {r'simplepose-predict 0 --weights simplepose-coco': (0, 1, 2)} # a camera: 0 where there is one, else one line

def readme_blocks(text:str) -> list:
    "The README's fenced `sh` and `python` blocks, in order: `(language, code)`"
    return re.findall(r'^```(sh|python)\n(.*?)^```', text, re.M | re.S)

def sh_lines(code:str) -> list:
    "The commands of a shell block, one per line, comments kept"
    return [l for l in code.splitlines() if l.strip() and not l.lstrip().startswith('#')]

def match(line:str, table:dict):
    "The reason `table` gives for `line`, or None"
    cmd = line.split('  #')[0].strip()
    return next((why for pat, why in table.items() if re.fullmatch(pat, cmd)), None)

def test_lines_paste_and_tables_are_current():
    "No line carries usage-style brackets, and every line named above is still in the README"
    lines = [l for lang, c in readme_blocks((ROOT/'README.md').read_text()) if lang == 'sh' for l in sh_lines(c)]
    assert lines, 'no shell lines found: is README.md built?'
    assert not [l for l in lines if re.search(r'\[--|<[a-z_ ]+>', l.split('  #')[0])], 'brackets or <placeholders> cannot be pasted'
    for pat in [*NOT_HERE, *HEAVY, *EXIT]: assert any(match(l, {pat: 1}) for l in lines), f'{pat} is in no README line any more'

def portrait(img, aspect:float):
    """The middle of a photo cut to a phone's portrait shape (width / height = `aspect`): the network sees its height at
    512 px, so 3:4 runs at 512 × 384 and 9:16 at 512 × 320 (padded), where a whole 3:2 photo runs at 512 × 832"""
    h, w = img.shape[:2]
    cw = min(w, 2 * round(h * aspect / 2))  # even, as video codecs want
    return img[:, (w - cw) // 2:(w - cw) // 2 + cw]

def video(path:Path, frame_file:Path, n:int=1):
    "A short vertical MP4 (9:16, as phones film) of one photo's middle (one frame: each frame is a forward of the full network)"
    img = portrait(cv2.imread(str(frame_file)), 9 / 16)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 5, (img.shape[1], img.shape[0]))
    for _ in range(n): w.write(img)
    w.release()

def sandbox(tmp:Path) -> Path:
    "A folder that looks like the clone to the README's commands, with the user's placeholders in it"
    for name in ('.venv', 'testdata'):
        (tmp/name).symlink_to(ROOT/name)
    photos = sorted(COCO4.glob('*.jpg'))
    (tmp/'my_photos').mkdir(); cv2.imwrite(str(tmp/'my_photos'/photos[0].name), portrait(cv2.imread(str(photos[0])), 3 / 4))  # a phone photo's shape
    video(tmp/'my_video.mp4', photos[1])
    data = json.loads((COCO4/'test_coco.json').read_text())
    for split in ('train2017', 'val2017'):
        (tmp/'coco'/split).mkdir(parents=True)
        for p in photos: shutil.copy(p, tmp/'coco'/split)
    (tmp/'coco'/'annotations').mkdir()
    for split in ('train2017', 'val2017'): (tmp/'coco'/'annotations'/f'person_keypoints_{split}.json').write_text(json.dumps(data))
    from simplepose.quickstart import QUICKSTART  # brings fastai: imported by the worker that runs this test only
    (tmp/'_quickstart').mkdir()
    save_safetensors(IMHN.of(QUICKSTART), tmp/'_quickstart'/'weights.safetensors', cfg=QUICKSTART)
    return tmp

def run_line(line:str, cwd:Path, env:dict) -> subprocess.CompletedProcess:
    "Run one README line in bash, with the venv active as the README says to make it"
    return subprocess.run(['bash', '-c', f'source .venv/bin/activate && {line}'], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)

class Python:
    "One Python process for the README's Python blocks, run in order in one namespace, as a user pastes them into one session"
    DRIVER = ("import json, sys, traceback\ng = {'__name__': '__main__'}\nfor line in sys.stdin:\n"
              "    try: exec(compile(json.loads(line), '<README>', 'exec'), g); ok = 0\n"
              "    except BaseException: traceback.print_exc(); ok = 1\n"
              "    sys.stdout.flush(); print(f'\\n@@ended {ok}', file=sys.stderr, flush=True)\n")
    def __init__(self, cwd:Path, env:dict):
        self.out = tempfile.TemporaryFile('a+') # appended to by the process, read here by offset
        self.p = subprocess.Popen([sys.executable, '-c', self.DRIVER], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=self.out,
                                  stderr=subprocess.PIPE, text=True)

    def run(self, code:str) -> subprocess.CompletedProcess:
        "Run one block after the ones before it; its exit status (1 on an exception), stdout and stderr"
        at = os.fstat(self.out.fileno()).st_size
        self.p.stdin.write(json.dumps(code) + '\n'); self.p.stdin.flush()
        err, timer = [], threading.Timer(600, self.p.kill) # a block that hangs ends the process, and with it the loop below
        timer.start()
        for line in self.p.stderr:
            if line.startswith('@@ended '): break
            err.append(line)
        else: timer.cancel(); return subprocess.CompletedProcess(code, self.p.wait(), '', ''.join(err))  # the process ended
        timer.cancel()
        out = os.pread(self.out.fileno(), os.fstat(self.out.fileno()).st_size - at, at).decode()
        return subprocess.CompletedProcess(code, int(line.split()[1]), out, ''.join(err))

    def close(self): self.p.stdin.close(); self.p.wait(60); self.out.close()

def log(cmd:str, r, secs:float):
    "Append `cmd`, its exit code, its time and its output to the transcript file"
    with open(TRANSCRIPT, 'a') as f: f.write(f'$ {cmd}\n{r.stdout}{r.stderr}[exit {r.returncode}, {secs:.1f} s]\n\n')

def test_readme_as_pasted(served, tmp_path):
    box = sandbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ('VIRTUAL_ENV', 'MAKEFLAGS', 'MAKELEVEL')}
    env.update(SIMPLEPOSE_WEIGHTS_MIRROR=served.url, SIMPLEPOSE_CACHE=str(tmp_path/'cache'), OMP_NUM_THREADS='1')
    ran, python = [], Python(box, env)
    for lang, code in readme_blocks((ROOT/'README.md').read_text()):
        if lang == 'python':
            t = time.perf_counter(); r = python.run(code) # state flows down the page: each block runs after the ones above it
            assert r.returncode == 0 and 'Traceback' not in r.stderr, f'README python block:\n{code}\n{r.stderr[-3000:]}'
            ran.append(code.splitlines()[0])
            if TRANSCRIPT: log(code, r, time.perf_counter() - t)
            continue
        for line in sh_lines(code):
            if match(line, NOT_HERE) or (match(line, HEAVY) and not ALL): continue
            t = time.perf_counter(); r = run_line(line, ROOT if line.startswith('make ') else box, env) # make works on the clone itself
            if TRANSCRIPT: log(line, r, time.perf_counter() - t)
            if match(line, HEAVY): continue # run for the transcript: its figures are the issue notes'
            codes = next((c for p, c in EXIT.items() if re.fullmatch(p, line.split('  #')[0].strip())), (0,))
            assert r.returncode in codes and 'Traceback' not in r.stderr, f'{line}\nexit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}'
            if r.returncode: assert len(r.stderr.strip().splitlines()) == 1, f'{line}: {r.stderr}'
            if line.startswith('make install'): # a second run installs nothing
                assert subprocess.run(['make', '-q', 'install'], cwd=ROOT).returncode == 0, 'make install would install again'
            ran.append(line)
    python.close()
    assert served.gets == 1, f'the published weights were fetched {served.gets} times'
    assert (box/'predictions'/'000000000785.jpg').exists() and (box/'predictions'/'predictions.json').exists()
    assert len(ran) >= 12, ran
