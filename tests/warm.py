"""Commands started warm: each `simplepose-*` run of the contract tests, and each benchmark's short run
(`python bench/X.py --quick`, tests/test_bench.py), is a process forked from one that has already imported the
commands' modules, instead of a new Python importing torch, fastai and simplepose again.

Why: the contract and fault tests run about 250 commands on tiny inputs, and a command's start (Python, torch, fastai,
simplepose: 2-4 s on a 2-core machine) was most of each run and over a third of the whole suite's time. A fork of a
warm process starts in milliseconds.

What stays as a user's run: the child is a new process with its own pid, working folder, environment (temporary folder included), argv, stdin,
stdout and stderr (pipes, as `subprocess` gives), it runs the installed console script or the benchmark's file itself (as `__main__`, as
Python runs it) and ends through the interpreter's normal exit, so exit codes,
signals (SIGTERM, SIGINT, SIGSTOP), threads, atexit handlers, temporary files and locks behave as in a cold start.
The one step of a normal exit left out is tearing down the modules (over a second for the thousands that torch and
fastai bring): objects still referenced then are not finalized, which can only make a half-written file show. What a warm
start cannot show, the cold start itself (imports, their warnings, the script wrapper), is run cold by the README test
(tests/test_readme.py), the notebooks' command cells and tests/test_sync.py; `SIMPLEPOSE_TEST_COLD=1` runs these
tests cold too. A run whose environment changes what Python or OpenMP read at start (`PYTHON*`, `OMP_*`, `MKL_*`,
`GOMP_*`, `LD_PRELOAD`) is started cold.

The warm process (`python tests/warm.py`, one per pytest worker) is single-threaded (it forks only from its main
thread, with no other thread alive) and takes requests over a Unix socket: argv, folder and environment as JSON, the
three standard streams as file descriptors (`socket.send_fds`). It answers each with the child's pid, and later its
exit status. Where it cannot run (no Unix sequenced-packet sockets: macOS, Windows), every command starts cold.

Notebook kernels (tests/test_notebooks.py) start the same way from a second warm process, which has imported ipykernel,
torch and the libraries simplepose builds on (`KERNEL_PRELOAD`), but neither matplotlib (a kernel chooses its backend
as it starts) nor simplepose (its import errors belong on the notebook's page). The child becomes what
`python -m ipykernel_launcher -f FILE` is: a session of its own (jupyter_client signals the kernel's process group), the
notebook's folder, environment, `sys.path` and temporary folder. If importing those libraries warned, or imported
matplotlib, or failed, every kernel starts cold and the report says why: a warning a cold kernel would show on the page
is never hidden. Kernels saved about 2 s each (27 s over the 33 notebooks)."""
import atexit, importlib, json, os, runpy, select, signal, socket, subprocess, sys, tempfile, threading, time
from pathlib import Path

BIN = Path(sys.executable).parent
COLD = os.environ.get('SIMPLEPOSE_TEST_COLD') == '1'
_STARTUP = ('PYTHON', 'OMP_', 'MKL_', 'GOMP_', 'LD_PRELOAD') # what Python and OpenMP read at start (OpenCV and OpenMP set
# LD_LIBRARY_PATH and KMP_* themselves when imported, in a cold start as in the warm process)
BASE = {'OMP_NUM_THREADS': '1', 'PYTHONIOENCODING': 'utf-8'}  # what the tests' commands run with, over the suite's environment

def startup_env(env:dict) -> dict:
    "What of `env` Python and OpenMP read at start: a run starts warm only where it equals the warm process's"
    return {k: v for k, v in env.items() if k.startswith(_STARTUP)}

# ------------------------------------------------------------------------------------------------ the warm process
def _commands() -> dict:
    "The installed `simplepose-*` console scripts: name → entry point"
    from importlib.metadata import entry_points
    return {ep.name: ep for ep in entry_points(group='console_scripts') if ep.name.startswith('simplepose-')}

def _exit_code(code) -> int:
    "The exit status `sys.exit(code)` gives, as the interpreter reports it"
    if code is None: return 0
    if isinstance(code, int): return code & 0xff
    print(code, file=sys.stderr); return 1

