#!/usr/bin/env bash
# The GPU check of issue #21 as one command: the recipes' speed on the card (scripts/benchmarks/gpu_recipes.py:
# images/s and FLOP rate as a fraction of the card's measured bf16 matmul rate, df/liae at 128/256 px and
# variants), then `faceswap train experiment=gpu_128` and `experiment=gpu_256` for about a minute and a half
# each through Lightning (bf16-mixed, channels_last, loader workers) on the sample faces, with GPU load sampled
# every second and each run's last preview kept. Figures: docs/benchmarks.md "GPU recipes".
#
#   bash scripts/gpu_recipes.sh prepare      # on a machine with dlib + pip: .gpu/faces (sample faces, 256 px)
#                                            # and .whl/ (wheels of the packages a bare CUDA image lacks)
#   bash scripts/gpu_recipes.sh run OUT      # on the CUDA machine: results under OUT
#   GPU_BENCH=0 GPU_TRAIN="gpu_256:120:trainer.channels_last=false" bash scripts/gpu_recipes.sh run OUT
#                                            # only training runs (recipe:steps[:override,...] each)
#   FACESWAP_GPU_VARIANTS=gpu_128_df,gpu_128_df_lightning GPU_TRAIN=" " bash scripts/gpu_recipes.sh run OUT
#                                            # only those benchmark rows (names: scripts/benchmarks/gpu_recipes.py)
#
# The CUDA machine needs only torch, torchvision, pytorch-lightning, opencv, numpy, scipy, matplotlib; the
# rest (Hydra, albumentations, kornia and their needs) comes from .whl/ when that folder exists.
set -u
mode=${1:-run}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

if [ "$mode" = prepare ]; then
  set -e
  python - <<'EOF'
import shutil
from pathlib import Path

from tests.train_faces import write_faceset

root = Path(".gpu/faces")
shutil.rmtree(root, ignore_errors=True)
for seed, (identity, photo) in enumerate((("a", "a"), ("b", "b"))):
    write_faceset(root, identity, photo, count=64, size=256, seed=seed)
print("wrote", root)
EOF
  rm -rf .whl && mkdir -p .whl  # the versions the CPU tests pass with
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    hydra-core==1.3.8 omegaconf==2.3.1 albucore==0.0.24 albumentations==2.0.8 annotated-types==0.8.0 \
    kornia==0.9.0 kornia_rs==0.2.0 pydantic==2.14.4 pydantic_core==2.50.5 simsimd==6.5.16 stringzilla==5.3.2 \
    typing-inspection==0.4.5 typing_extensions==4.16.0
  python -m pip wheel -q --no-deps --no-build-isolation -w .whl antlr4-python3-runtime==4.9.3  # sdist only
  exit 0
fi

OUT=${2:-gpu_out}
mkdir -p "$OUT"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$here/src:$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg WANDB_MODE=offline FACESWAP_BENCH_FACES="$here/.gpu/faces"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
{ grep -m1 "model name" /proc/cpuinfo; nproc; python3 -c "import torch, pytorch_lightning as pl; print(torch.__version__, pl.__version__)"; } >> "$OUT/nvidia-smi.txt" 2>&1

[ "${GPU_BENCH:-1}" = 1 ] && timeout "${GPU_BENCH_TIMEOUT:-330}" python3 scripts/benchmark.py --device cuda --only gpu_recipes --out "$OUT/gpu_recipes.json" \
  > "$OUT/bench.log" 2>&1
echo "benchmark rc=$?" >> "$OUT/bench.log"

nvidia-smi dmon -s u -d 1 > "$OUT/dmon.txt" 2>&1 &
dmon=$!
for run in ${GPU_TRAIN:-gpu_128:300 gpu_256:120}; do
  IFS=: read -r recipe steps extra <<< "$run"
  echo "=== $recipe $(date +%T)" >> "$OUT/dmon.txt"
  # the progress bar's it/s is the steady-state rate; phase seconds include each phase's start and checkpoint
  timeout "${GPU_TRAIN_TIMEOUT:-100}" python3 -m faceswap.cli train "experiment=$recipe" \
    "paths.faces_dir=$here/.gpu/faces" paths.root_dir=/tmp/fsgpu "paths.run_name=$recipe" "train.steps=$steps" \
    "train.preview_every=$steps" "train.checkpoint_every=$steps" train.timelapse=false data.holdout.gap_s=0.25 \
    ${extra//,/ } > "$OUT/$recipe.log" 2>&1
  echo "rc=$? $(date +%T)" >> "$OUT/$recipe.log"
  cp /tmp/fsgpu/runs/"$recipe"/train/previews/latest.png "$OUT/${recipe}_preview.png" 2>/dev/null
done
kill "$dmon" 2>/dev/null
exit 0
