#!/usr/bin/env bash
# Fine-tune a prover the paper's way (configs/train_paper.yaml), on every visible GPU.
#
#   MODEL=deepseek-ai/DeepSeek-Prover-V1.5-Base DATA=leandojo_benchmark_4/random/train.json \
#   LOSS=dco N=16 OUT=runs/dco16 bash scripts/train_prover.sh
#
# Environment (defaults in brackets):
#   MODEL   hub name or path of the causal LM          [required unless TINY=1]
#   DATA    training data (.jsonl, LeanDojo .json, hub) [data/tactic_pairs.jsonl]
#   LOSS    ce | dco | dco_step                         [dco]
#   N       DCO budget N                                [16]
#   N_EFF   DCO-step budget N_eff                       [4]
#   EPSILON confidence threshold                        [0.1]
#   EPOCHS  passes over the data                        [1]
#   OUT     run directory                               [runs/train-$LOSS]
#   BENCHMARK  benchmark JSONL for the contamination guard [../shared/data/minif2f/minif2f.jsonl if present]
#   TINY=1  a tiny random model on the CPU (a smoke run: about 10 s, 20 steps); also: train_prover.sh --tiny
#   EXTRA   further flags for `prover train`, e.g. "--lora --gradient_checkpointing"; arguments given to the
#           script are passed on too (after these), e.g. bash scripts/train_prover.sh --tiny --max_steps 5
#   PYTHON  the interpreter [the one that runs the `prover` command, else python3]
#   ACCELERATE_CONFIG  ddp | deepspeed_zero2 | fsdp (configs/accelerate/*.yaml), used with >1 GPU [ddp]
# Cost: a 7B model on 8x80GB GPUs with bf16 runs about one LeanDojo epoch (~250k pairs) in a few hours.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--tiny" ]]; then TINY=1; shift; fi
launcher=$(command -v prover || true)
PY=${PYTHON:-$( [[ -n "$launcher" ]] && head -1 "$launcher" | sed -n 's/^#!\(.*python[0-9.]*\)$/\1/p' )}
PY=${PY:-python3}

LOSS=${LOSS:-dco}
args=(--config configs/train_paper.yaml --data "${DATA:-data/tactic_pairs.jsonl}" --loss "$LOSS"
      --dco_n "${N:-16}" --n_eff "${N_EFF:-4}" --epsilon "${EPSILON:-0.1}" --num_epochs "${EPOCHS:-1}"
      --output_dir "${OUT:-runs/train-$LOSS}")
bench=${BENCHMARK:-../shared/data/minif2f/minif2f.jsonl}
[[ -f "$bench" ]] && args+=(--benchmark "$bench")

if [[ "${TINY:-0}" == 1 ]]; then
  args+=(--tiny --max_steps "${MAX_STEPS:-20}" --global_batch_size 4 --per_device_batch_size 2
         --learning_rate 1e-3 --warmup_steps 0 --logging_steps 1 --max_length 512)
else
  [[ -n "${MODEL:-}" ]] || { echo "set MODEL to a hub name or a local path (or TINY=1 for a smoke run)" >&2; exit 2; }
  args+=(--model "$MODEL")
fi
# shellcheck disable=SC2206
args+=(${EXTRA:-} "$@")

gpus=$("$PY" -c 'import torch; print(torch.cuda.device_count())')
if (( gpus > 1 )); then
  exec "$PY" -m accelerate.commands.launch --config_file "configs/accelerate/${ACCELERATE_CONFIG:-ddp}.yaml" \
    --num_processes "$gpus" -m prover train "${args[@]}"
fi
exec "$PY" -m prover train "${args[@]}"