def _become(req:dict, fds:list, path0:str):
    """What a new interpreter would start with: default signal handling, the streams, folder and environment given, a
    temporary folder chosen from that environment, and `path0` first on `sys.path`"""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for i, fd in enumerate(fds): os.dup2(fd, i)
    for fd in fds: os.close(fd)
    os.chdir(req['cwd'])
    os.environ.clear(); os.environ.update(req['env'])
    tempfile.tempdir = None  # the warm process's imports chose theirs; a new interpreter reads TMPDIR afresh
    sys.path[0] = path0

def _end(code:int, interrupted:bool=False):
    """The interpreter's exit, but for tearing down the modules (a second, for the warm process's thousands of them):
    threads joined, atexit handlers, streams flushed"""
    threading._shutdown()
    atexit._run_exitfuncs()
    for f in (sys.stdout, sys.stderr): f.flush()
    if interrupted: signal.signal(signal.SIGINT, signal.SIG_DFL); os.kill(os.getpid(), signal.SIGINT)  # as Python ends on Ctrl-C
    os._exit(code)

def _child(req:dict, fds:list, started:int):
    "Become the command: its installed script run as `python SCRIPT` runs it (the script's folder first on `sys.path`); exit"
    os.close(started)
    _become(req, fds, str(Path(req['argv'][0]).parent))
    sys.argv, code, interrupted = req['argv'], 0, False
    try: runpy.run_path(req['argv'][0], run_name='__main__')  # the script ends in `sys.exit(main())`
    except SystemExit as e: code = _exit_code(e.code)
    except KeyboardInterrupt: sys.excepthook(*sys.exc_info()); interrupted = True
    except BaseException: sys.excepthook(*sys.exc_info()); code = 1
    _end(code, interrupted)

def _kernel_child(req:dict, fds:list, started:int):
    """Become a notebook's kernel as `python -m ipykernel_launcher -f FILE` starts it: a session of its own (the signals of
    interrupts and shutdowns go to its group), the working folder first on `sys.path` (as `-m` puts it); exit"""
    os.setsid(); os.close(started)
    _become(req, fds, req['cwd'])
    sys.argv, code = [req['argv'][2], *req['argv'][3:]], 0
    try: runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)
    except SystemExit as e: code = _exit_code(e.code)
    except BaseException: sys.excepthook(*sys.exc_info()); code = 1
    _end(code)

def _preload_kernels() -> str:
    "Import what a notebook's kernel would import at its start and first cells; why a kernel cannot start warm from here, or ''"
    import warnings
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter('always')
        try:
            for m in KERNEL_PRELOAD: importlib.import_module(m)
        except Exception as e: return f'{type(e).__name__}: {e}'
    if said: return f'importing them warned: {said[0].message}'  # a cold kernel would show it on the page: never hide it
    if 'matplotlib' in sys.modules: return 'matplotlib was imported (its backend must be chosen by the kernel)'
    return ''

def _serve(sock:socket.socket, kind:str='commands'):
    if kind == 'kernels':
        if why := _preload_kernels(): sock.sendall(json.dumps({'ready': False, 'why': why}).encode()); return
    else:
        for ep in _commands().values(): ep.load()  # import every command's module once, here
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C of the test run reaches the children, not this server
    sock.sendall(b'{"ready": true}')
    running = {}
    while True:
        ready, _, _ = select.select([sock, wake_r], [], [], 1.0)
        if wake_r in ready: os.read(wake_r, 4096)
        while running:  # reap what ended
            try: pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError: break
            if not pid: break
            sock.sendall(json.dumps({'id': running.pop(pid), 'status': os.waitstatus_to_exitcode(status)}).encode())
        if sock not in ready: continue
        try: msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 3)
        except ConnectionResetError: msg = b''
        if not msg: return  # the tests are done
        req = json.loads(msg)
        sys.stdout.flush(); sys.stderr.flush()
        started_r, started_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            sock.close(); os.close(wake_r); os.close(wake_w); os.close(started_r)
            (_kernel_child if kind == 'kernels' else _child)(req, fds, started_w)
        os.close(started_w)
        os.read(started_r, 1); os.close(started_r)  # the child has its own session (a kernel) before its pid is given out
        for fd in fds: os.close(fd)
        running[pid] = req['id']
        sock.sendall(json.dumps({'id': req['id'], 'pid': pid}).encode())

