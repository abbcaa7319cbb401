import Lake
open Lake DSL

/-
The verifier's Lean project. Lean v4.24.0 is the release that the shared MiniF2F statements target
(Mathlib tag v4.24.0) and for which leanprover-community/repl has a matching tag.
`scripts/setup_lean.sh` fetches the Mathlib cache and builds the REPL binary.
-/

package ProverLean

-- Mathlib v4.24.0, pinned to the tag's commit.
require mathlib from git
  "https://github.com/leanprover-community/mathlib4" @ "f897ebcf72cd16f89ab4577d0c826cd14afaafc7"

-- The Lean REPL at the tag for the same Lean release.
require REPL from git
  "https://github.com/leanprover-community/repl" @ "v4.24.0"

@[default_target]
lean_lib ProverLean
