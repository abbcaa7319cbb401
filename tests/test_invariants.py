"""Invariants that catch the mistakes people make (issue 29): properties over many inputs (hypothesis),
not examples. Each was seen failing with the mistake it targets applied (the commit says which)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from prover.flags import _coerce
from prover.io import repair_jsonl
from prover.lean.messages import Message
from prover.lean.protocol import ProofStepResponse
from prover.search.run import Search, shard
from prover.search.store import model_fingerprint
from prover.train.checkpoint import STATE_FILE, checkpoint_dir, complete_checkpoints, find_checkpoint, prune
from prover.train.units import UnitSampler, UnitStream
from prover.verify.interactive import ProofSession
from prover.verify.policy import Reference


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=12))
def test_shards_partition_any_benchmark_exactly(items, count):
    """``--shard i/n`` is 0-based: the n shards hold every theorem once, in the benchmark's order."""
    shards = [shard(items, f"{i}/{count}") for i in range(count)]
    assert sorted(x for s in shards for x in s) == sorted(items)
    assert sum(len(s) for s in shards) == len(items)
    for s in shards:  # each keeps the benchmark's order
        positions = [items.index(x) for x in s] if len(set(items)) == len(items) else sorted(range(len(s)))
        assert positions == sorted(positions)
    if items:
        assert shards[0][0] == items[0]  # shard 0 starts at the first theorem


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=2000), min_size=1, max_size=8))
def test_checkpoints_are_ordered_by_step_number_not_by_name(tmp_path_factory, steps):
    """checkpoint-10 is newer than checkpoint-9: resume picks the newest, pruning keeps the newest."""
    out = tmp_path_factory.mktemp("run")
    for step in steps:
        os.makedirs(checkpoint_dir(str(out), step))
        open(os.path.join(checkpoint_dir(str(out), step), STATE_FILE), "w").close()
    assert [step for step, _ in complete_checkpoints(str(out))] == sorted(steps)
    assert find_checkpoint(str(out), "latest") == checkpoint_dir(str(out), max(steps))
    keep = 1 + max(steps) % 3  # --save_total_limit: the newest `keep` stay
    prune(str(out), keep)
    assert [step for step, _ in complete_checkpoints(str(out))] == sorted(steps)[-keep:]


records = st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3), min_size=1,
                   max_size=5)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(records, st.integers(min_value=0, max_value=40))
def test_the_torn_line_repair_keeps_every_complete_record_and_cuts_only_a_torn_one(tmp_path_factory, rows, cut):
    path = tmp_path_factory.mktemp("j") / "a.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows]
    last = lines[-1].rstrip("\n")
    torn = last[: min(cut, len(last) - 1)] if len(last) > 1 else ""
    for tail, kept in ((last, rows), (torn, rows[:-1])):  # a whole last record without its newline; a torn one
        path.write_text("".join(lines[:-1]) + tail, encoding="utf-8")
        repair_jsonl(str(path))
        text = path.read_text(encoding="utf-8")
        if tail == torn and torn and _parses(torn):
            kept = rows[:-1] + [json.loads(torn)]  # a prefix that happens to be a whole JSON value
        lines_now = text.split("\n")[:-1]  # records end at "\n" only (Lean and JSON may hold U+0085, U+2028)
        assert [json.loads(line) for line in lines_now] == kept and (not text or text.endswith("\n"))