# ------------------------------------------------------------------------------------------------ the client
class _Server:
    "A warm process of this pytest worker ('commands' or 'kernels'), and the messages it sent"
    def __init__(self, kind:str='commands'):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**os.environ, **BASE} if kind == 'commands' else dict(os.environ)  # kernels: the notebook tests' environment
        self.env = startup_env(env)
        self.proc = subprocess.Popen([sys.executable, __file__, str(theirs.fileno()), kind], pass_fds=[theirs.fileno()],
                                     env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=BIN.parent)
        theirs.close()
        ready = json.loads(self.sock.recv(1 << 16) or b'{}')
        if not ready.get('ready'): self.proc.wait(); raise _NotWarm(ready.get('why', 'the warm process did not start'))
        self.names = set(_commands())
        self.pids, self.status, self.cond, self.next = {}, {}, threading.Condition(), 0
        self.lock = threading.Lock()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self):
        while True:
            msg = self.sock.recv(1 << 16)
            if not msg: return
            m = json.loads(msg)
            with self.cond:
                if 'pid' in m: self.pids[m['id']] = m['pid']
                else: self.status[m['id']] = m['status']
                self.cond.notify_all()

    def start(self, argv:list, cwd, env:dict, fds:list) -> int:
        with self.lock:
            self.next += 1; i = self.next
            socket.send_fds(self.sock, [json.dumps({'id': i, 'argv': argv, 'cwd': str(cwd), 'env': env}).encode()], fds)
        return i

    def wait(self, i:int, key:str, timeout=None):
        table = self.pids if key == 'pid' else self.status
        with self.cond:
            if not self.cond.wait_for(lambda: i in table, timeout): return None
            return table[i]

class _NotWarm(Exception): "The warm process could not prepare itself (the reason): what it would start starts cold"

_servers, _cold_why = {}, {}
def _get_server(kind:str='commands') -> _Server|None:
    "This worker's warm process of `kind`, started on first use; None where it cannot run (no SOCK_SEQPACKET Unix sockets: macOS, Windows)"
    if COLD or kind in _cold_why: return None
    if (s := _servers.get(kind)) is None or s.proc.poll() is not None:
        try: s = _servers[kind] = _Server(kind)
        except (OSError, AttributeError, _NotWarm) as e: _cold_why[kind] = str(e); return None # all of this kind then start cold
    return s

class WarmPopen:
    "A `subprocess.Popen` of a `simplepose-*` command forked from the warm process; the part of its API the tests use"
    def __init__(self, args, cwd=None, env=None, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE):
        self.args, self.returncode, s = [str(a) for a in args], None, _get_server()
        env = dict(os.environ if env is None else env)
        null = os.open(os.devnull, os.O_RDONLY)
        (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
        self._id, self._s = s.start(self.args, cwd or os.getcwd(), env, [null, out_w, err_w]), s
        for fd in (null, out_w, err_w): os.close(fd)
        self.stdout = open(out_r, 'r' if text else 'rb', encoding='utf-8' if text else None)
        self.stderr = open(err_r, 'r' if text else 'rb', encoding='utf-8' if text else None)
        self.pid = s.wait(self._id, 'pid', 60)
        assert self.pid, 'the warm process did not start the command'

    def poll(self):
        if self.returncode is None: self.returncode = self._s.wait(self._id, 'status', 0)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = self._s.wait(self._id, 'status', timeout)
            if self.returncode is None: raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig):
        if self.poll() is None: os.kill(self.pid, sig)
    def terminate(self): self.send_signal(signal.SIGTERM)
    def kill(self): self.send_signal(signal.SIGKILL)

    def communicate(self, timeout=None):
        "Both streams to their end and the exit status, as `subprocess.Popen.communicate`"
        out, err = [], []
        readers = [threading.Thread(target=lambda f, b: b.append(f.read()), args=a, daemon=True) for a in ((self.stdout, out), (self.stderr, err))]
        for t in readers: t.start()
        t0 = time.monotonic()
        for t in readers:
            t.join(None if timeout is None else max(0, timeout - (time.monotonic() - t0)))
            if t.is_alive(): self.kill(); raise subprocess.TimeoutExpired(self.args, timeout)
        self.wait(None if timeout is None else max(1, timeout - (time.monotonic() - t0)))
        self.stdout.close(); self.stderr.close()
        return out[0], err[0]

