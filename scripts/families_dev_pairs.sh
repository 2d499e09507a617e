#!/usr/bin/env bash
# Regenerates the leave-one-family-out and cross-dataset tables of docs/synthetic-data.md on two pairs of
# talking-head clips: trains a df generator per pair (cpu_quick, 600 + 100 steps) and a liae generator
# (700 steps, for ae_swap_liae), generates all six families, then benches each pair in-domain (with
# leave-one-family-out) and against the other pair.
#   CLIPS=/path/to/dev-clips ROOT=/tmp/families bash scripts/families_dev_pairs.sh
# CLIPS must hold person1.mp4 .. person4.mp4 (pairs 1-2 and 3-4). About 70 min on 2 quiet CPU cores.
set -euo pipefail
CLIPS=${CLIPS:?set CLIPS to the folder holding person1.mp4 .. person4.mp4}
ROOT=${ROOT:-runs-families}
common() { echo experiment=cpu_quick "data.identities.a.path=$CLIPS/person$1.mp4" \
  "data.identities.b.path=$CLIPS/person$2.mp4" "paths.root_dir=$ROOT" "paths.run_name=p$1p$2"; }
for pair in "1 2" "3 4"; do
  # shellcheck disable=SC2046
  faceswap pipeline $(common $pair) train.steps=600 finetune.steps=100 'pipeline.steps=[collect,preprocess,train,finetune]'
  # shellcheck disable=SC2046
  faceswap train $(common $pair) model=liae train.steps=700 'paths.train_dir=${paths.run_dir}/train_liae'
  # shellcheck disable=SC2046
  faceswap generate $(common $pair) 'generate.methods=[ae_swap,ae_swap_liae,mesh_swap,reenact,mouth,sbi]'
done
for pair in "1 2 3 4" "3 4 1 2"; do
  set -- $pair
  # shellcheck disable=SC2046
  faceswap bench $(common "$1" "$2") "bench.test_datasets=[$ROOT/runs/p$3p$4/synthetic]" 'bench.perturbations=[jpeg,h264]'
done
echo "reports: $ROOT/runs/p1p2/bench/report.md and $ROOT/runs/p3p4/bench/report.md"
