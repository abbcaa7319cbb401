"""The verdict cache (prover/verify/cache.py): a verdict comes back only for the same Lean, rules, options,
header, statement, name and proof; judgements persist, infrastructure failures are never stored."""

from __future__ import annotations

import threading

import pytest

from prover.lean.messages import Message
from prover.verify import cache as cache_module
from prover.verify.cache import VerdictCache, verdict_key
from prover.verify.policy import Reason, Reference, VerifyResult

REF = Reference("t", "theorem t : True :=", "prelude\ninductive True : Prop\n| intro\n")


def test_every_part_of_the_key_changes_it():
    base = verdict_key("4.35.0", REF, " True.intro", False)
    variants = [
        verdict_key("4.36.0", REF, " True.intro", False),
        verdict_key("4.35.0", REF, " True.intro", True),
        verdict_key("4.35.0", Reference("t", REF.formal_statement, REF.header + "\n"), " True.intro", False),
        verdict_key("4.35.0", Reference("t", "theorem t : True  :=", REF.header), " True.intro", False),
        verdict_key("4.35.0", Reference("u", REF.formal_statement, REF.header), " True.intro", False),
        verdict_key("4.35.0", REF, " True.intro ", False),
    ]
    assert len({base, *variants}) == 7
    assert base == verdict_key("4.35.0", Reference("t", REF.formal_statement, REF.header), " True.intro", False)


def test_the_rules_version_is_part_of_the_key(monkeypatch):
    base = verdict_key("4.35.0", REF, "p", False)
    monkeypatch.setattr(cache_module, "POLICY_VERSION", cache_module.POLICY_VERSION + 1)
    assert verdict_key("4.35.0", REF, "p", False) != base


def test_fields_do_not_run_into_each_other():
    """(header "a", statement "bc") and (header "ab", statement "c") are different references."""
    assert verdict_key("v", Reference("n", "bc", "a"), "p", False) != verdict_key("v", Reference("n", "c", "ab"), "p", False)


def test_a_judgement_persists_and_comes_back_whole(tmp_path):
    path = str(tmp_path / "verdicts.sqlite")
    result = VerifyResult(Reason.ERROR, "unknown identifier 'x'", [Message("error", 3, 4, 3, 5, "unknown identifier 'x'")],
                          ["propext"], 0.1234)  # fmt: skip
    cache = VerdictCache(path)
    assert cache.get("k") is None
    cache.put("k", result)
    cache.put("ok", VerifyResult(Reason.OK, axioms=["propext", "Quot.sound"]))
    cache.close()
    again = VerdictCache(path)
    got = again.get("k")
    assert got.reason is Reason.ERROR and got.detail == result.detail and got.messages == result.messages
    assert got.axioms == ["propext"] and got.seconds == 0.123  # stored as the verdict files show it
    assert again.get("ok").accepted and again.get("other") is None
    again.put("k", VerifyResult(Reason.SORRY))  # a new verdict for a key replaces the old one
    assert again.get("k").reason is Reason.SORRY
    again.close()


@pytest.mark.parametrize("reason", [Reason.TIMEOUT, Reason.OOM, Reason.CRASH])
def test_infrastructure_failures_are_never_stored(tmp_path, reason):
    cache = VerdictCache(str(tmp_path / "v.sqlite"))
    cache.put("k", VerifyResult(reason, "the checker failed"))
    assert cache.get("k") is None
    assert [r for r in Reason if r.is_infrastructure] == [Reason.TIMEOUT, Reason.OOM, Reason.CRASH]


def test_threads_share_one_cache(tmp_path):
    cache, wrong = VerdictCache(str(tmp_path / "v.sqlite")), []

    def work(i):
        for j in range(50):
            cache.put(f"{i}-{j}", VerifyResult(Reason.ERROR, f"{i}-{j}"))
            got = cache.get(f"{i}-{j}")
            if got is None or got.detail != f"{i}-{j}":
                wrong.append((i, j, got))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == [] and all(cache.get(f"{i}-49").detail == f"{i}-49" for i in range(4))
