prelude
set_option maxRecDepth 100000
universe u

inductive MyNat where
  | zero : MyNat
  | succ : MyNat → MyNat

inductive MyEq {α : Sort u} (a : α) : α → Prop where
  | refl : MyEq a a

/-- There is a witness `w` with `p w` (Church-encoded: a prelude has no `Exists`). -/
def Ex (p : MyNat → Prop) : Prop := ∀ (C : Prop), (∀ w, p w → C) → C

noncomputable def add (a b : MyNat) : MyNat := MyNat.rec b (fun _ ih => MyNat.succ ih) a
noncomputable def mul (a b : MyNat) : MyNat := MyNat.rec MyNat.zero (fun _ ih => add b ih) a

noncomputable def D0 : MyNat := MyNat.zero
noncomputable def D1 : MyNat := MyNat.succ D0
noncomputable def D2 : MyNat := MyNat.succ D1
noncomputable def D3 : MyNat := MyNat.succ D2
noncomputable def D4 : MyNat := MyNat.succ D3
noncomputable def D5 : MyNat := MyNat.succ D4
noncomputable def D6 : MyNat := MyNat.succ D5
noncomputable def D7 : MyNat := MyNat.succ D6
noncomputable def D8 : MyNat := MyNat.succ D7
noncomputable def D9 : MyNat := MyNat.succ D8
noncomputable def ten : MyNat := MyNat.succ D9
/-- Two and three decimal digits. -/
noncomputable def N (t u : MyNat) : MyNat := add (mul t ten) u
noncomputable def H (h t u : MyNat) : MyNat := add (mul h (mul ten ten)) (N t u)