STARTS = {'warm': 0, 'cold': 0, 'kernels warm': 0, 'kernels cold': 0} # this process's starts, for the report's line (tests/conftest.py)

# ------------------------------------------------------------------------------------------------ notebook kernels
# What a notebook kernel imports first (most notebooks import torch through simplepose): ipykernel itself, torch and the
# libraries simplepose builds on. Not matplotlib: a kernel chooses its backend when it starts. Not simplepose: its import
# errors belong on the notebook's page.
KERNEL_PRELOAD = ('ipykernel.kernelapp', 'ipykernel.ipkernel', 'torch', 'numpy', 'cv2', 'scipy.ndimage', 'scipy.optimize', 'h5py',
                  'safetensors.torch', 'PIL.Image')

class WarmKernel(WarmPopen):
    "A notebook kernel (`python -m ipykernel_launcher -f FILE`) forked from the kernels' warm process: the `Popen` API jupyter_client uses"
    def __init__(self, cmd, env:dict, cwd):
        s = _get_server('kernels')
        self.args, self.returncode, self._s, self.stdin, self.stdout, self.stderr = list(cmd), None, s, None, None, None
        env = {**env, 'JPY_PARENT_PID': str(s.proc.pid)}  # its parent: the kernel ends if that one does (ipykernel's poller)
        null = os.open(os.devnull, os.O_RDONLY)
        self._id = s.start(self.args, cwd or os.getcwd(), env, [null, sys.stdout.fileno(), sys.stderr.fileno()])
        os.close(null)
        self.pid = s.wait(self._id, 'pid', 60)
        assert self.pid, 'the warm process did not start the kernel'

def launch_kernel(cmd:list, stdin=None, stdout=None, stderr=None, env=None, independent=False, cwd=None, **kw):
    "jupyter_client's `launch_kernel`, forking the kernel from a warm process where it can (the same environment at start)"
    from jupyter_client.launcher import launch_kernel as cold
    env = dict(os.environ if env is None else env)
    ok = (list(cmd[:3]) == [sys.executable, '-m', 'ipykernel_launcher'] and stdout is None and stderr is None and not independent
          and (s := _get_server('kernels')) is not None and startup_env(env) == s.env)
    STARTS['kernels warm' if ok else 'kernels cold'] += 1
    if ok: return WarmKernel(cmd, env, cwd)
    return cold(cmd, stdin=stdin, stdout=stdout, stderr=stderr, env=env, independent=independent, cwd=cwd, **kw)

def cold_reasons() -> dict: return dict(_cold_why)

def _script(args) -> list|None:
    "`python SCRIPT ARGS…` run by this interpreter: the `sys.argv` the script gets (`[SCRIPT, ARGS…]`), else None"
    if len(args) > 1 and str(args[0]) == sys.executable and str(args[1]).endswith('.py') and Path(args[1]).is_file(): return list(args[1:])

def warm(args, env=None) -> bool:
    """Whether `args` can start warm: a `simplepose-*` command or `python SCRIPT` (the benchmarks), in an environment
    that agrees with the warm process's at start"""
    s = _get_server()
    ok = (s is not None and (Path(str(args[0])).name in s.names or _script(args) is not None)
          and startup_env(os.environ if env is None else env) == s.env)
    STARTS['warm' if ok else 'cold'] += 1
    return ok

def popen(args, cwd=None, env=None, text=True, **kw):
    "`WarmPopen` where the run can start warm, else `subprocess.Popen` (stdout and stderr piped)"
    if warm(args, env): return WarmPopen(_script(args) or args, cwd=cwd, env=env, text=text)
    return subprocess.Popen([str(a) for a in args], cwd=cwd, env=env, text=text, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, **kw)

def run(args, cwd=None, env=None, timeout=None, text=True) -> subprocess.CompletedProcess:
    "`subprocess.run(args, capture_output=True)`, started warm where it can be"
    p = popen(args, cwd=cwd, env=env, text=text)
    try: out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired: p.kill(); p.wait(); raise
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)

if __name__ == '__main__':
    _serve(socket.socket(fileno=int(sys.argv[1])), *sys.argv[2:])
