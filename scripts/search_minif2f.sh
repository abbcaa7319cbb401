#!/usr/bin/env bash
# MiniF2F on a GPU node: search (vLLM), then the report. Verification runs inside the search (every
# success is checked from scratch by the verifier), so Lean must be set up: scripts/setup_lean.sh.
#
#   MODEL=runs/dco16/final N=256 STRATEGY=rollout OUT=runs/minif2f-dco16 bash scripts/search_minif2f.sh
#
# Environment (defaults in brackets):
#   MODEL      prover model, hub name or path                      [required]
#   BENCHMARK  MiniF2F JSONL or dataset                            [../shared/data/minif2f/minif2f.jsonl]
#   SPLIT      valid | test | all                                  [test]
#   N          attempts per theorem                                [32]
#   STRATEGY   rollout | tree | whole                              [rollout]
#   BRANCHING  tree branching factor (tactics per expansion)     [4]
#   OUT        run directory                                       [runs/minif2f-$STRATEGY-$N]
#   TP         tensor-parallel GPUs per vLLM engine                [1]
#   EXTRA      further flags for `prover search`; arguments given to the script are passed on too
#   PYTHON     the interpreter [the one that runs the `prover` command, else python3]
# Cost: whole proofs at N=32 over 244 theorems take about an hour on one H100 for a 7B model; rollouts
# are dominated by Lean (one REPL step per tactic), so give the node many cores (--workers).
# A killed run continues with the same command plus RESUME=1.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=$(command -v prover || true)
PY=${PYTHON:-$( [[ -n "$launcher" ]] && head -1 "$launcher" | sed -n 's/^#!\(.*python[0-9.]*\)$/\1/p' )}
PY=${PY:-python3}
[[ -n "${MODEL:-}" ]] || { echo "set MODEL to the prover (hub name or path)" >&2; exit 2; }
[[ -n "${PROVER_LEAN_PROJECT:-}${PROVER_LEAN_CMD:-}" ]] || { echo "set PROVER_LEAN_PROJECT (run scripts/setup_lean.sh first)" >&2; exit 2; }
STRATEGY=${STRATEGY:-rollout}
N=${N:-32}
OUT=${OUT:-runs/minif2f-$STRATEGY-$N}
args=(--model "$MODEL" --benchmark "${BENCHMARK:-../shared/data/minif2f/minif2f.jsonl}" --split "${SPLIT:-test}"
      --n "$N" --strategy "$STRATEGY" --branching "${BRANCHING:-4}" --tensor_parallel_size "${TP:-1}" --output_dir "$OUT")
[[ "${RESUME:-0}" == 1 ]] && args+=(--resume)
# shellcheck disable=SC2206
args+=(${EXTRA:-} "$@")
"$PY" -m prover search "${args[@]}"
"$PY" -m prover report "$OUT"
