"""A persistent verdict cache (SQLite in the run directory): re-running a verification is free.

Keyed by a hash of who decided (the Lean, and the question: the file checker, the REPL with every accept
confirmed by it, or the REPL alone: ``Checker.cache_identity``), the policy version, the options that
change verdicts, and the header, statement and proof. A verdict is reused only for the same or a weaker
question (``Checker.cache_questions``). Only judgements are cached, never infrastructure failures.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading

from prover.verify.policy import POLICY_VERSION, Reference, VerifyResult


def verdict_key(identity: str, reference: Reference, output: str, allow_native_decide: bool) -> str:
    payload = [
        POLICY_VERSION,
        identity,
        allow_native_decide,
        reference.header,
        reference.formal_statement,
        reference.name,
        output,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


class VerdictCache:
    """Thread-safe get/put of verdicts by key."""

    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL)")
        self._lock = threading.Lock()

    def get(self, key: str) -> VerifyResult | None:
        with self._lock:
            row = self._db.execute("SELECT verdict FROM verdicts WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return VerifyResult.from_json(json.loads(row[0]))

    def put(self, key: str, result: VerifyResult) -> None:
        if result.reason.is_infrastructure:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?)", (key, json.dumps(result.to_json()))
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
