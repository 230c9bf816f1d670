"""Speed of the synthetic dataset writer: 200 images of 256×256 (drawing, annotations, JPEG files, JSON) on one core.

Prints `images_s=<median over 5 runs>` (wall clock) and, for loaded machines, the same rate from process CPU time."""
import os, statistics, sys, tempfile, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
import cv2
cv2.setNumThreads(1)
from simplepose.synth import make_synth_coco

def bench(n:int=200, size:int=256, runs:int=5):
    wall, cpu = [], []
    for r in range(runs):
        with tempfile.TemporaryDirectory() as d:
            t, c = time.perf_counter(), time.process_time()
            make_synth_coco(d, n, seed=r, size=size)
            wall.append(n / (time.perf_counter() - t)); cpu.append(n / (time.process_time() - c))
    return statistics.median(wall), statistics.median(cpu)

if __name__ == '__main__':
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    w, c = bench(n)
    print(f'images_s={w:.0f} cpu_images_s={c:.0f} (n={n}, 256x256, 1 thread)')
