#!/usr/bin/env bash
# The whole job on one CPU machine, Lean deciding every success: train a CE and a DCO tiny model on the
# bundled benchmark (data/lean_arith), search N whole proofs per test theorem from an early and a late
# checkpoint of each with transformers, every proof checked by the embedded Lean through the verifier, then
# the report: pass@1 and pass@N over training (CE's pass@N falls, DCO's holds), pass@k curves, the
# per-problem table, confidence. The two methods run side by side. About 7 minutes on 2 cores; TINY=1 is
# a smoke run of about a minute and a half (the CI's).
#
#   bash scripts/pipeline_cpu.sh            # then open runs/pipeline/report/report.md
#
# Environment (defaults in brackets):
#   OUT       the folder of the runs                         [runs/pipeline]
#   N         proofs sampled per theorem                     [16; TINY: 4]
#   N_DCO     DCO's budget N'                                [16]
#   STEPS     training steps of the checkpoints searched     ["300 1200"; TINY: "60 180"]
#             (each a multiple of the first; training runs to the last)
#   SPLIT     valid | test                                   [test]
#   THEOREMS  the first this many theorems of the split      [50; TINY: 16]
#   SEED      training and sampling seed                     [0]
#   NATIVE_KERNELS=1  the processor's own kernels (faster; other numbers than the README's)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${TINY:-}" == 1 ]]; then
  N=${N:-4}; STEPS=${STEPS:-60 180}; THEOREMS=${THEOREMS:-16}
fi
OUT=${OUT:-runs/pipeline}; N=${N:-16}; N_DCO=${N_DCO:-16}; STEPS=${STEPS:-300 1200}; SPLIT=${SPLIT:-test}
THEOREMS=${THEOREMS:-50}; SEED=${SEED:-0}; DATA=data/lean_arith
read -r -a steps <<< "$STEPS"
for step in "${steps[@]}"; do
  if ! [[ $step =~ ^[1-9][0-9]*$ ]] || (( step % steps[0] )); then
    echo "pipeline_cpu.sh: error: STEPS=\"$STEPS\": positive integers, each a multiple of the first" >&2
    exit 2
  fi
done
if [[ -e "$OUT" ]]; then
  echo "pipeline_cpu.sh: error: $OUT exists: remove it, or set OUT to a new folder" >&2
  exit 2
fi
if [[ "${NATIVE_KERNELS:-}" != 1 ]]; then  # the same numbers on every x86-64 machine (benchmarks/measured_on.py)
  export ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE
fi
NAMES=$(python - "$DATA/benchmark.jsonl" "$SPLIT" "$THEOREMS" <<'EOF'
import json, sys
path, split, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = [r["name"] for r in map(json.loads, open(path, encoding="utf-8")) if r["split"] == split]
print(",".join(names[:count]))
EOF
)
PROMPT='{formal_statement}'  # the header is the same for every theorem: the prompt is the statement
mkdir -p "$OUT"

method_job() {  # train one method, then search each checkpoint; its output goes to $OUT/$1.log
  local method=$1 budget=()
  [[ $method == dco ]] && budget=(--dco_n "$N_DCO" --epsilon 0)
  prover train --tiny --data "$DATA/train.jsonl" --whole_prompt "$PROMPT" --loss "$method" "${budget[@]}" \
    --max_steps "${steps[-1]}" --save_steps "${steps[0]}" --warmup_steps 0 --global_batch_size 32 \
    --per_device_batch_size 32 --learning_rate 3e-3 --eval_fraction 0 --max_length 128 --seed "$SEED" \
    --benchmark "$DATA/benchmark.jsonl" --output_dir "$OUT/train-$method"
  echo "== $method: trained to step ${steps[-1]}" >&3
  for step in "${steps[@]}"; do
    prover search --model "$OUT/train-$method/checkpoint-$step" --benchmark "$DATA/benchmark.jsonl" \
      --split "$SPLIT" --names "$NAMES" --strategy whole --sampler hf --n "$N" --whole_prompt "$PROMPT" \
      --max_tokens_proof 40 --seed "$SEED" --output_dir "$OUT/search-$method-$step"
    echo "== $method: searched the checkpoint of step $step ($N proofs per theorem, checked by Lean)" >&3
  done
}

trap 'trap - INT TERM; kill 0' INT TERM  # Ctrl-C stops both methods
exec 3>&2  # the jobs' progress lines, beside their logs
echo "== training CE and DCO side by side, then searching steps ${steps[*]}; logs: $OUT/ce.log, $OUT/dco.log" >&2
pids=()
for method in ce dco; do
  method_job "$method" > "$OUT/$method.log" 2>&1 &
  pids+=($!)
done
for i in 0 1; do
  method=$([[ $i == 0 ]] && echo ce || echo dco)
  if ! wait "${pids[$i]}"; then
    echo "pipeline_cpu.sh: error: the $method run failed; its log ends:" >&2
    tail -n 20 "$OUT/$method.log" >&2
    kill 0
  fi
done
echo "== report" >&2
runs=(); labels=()
for method in ce dco; do
  for step in "${steps[@]}"; do
    runs+=("$OUT/search-$method-$step"); labels+=("$([[ $method == ce ]] && echo CE || echo "DCO N'=$N_DCO")")
  done
done
prover report "${runs[@]}" --label "${labels[@]}" -o "$OUT/report" >/dev/null
echo "report: $OUT/report/report.md"
