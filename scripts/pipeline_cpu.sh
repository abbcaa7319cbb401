#!/usr/bin/env bash
# The whole job on one CPU machine, Lean deciding every success: train a CE and a DCO tiny model on the
# bundled benchmark (data/lean_arith), search N whole proofs per test theorem with transformers, every
# proof checked by the embedded Lean through the verifier, then the report (pass@k, per-problem table,
# confidence). About 7 minutes on 2 cores; TINY=1 is a one-minute smoke run (the CI's).
#
#   bash scripts/pipeline_cpu.sh            # then open runs/pipeline/report/report.md
#
# Environment (defaults in brackets):
#   OUT     the folder of the runs               [runs/pipeline]
#   N       proofs sampled per theorem           [16; TINY: 4]
#   N_DCO   DCO's budget N'                      [16]
#   STEPS   optimizer steps of each training     [600 (about 21 epochs); TINY: 150]
#   SPLIT   valid | test                         [test]
#   NAMES   comma-separated theorems (a subset)  [all of the split; TINY: six]
#   SEED    training and sampling seed           [0]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${TINY:-}" == 1 ]]; then
  N=${N:-4}; STEPS=${STEPS:-150}; NAMES=${NAMES:-p0008,p0010,p0014,p0016,p0028,p0029}
fi
OUT=${OUT:-runs/pipeline}; N=${N:-16}; N_DCO=${N_DCO:-16}; STEPS=${STEPS:-600}; SPLIT=${SPLIT:-test}
NAMES=${NAMES:-}; SEED=${SEED:-0}; DATA=data/lean_arith
if [[ -e "$OUT" ]]; then
  echo "pipeline_cpu.sh: error: $OUT exists: remove it, or set OUT to a new folder" >&2
  exit 2
fi
PROMPT='{formal_statement}'  # the header is the same for every theorem: the prompt is the statement

for method in ce dco; do
  budget=(); [[ $method == dco ]] && budget=(--dco_n "$N_DCO" --epsilon 0)
  echo "== train $method" >&2
  prover train --tiny --data "$DATA/train.jsonl" --whole_prompt "$PROMPT" --loss "$method" "${budget[@]}" \
    --max_steps "$STEPS" --warmup_steps 0 --global_batch_size 32 --per_device_batch_size 32 \
    --learning_rate 3e-3 --eval_fraction 0 --save_steps 100000 --max_length 128 --seed "$SEED" \
    --benchmark "$DATA/benchmark.jsonl" --output_dir "$OUT/train-$method" >/dev/null
  echo "== search $method: $N proofs per theorem, checked by Lean" >&2
  prover search --model "$OUT/train-$method" --benchmark "$DATA/benchmark.jsonl" --split "$SPLIT" \
    ${NAMES:+--names "$NAMES"} --strategy whole --sampler hf --n "$N" --whole_prompt "$PROMPT" \
    --max_tokens_proof 40 --seed "$SEED" --output_dir "$OUT/search-$method"
done
echo "== report" >&2
prover report "$OUT/search-ce" "$OUT/search-dco" --label CE "DCO N'=$N_DCO" -o "$OUT/report" >/dev/null
echo "report: $OUT/report/report.md"
