"""``python -m prover`` (also what ``accelerate launch -m prover train ...`` runs)."""

import sys

from prover.cli import main

sys.exit(main())
