#!/usr/bin/env bash
# Set up Lean for verification on a user's machine (idempotent): elan + the pinned toolchain, Mathlib's
# prebuilt cache (`lake exe cache get`, ~5 GB), and the REPL binary. Needs network. Takes ~5-15 minutes
# the first time, seconds afterwards. Then: export PROVER_LEAN_PROJECT=$PWD/lean_project
set -euo pipefail
cd "$(dirname "$0")/../lean_project"
project=$PWD
started=$(date +%s)
say() { printf '[setup_lean] %s\n' "$*"; }

if ! command -v curl >/dev/null && ! command -v wget >/dev/null; then
  say "neither curl nor wget is installed"; exit 1
fi
if ! curl -sfI --max-time 10 https://github.com >/dev/null 2>&1; then
  say "offline: github.com is not reachable. This script needs network for elan, the toolchain,"
  say "Mathlib's sources and its build cache. Run it on a machine with network access."
  exit 1
fi

export PATH="$HOME/.elan/bin:$PATH"
if ! command -v elan >/dev/null; then
  say "installing elan (non-interactive, no default toolchain)"
  curl -sSfL https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh | sh -s -- -y --default-toolchain none
else
  say "elan present: $(elan --version)"
fi

say "toolchain: $(cat lean-toolchain)"
if [[ ! -f lake-manifest.json ]]; then
  say "resolving dependencies (lake update writes lake-manifest.json; commit it to pin every revision)"
  lake update
fi
say "fetching Mathlib's build cache"
lake exe cache get
say "building the REPL"
lake build REPL
repl=$project/.lake/packages/REPL/.lake/build/bin/repl
[[ -x "$repl" ]] || { say "the REPL binary is missing at $repl"; exit 1; }
say "checking: lean --version = $(lake env lean --version)"
echo 'import Mathlib
example : (2 : ℕ) + 2 = 4 := by norm_num' > /tmp/prover_setup_check.lean
lake env lean /tmp/prover_setup_check.lean && say "Mathlib imports and checks a proof"
say "done in $(( $(date +%s) - started ))s; disk used by lean_project/.lake: $(du -sh .lake | cut -f1)"
say "now: export PROVER_LEAN_PROJECT=$project"
