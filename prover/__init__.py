"""dco-prover: Lean 4 theorem proving co-designed for test-time search.

Stages: ``data`` -> ``train`` (CE / DCO / DCO-step) -> ``search`` -> ``verify`` -> ``report``. Importing the
package is cheap: torch, transformers and vllm are imported inside the functions that need them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
