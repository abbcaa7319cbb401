"""Talking to Lean: header splitting, the file checker (``lean --json``), and the REPL client.

Mechanism only; what counts as an accepted proof is decided in ``prover/verify/policy.py``.
"""
