"""Stage 3, verification: the acceptance policy (when Lean's verdict counts as a proof of the given
statement), its token rules and statement reading, the verdict cache, the ``Checker`` every command uses."""