def _parses(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


@given(st.integers(min_value=0, max_value=2**31), st.integers(min_value=0, max_value=2**31), st.text(min_size=1, max_size=8),
       st.lists(st.integers(min_value=0, max_value=99), max_size=3))  # fmt: skip
def test_the_same_seed_reproduces_samples_and_another_changes_them(seed, other, name, where):
    """A prompt's sampling seed is a function of the run's --seed, the theorem and the position alone."""
    theorem = SimpleNamespace(name=name)

    def seed_for(run_seed):
        return Search.seed_for(SimpleNamespace(cfg=SimpleNamespace(seed=run_seed)), theorem, *where)

    assert seed_for(seed) == seed_for(seed)
    if other != seed:
        assert seed_for(other) != seed_for(seed)
    if where:
        assert Search.seed_for(SimpleNamespace(cfg=SimpleNamespace(seed=seed)), theorem, *where, 0) != seed_for(seed)


@given(st.sampled_from(["true", "True", "TRUE", "yes", "1", "false", "False", "no", "0", "No"]))
def test_strings_from_yaml_are_read_as_the_flags_read_them(text):
    """`greedy: 'false'` in YAML is false, as `--no-greedy` is; a string is never true for being non-empty."""
    assert _coerce(text, bool, "greedy") is (text.lower() in ("true", "yes", "1"))


def test_every_setting_is_fingerprinted_or_declared_harmless():
    """A setting that changes what a run produces is in its fingerprint (a resume must keep it); one that
    only changes how it runs is declared so (``option(run=False)``). A new setting is fingerprinted unless it
    says otherwise, and declaring one harmless fails here until it is added to this list, read by a person."""
    import dataclasses

    from prover.config import SearchConfig, TrainConfig

    harmless = {
        SearchConfig: {"sampler", "greedy", "batch_theorems", "tensor_parallel_size", "engines", "gpu_memory_utilization",
                       "engine_kwargs", "output_dir", "resume", "override_settings", "ray", "timeout", "workers",
                       "memory_mb", "backend",
                       "threads"},  # how fast, not what: bit-identical across threads with pinned kernels (test_overconfidence_bench)
        TrainConfig: {"gradient_checkpointing", "per_device_batch_size", "output_dir", "save_steps", "save_total_limit",
                      "logging_steps", "resume", "report_to", "override_settings",
                      "score_batch_size",  # the confidence filter's scoring batches: the same step (a test says so)
                      "bf16",  # precision resolves per machine ('auto'): a resume on another GPU may change it
                      "threads"},  # how fast, not what: bit-identical across threads with pinned kernels (test_overconfidence_bench)
    }  # fmt: skip
    for cls, expected in harmless.items():
        declared = {f.name for f in dataclasses.fields(cls) if not f.metadata.get("run", True)}
        extra = declared - expected
        assert not extra, f"{cls.__name__}: {sorted(extra)} declared harmless: say why here, or fingerprint them"
        assert declared == expected, f"{cls.__name__}: {sorted(expected - declared)} are fingerprinted now"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=64), min_size=1, max_size=4), st.data())
def test_the_model_fingerprint_changes_when_any_byte_of_any_file_changes(tmp_path_factory, contents, data):
    """Size and time kept as they were (a retrained model written over the old one, `cp -p`, a copy)."""
    model = tmp_path_factory.mktemp("model")
    for i, content in enumerate(contents):
        (model / f"w{i}.safetensors").write_bytes(content)
    before = model_fingerprint(str(model))
    i = data.draw(st.integers(0, len(contents) - 1))
    at = data.draw(st.integers(0, len(contents[i]) - 1))
    path = model / f"w{i}.safetensors"
    stat = path.stat()
    changed = bytearray(contents[i])
    changed[at] ^= 1 << data.draw(st.integers(0, 7))
    path.write_bytes(bytes(changed))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert model_fingerprint(str(model)) != before
    path.write_bytes(contents[i])
    assert model_fingerprint(str(model)) == before  # the same weights: the same fingerprint


class _CountingRepl:
    """The tactic REPL's bookkeeping only (states and goals; no proof is ever completed, so no verdict is
    asked): a tactic starting with "bad" is an error, any other makes a new state whose goal names the path."""

    def __init__(self):
        self.paths = {0: ""}

    def start_proof(self, statement, header="", timeout=60.0):
        return ProofStepResponse(0, ["⊢ root"])

    def apply(self, state, tactic, timeout=60.0):
        if tactic.startswith("bad"):
            return ProofStepResponse(state, [], [Message("error", 1, 0, None, None, f"unknown tactic {tactic}")])
        new = len(self.paths)
        self.paths[new] = f"{self.paths[state]}/{tactic}"
        return ProofStepResponse(new, [f"⊢ {self.paths[new]}"])

    def close(self):
        pass


