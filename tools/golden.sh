#!/usr/bin/env bash
# The outputs a refactor must keep byte for byte: run before and after, then `diff BEFORE/summary.txt AFTER/summary.txt`.
#
#     bash tools/golden.sh OUT [WEIGHTS]   # WEIGHTS: a checkpoint made before the change, predicted with the code after it
#
# It runs, on one thread: the quickstart for 400 steps on a small synthetic set, simplepose-predict with its weights
# (torch and auto backends, two scales, --singles --person-score mean), simplepose-eval on 20 coco-mini images and with
# --results, the three oracle runs, a 2-epoch simplepose-train and its resume with --digest, simplepose-prepare, and the
# library digests of tools/golden_lib.py (datasets, IMHN forward, loss, estimator maps). The summary holds the digests
# and the last lines, and does not depend on OUT; wall times and the store's MB/image are the lines expected to differ. Needs coco-mini
# ($SIMPLEPOSE_DATA, else ../shared/data); about 6 minutes on 2 cores.
set -eu
OUT=$(realpath -m "$1"); OLD=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd); B=$ROOT/.venv/bin
export OMP_NUM_THREADS=1 SIMPLEPOSE_DATA=${SIMPLEPOSE_DATA:-$ROOT/../shared/data}
MINI=$SIMPLEPOSE_DATA/coco-mini
test -d "$MINI" || { echo "golden: $MINI not found (set SIMPLEPOSE_DATA)"; exit 2; }
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$ROOT"
$B/simplepose-quickstart --out $OUT/qs --steps 400 --n-train 64 --n-val 16 --threads 1 > $OUT/qs.log 2>&1
W=$OUT/qs/weights.safetensors
$B/simplepose-predict testdata/mmpose/coco testdata/mmpose/crowdpose --weights $W --size 512 --out $OUT/pred_torch --backend torch --quiet > $OUT/pred_torch.log 2>&1 || true
$B/simplepose-predict testdata/mmpose/coco --weights $W --size 512 --out $OUT/pred_auto --quiet --scales 1 0.5 > $OUT/pred_auto.log 2>&1 || true
(cd $OUT && $B/simplepose-predict qs/synth/val/images --weights $W --size 512 --out pred_synth --backend torch --quiet --person-score mean --singles > pred_synth.log 2>&1) || true # relative names: the JSON does not depend on OUT
if [ -n "$OLD" ]; then $B/simplepose-predict testdata/mmpose/coco testdata/mmpose/crowdpose --weights "$OLD" --size 512 --out $OUT/pred_old --backend torch --quiet > $OUT/pred_old.log 2>&1 || true; fi
$B/simplepose-eval --ann $MINI/annotations/person_keypoints_train2017.json --images $MINI/train2017 --weights $W --size 512 --backend torch --limit 20 --out $OUT/eval_mini.json --quiet > $OUT/eval_mini.log 2>&1 || true
$B/simplepose-eval --ann $OUT/qs/synth/val/annotations/person_keypoints_val.json --results $OUT/qs/results.json --quiet > $OUT/eval_res.log 2>&1 || true
$B/python bench/oracle.py --repeat 1 > $OUT/oracle_mini.log 2>&1
$B/python bench/oracle.py --repeat 1 --ann testdata/mmpose/coco/test_coco.json > $OUT/oracle_mm.log 2>&1
$B/python bench/oracle.py --repeat 1 --ann testdata/mmpose/crowdpose/test_crowdpose.json --attach-from --singles > $OUT/oracle_cp.log 2>&1
TRAIN="$OUT/qs/synth/train/annotations/person_keypoints_train.json --out $OUT/train --bs 8 --size 128 --nstack 1 --inp-dim 32 --increase 16 --workers 0 --precision fp32 --digest --quiet"
$B/simplepose-train $TRAIN --epochs 2 > $OUT/train.log 2>&1
$B/simplepose-train $TRAIN --epochs 3 --resume $OUT/train > $OUT/train_resume.log 2>&1
$B/simplepose-prepare --ann $MINI/annotations/person_keypoints_train2017.json --images $MINI/train2017 --out $OUT/mini.h5 --limit 20 > $OUT/prepare.log 2>&1 || true
$B/python tools/golden_lib.py $OUT > $OUT/lib.log 2>&1
cd $OUT
{ $B/python -c "import sys,hashlib; from safetensors.torch import load_file; d=load_file(sys.argv[1]); h=hashlib.sha256(); [h.update(k.encode()+d[k].numpy().tobytes()) for k in sorted(d)]; print('weights tensors', h.hexdigest()[:16])" qs/weights.safetensors
  for f in qs/results.json pred_torch/predictions.json pred_auto/predictions.json pred_synth/predictions.json pred_old/predictions.json eval_mini.json; do test -f $f && echo "$(sha256sum $f | cut -c1-16) $f"; done
  find pred_torch pred_auto pred_synth -type f | sort | xargs sha256sum | cut -c1-16 | sha256sum | sed 's/^/drawn-all /'
  grep -h "quickstart:" qs.log; tail -qn1 pred_torch.log pred_auto.log pred_synth.log | sed -E 's/[0-9.]+ img\/s/X img\/s/; s#results in .*##'
  tail -qn1 eval_mini.log eval_res.log; tail -qn1 oracle_mini.log oracle_mm.log oracle_cp.log | sed -E 's/e2e_img_s=[0-9.]+//'
  $B/python -c 'import json,sys; print("train digest", json.load(open(sys.argv[1]))["digest"][:16])' train/rank0.json
  tail -n1 prepare.log | sed "s#$OUT/##"; cat lib.log; } > summary.txt 2>&1
cat summary.txt
