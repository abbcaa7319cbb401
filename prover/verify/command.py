"""``prover verify``: one proof for a person, or a batch of model outputs into verdicts.jsonl.

Batch mode runs ``workers`` Lean processes in threads (each check is a subprocess) or verifier actors on a
Ray cluster, checks identical (name, proof) pairs once, and writes verdicts in input order, each line
appended whole.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed

from prover.benchmark import load_theorems
from prover.config import VerifyConfig
from prover.io import append_jsonl, jsonl_objects, read_text
from prover.lean.setup import NOT_SET_UP, LeanSetup
from prover.verify.cache import VerdictCache, verdict_key
from prover.verify.checker import Checker, CheckSettings
from prover.verify.policy import Reference, check_statement, parse_statement
from prover.verify.ray import RayVerifier

logger = logging.getLogger(__name__)


def read_references(path: str) -> dict[str, Reference]:
    """Reference statements of a benchmark (DeepSeek / MiniF2F schema), by name."""
    return {t.name: Reference.of(t) for t in load_theorems(path)}


def reference_from(statement: str, header: str, benchmark: str, name: str) -> Reference | None:
    """The reference statement named on the command line (--statement, or --benchmark with --name)."""
    if statement:
        try:
            return Reference(parse_statement(statement).name, statement, header)
        except ValueError as error:
            raise ValueError(f"--statement: {error}") from None
    if benchmark and name:
        references = read_references(benchmark)
        if name not in references:
            raise ValueError(f"{benchmark}: no theorem named {name!r}")
        return references[name]
    return None


def _reference(cfg: VerifyConfig) -> Reference:
    reference = reference_from(cfg.statement, cfg.header, cfg.benchmark, cfg.name)
    if reference is None:
        raise ValueError("give the reference: --statement '...', or --benchmark FILE --name NAME")
    return reference


def run_verify(cfg: VerifyConfig) -> int:
    """Exit code: single proof 0 when accepted, 1 when not; batch 0 when every line got a verdict."""
    setup = LeanSetup.from_env()
    if setup.lean is None:
        print(f"prover verify: error: {NOT_SET_UP}", file=sys.stderr)
        return 2
    logger.info("Lean: %s", setup.describe())
    checker = Checker(CheckSettings.of(cfg), setup)
    try:
        if cfg.check_statements:
            return _check_statements(cfg, checker)
        return _batch(cfg, checker) if cfg.batch else _single(cfg, checker)
    finally:
        checker.close()


def _single(cfg: VerifyConfig, checker: Checker) -> int:
    reference = _reference(cfg)
    checker.setup.require_for([reference])
    source = "<stdin>" if cfg.input == "-" else cfg.input
    output = read_text(cfg.input, "input")
    result = checker(reference, output)
    for message in result.messages:
        print(message.format(source))
    status = "accepted" if result.accepted else f"rejected ({result.reason.value})"
    print(
        f"{reference.name}: {status}{': ' + result.detail if result.detail and not result.accepted else ''}"
    )
    if result.axioms:
        print(f"axioms: {', '.join(result.axioms)}")
    print(f"checked in {result.seconds:.1f}s")
    return 0 if result.accepted else 1


def _batch(cfg: VerifyConfig, checker: Checker) -> int:
    from tqdm.auto import tqdm


    references = read_references(cfg.benchmark)
    checker.setup.require_for(references.values())
    items = []  # every line is checked before anything is written (the verdicts, the cache)
    for where, record in jsonl_objects(cfg.input, 'a JSON object {"name", "proof"}'):
        for key in ("name", "proof"):
            if not isinstance(record.get(key), str):
                raise ValueError(f'{where}: field "{key}" must be a string, got {record.get(key)!r}')
        if record["name"] not in references:
            raise ValueError(f"{where}: {record['name']!r} is not in {cfg.benchmark}")
        items.append((record["name"], record["proof"]))
    if not items:
        raise ValueError(f"{cfg.input}: no proofs to check")
    output_path = cfg.output or re.sub(r"\.jsonl$", "", cfg.input) + ".verdicts.jsonl"
    if os.path.exists(output_path):
        os.unlink(output_path)
    unique = list(dict.fromkeys(items))  # identical (name, proof) pairs are checked once
    started = time.perf_counter()
    results, todo = _cached(cfg, checker, references, unique, output_path)
    with tqdm(total=len(todo), desc="verify", unit="proof") as bar:
        accepted = 0
        for item, result in _check_all(cfg, checker, references, list(todo)):
            results[item] = result
            if todo[item] is not None:
                todo[item][0].put(todo[item][1], result)
            accepted += result.accepted
            bar.set_postfix(accepted=f"{accepted}/{bar.n + 1}")
            bar.update(1)
    for index, (name, proof) in enumerate(items):
        append_jsonl(output_path, {"index": index, "name": name, **results[(name, proof)].to_json()})
    reasons = Counter(r.reason.value for r in (results[item] for item in items))
    solved = len({name for name, proof in items if results[(name, proof)].accepted})
    elapsed = time.perf_counter() - started
    print(
        f"Accepted: {reasons.get('ok', 0)} / {len(items)} proofs, {solved} / {len({n for n, _ in items})} theorems  "
        f"({', '.join(f'{k} {v}' for k, v in sorted(reasons.items()))})  Verification: {elapsed:.1f}s  -> {output_path}"
    )
    return 0


def _cached(cfg: VerifyConfig, checker: Checker, references, unique, output_path):
    """Verdicts already in the cache, and the items still to check (each with its cache and key)."""
    if cfg.no_cache:
        return {}, dict.fromkeys(unique)
    path = cfg.cache or os.path.join(os.path.dirname(os.path.abspath(output_path)), "verdict_cache.sqlite")
    cache = VerdictCache(path)
    identities = [checker.cache_identity(question) for question in checker.cache_questions()]
    results, todo = {}, {}
    for item in unique:
        keys = [verdict_key(identity, references[item[0]], item[1], cfg.allow_native_decide) for identity in identities]
        hit = next((found for key in keys if (found := cache.get(key)) is not None), None)
        if hit is None:
            todo[item] = (cache, keys[-1])  # stored as this checker's own answer
        else:
            results[item] = hit
    logger.info("verdict cache %s: %d of %d proofs already checked", path, len(results), len(unique))
    return results, todo


def _check_statements(cfg: VerifyConfig, checker: Checker) -> int:  # noqa: D103
    """Elaborate every benchmark statement on its own (as an axiom); exit 1 if any does not."""
    from tqdm.auto import tqdm

    references = list(read_references(cfg.check_statements).values())
    checker.setup.require_for(references)

    def elaborate(reference: Reference) -> str | None:
        return check_statement(reference, checker.run)

    with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
        problems = list(
            tqdm(pool.map(elaborate, references), total=len(references), desc="statements", unit="stmt")
        )
    failed = [(r.name, p) for r, p in zip(references, problems) if p is not None]
    for name, problem in failed:
        print(f"{name}: {problem}")
    print(f"{len(references) - len(failed)} / {len(references)} statements elaborate")
    return 1 if failed else 0


def _check_all(cfg: VerifyConfig, checker: Checker, references, todo: list[tuple[str, str]]):
    """(item, verdict) as they finish: on this machine's workers, or on a Ray cluster with --ray."""
    if cfg.ray:
        verifier = RayVerifier(CheckSettings.of(cfg), cfg.ray)
        try:
            for index, result in verifier.verify_many((references[name], proof) for name, proof in todo):
                yield todo[index], result
        finally:
            verifier.close()
        return
    with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
        futures = {pool.submit(checker, references[name], proof): (name, proof) for name, proof in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