@given(st.lists(st.sampled_from(["good1", "good2", "bad1", "bad2", "undo"]), max_size=20))
def test_prover_prove_keeps_its_state_after_a_failed_tactic(commands):
    """After a tactic Lean refuses, the goals, the proof text and what undo returns to are what they were;
    the session always equals the good tactics applied in order (undo pops the last)."""
    session = ProofSession(Reference("t", "theorem t : True := by"), _CountingRepl, lambda r, o: None)
    session.start()
    kept: list[str] = []
    for command in commands:
        before = (session.goals, session.proof(), len(session.steps))
        if command == "undo":
            session.undo()
            kept = kept[:-1]
        else:
            outcome = session.apply(command)
            if command.startswith("bad"):
                assert outcome.errors and (session.goals, session.proof(), len(session.steps)) == before
            else:
                kept.append(command)
        assert [s.tactic for s in session.steps] == kept
        assert session.goals == [f"⊢ {''.join('/' + t for t in kept)}" if kept else "⊢ root"]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(2, 12), st.integers(0, 1000),
    st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3), min_size=1, max_size=8),
    st.sets(st.integers(0, 11)), st.booleans(),
)  # fmt: skip
def test_the_unit_stream_keeps_its_order_across_steps_and_a_resume(n, seed, steps, confident, filtered):
    """What the steps train, concatenated, is the seeded stream in order (with the filter: its survivors in
    order), however the steps split it into micro-batches, and also with a checkpoint's state reloaded
    (through JSON, as a checkpoint holds it) at every step boundary."""
    confident = {u for u in confident if u < n}
    if filtered and len(confident) == n:
        confident.discard(0)
    score = (lambda units: [0.0 if u in confident else 1.0 for u in units]) if filtered else None

    def sampler(state=None):
        made = UnitSampler(UnitStream(n, seed), epsilon=0.5, score=score, score_batch=3)
        if state is not None:
            made.load_state_dict(json.loads(json.dumps(state)))
        return made

    stream = UnitStream(n, seed)
    # every epoch (n draws) holds a survivor: 100 epochs hold more than the 8 x 3 x 4 units the steps take
    expected = [u for u in (stream.next() for _ in range(100 * n)) if not (filtered and u in confident)]
    for reload in (False, True):
        drawing, trained = sampler(), []
        for sizes in steps:
            if reload:
                drawing = sampler(drawing.state_dict())
            batches, _, _ = drawing.draw_step(sizes)
            assert [len(b) for b in batches] == sizes
            trained += [u for b in batches for u in b]
        assert len(trained) == sum(map(sum, steps)) and trained == expected[: len(trained)], reload


@given(st.integers(1, 4096), st.integers(1, 4096))
def test_each_loss_trains_at_its_own_budget(n, n_eff):
    """CE is N = 1, sequence DCO trains at --n, step DCO at --n_eff (the paper's N and N_eff)."""
    from prover.config import LOSSES, TrainConfig

    expected = {"ce": 1, "dco": n, "dco_step": n_eff}
    assert set(LOSSES) == set(expected)
    for loss, budget in expected.items():
        budgets = {} if loss == "ce" else {"dco_n": n, "n_eff": n_eff}
        assert TrainConfig(tiny=True, data="x.jsonl", loss=loss, **budgets).budget == budget


def test_the_held_out_units_are_a_seeded_draw_that_partitions_the_units():
    """Evaluation holds out --eval_fraction of whole units, drawn by --seed (not the file's first ones):
    training and held-out units partition the data, the same seed draws the same, another seed others."""
    from conftest import DATA

    from prover.config import TrainConfig
    from prover.train.setup import load_train_data

    def split(seed):
        cfg = TrainConfig(tiny=True, data=str(DATA / "tactic_pairs.jsonl"), eval_fraction=0.3, seed=seed, loss="ce")
        data = load_train_data(cfg)
        return sorted(map(tuple, data.units)), sorted(map(tuple, data.eval_units))

    draws = {seed: split(seed) for seed in range(4)}
    for train, held in draws.values():
        assert not set(train) & set(held) and len(held) == int(0.3 * (len(train) + len(held)))
    assert draws[0] == split(0) and len({tuple(held) for _, held in draws.values()}) > 1
