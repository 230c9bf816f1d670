"""IMHN latency: the published network at 512² on CPU (eager and faster modes), the tiny one, bf16 on GPU.

    python bench/model.py                 # eager, inference_mode, channels_last (about 1–2 min on 2 cores)
    python bench/model.py --compile       # also torch.compile (adds minutes of compilation per network)
    python bench/model.py --runs 5 --size 384

Prints one line per measurement (`<net> <mode> <size>: median=...`) and a summary line last."""
import argparse, statistics, time
import torch
from simplepose.model import IMHN

def modes(model, compile_:bool):
    "(name, callable, input transform) for each way of running `model` on CPU"
    def no_grad(x):
        with torch.no_grad(): return model(x)
    def inference(x):
        with torch.inference_mode(): return model(x)
    out = [('eager', no_grad, lambda x: x), ('inference_mode', inference, lambda x: x)]
    cl = IMHN(**model.config, init=False).eval()
    cl.load_state_dict(model.state_dict()); cl = cl.to(memory_format=torch.channels_last)
    def channels_last(x):
        with torch.inference_mode(): return cl(x)
    out.append(('channels_last', channels_last, lambda x: x.contiguous(memory_format=torch.channels_last)))
    if compile_:
        compiled = torch.compile(model)
        def comp(x):
            with torch.inference_mode(): return compiled(x)
        out.append(('compile', comp, lambda x: x))
    return out

def bench_cpu(name, model, size, runs, compile_) -> dict:
    "Median latency per mode; runs are interleaved across modes so that varying machine load hits all alike"
    x = torch.rand(1, 3, size, size)
    ms = [(mode, fn, prep(x)) for mode, fn, prep in modes(model.eval(), compile_)]
    for mode, fn, xi in ms:
        t0 = time.perf_counter(); fn(xi)
        if mode == 'compile': print(f'{name} compile {size}: compilation {time.perf_counter() - t0:.0f}s', flush=True)
    ts = {mode: [] for mode, _, _ in ms}
    for _ in range(runs):
        for mode, fn, xi in ms:
            t0 = time.perf_counter(); fn(xi); ts[mode].append(time.perf_counter() - t0)
    res = {mode: statistics.median(t) for mode, t in ts.items()}
    for mode, t in res.items():
        unit, k = ('s', 1) if t >= 1 else ('ms', 1000)
        print(f'{name} {mode} {size}: median={t * k:.3f}{unit} over {runs} runs', flush=True)
    best = min(res, key=res.get)
    unit, k = ('s', 1) if res[best] >= 1 else ('ms', 1000)
    print(f'{name} fastest({best}) {size}: median={res[best] * k:.3f}{unit} ({res["eager"] / res[best]:.2f}× eager)', flush=True)
    return res

def bench_cuda(model, size=512, batch=8, runs=10) -> float:
    "bf16 autocast throughput in images/s"
    net = model.cuda().eval().to(memory_format=torch.channels_last)
    x = torch.rand(batch, 3, size, size, device='cuda').contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), torch.autocast('cuda', dtype=torch.bfloat16):
        for _ in range(3): net(x)
        torch.cuda.synchronize(); t0 = time.perf_counter()
        for _ in range(runs): net(x)
        torch.cuda.synchronize()
    return runs * batch / (time.perf_counter() - t0)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', type=int, default=512, help='input size of the published network')
    p.add_argument('--tiny-size', type=int, default=256, help='input size of the tiny network')
    p.add_argument('--runs', type=int, default=3)
    p.add_argument('--compile', action='store_true', help='also measure torch.compile (slow to compile)')
    a = p.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads', flush=True)
    tiny = bench_cpu('tiny', IMHN.tiny(), a.tiny_size, max(a.runs, 10), a.compile)
    full = bench_cpu('full', IMHN(), a.size, a.runs, a.compile)
    gpu = ''
    if torch.cuda.is_available():
        ips = bench_cuda(IMHN(), a.size)
        print(f'full cuda bf16 {a.size}: {ips:.1f} img/s ({torch.cuda.get_device_name()})')
        gpu = f', GPU bf16 {ips:.1f} img/s'
    bf, bt = min(full, key=full.get), min(tiny, key=tiny.get)
    print(f'summary: full {a.size}² eager {full["eager"]:.2f}s, fastest {bf} {full[bf]:.2f}s; '
          f'tiny {a.tiny_size}² eager {tiny["eager"] * 1000:.0f}ms, fastest {bt} {tiny[bt] * 1000:.0f}ms{gpu}')
