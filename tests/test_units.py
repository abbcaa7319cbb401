"""The unit stream and the confidence filter (prover/train/units.py): pure, no model."""

from __future__ import annotations

import json

import pytest

from prover.train.units import AllConfident, UnitSampler, UnitStream


def _stream(n):
    return UnitStream(n, seed=0)


def test_stream_is_a_permutation_per_epoch_and_reproducible():
    a, b = _stream(10), _stream(10)
    first = [a.next() for _ in range(10)]
    assert sorted(first) == list(range(10)) and first == [b.next() for _ in range(10)]
    second = [a.next() for _ in range(10)]
    assert sorted(second) == list(range(10)) and second != first and a.epoch == 1


def test_streams_of_two_ranks_split_each_epoch():
    ranks = [UnitStream(10, seed=3, rank=r, world=2) for r in range(2)]
    seen = [u for stream in ranks for u in (stream.next() for _ in range(5))]
    assert sorted(seen) == list(range(10))


def test_filter_replaces_confident_units_and_keeps_the_batch_full():
    confident = {0, 2, 4, 6}
    sampler = UnitSampler(
        _stream(10), epsilon=0.1, score=lambda units: [0.05 if u in confident else 0.9 for u in units]
    )
    (a, b), drawn, dropped = sampler.draw_step([2, 2])
    assert len(a) == len(b) == 2 and not set(a + b) & confident and len(set(a + b)) == 4
    assert drawn - dropped == 4 + len(sampler.pending) - sum(u in confident for u in sampler.pending)


def test_filter_drops_exactly_the_units_at_or_below_epsilon_in_stream_order():
    scores = {u: 0.1 * (u % 5) for u in range(20)}  # F = 0, 0.1, 0.2, 0.3, 0.4, 0, ...
    sampler = UnitSampler(
        _stream(20), epsilon=0.2, score=lambda units: [scores[u] for u in units], score_batch=1
    )
    order = [u for u in _stream(20)._current()]
    (kept,), drawn, dropped = sampler.draw_step([5])
    survivors = [u for u in order if scores[u] > 0.2]
    assert kept == survivors[:5] and drawn == order.index(survivors[4]) + 1 and dropped == drawn - 5


def test_filter_gives_up_when_everything_is_confident():
    sampler = UnitSampler(_stream(5), epsilon=0.1, score=lambda units: [0.01] * len(units))
    with pytest.raises(AllConfident):
        sampler.draw_step([2])


@pytest.mark.parametrize("unconfident", [0, 7, 49])  # the first, a middle and the last unit
@pytest.mark.parametrize("seed", range(40))
def test_filter_never_stops_while_one_unit_is_above_epsilon(seed, unconfident):
    """One unconfident unit among 50, batch 1: the old rule (stop after n drops in a row) stopped early in
    most runs, since two draws of a unit can be up to 2 (n - 1) draws apart across a reshuffle."""
    stream = UnitStream(50, seed=seed)
    sampler = UnitSampler(stream, epsilon=0.1, score=lambda units: [0.5 if u == unconfident else 0.01 for u in units])
    for _ in range(5):
        (kept,), _, _ = sampler.draw_step([1])
        assert kept == [unconfident]


def test_every_drawn_unit_is_trained_once_and_each_epoch_trains_every_unit():
    stream = UnitStream(5, seed=1)
    # unit 0 is confident: the last step's drop rate makes the sampler score more candidates than it needs,
    # and the surplus survivors wait for the next step
    sampler = UnitSampler(stream, epsilon=0.1, score=lambda units: [0.01 if u == 0 else 0.9 for u in units])
    trained = []
    for _ in range(10):
        batches, _, _ = sampler.draw_step([1, 2])
        assert [len(b) for b in batches] == [1, 2]
        trained += [u for batch in batches for u in batch]
    replay = UnitStream(5, seed=1)
    drawn = [replay.next() for _ in range(stream.epoch * 5 + stream.position)]
    assert sampler.pending  # surplus survivors are waiting
    assert sorted(trained + sampler.pending) == sorted(u for u in drawn if u != 0)  # nothing else is lost
    assert all(sorted(drawn[e * 5 : e * 5 + 5]) == list(range(5)) for e in range(stream.epoch))


def test_sampler_state_round_trips():
    sampler = UnitSampler(
        _stream(7), epsilon=0.1, score=lambda units: [0.01 if u % 2 else 0.9 for u in units]
    )
    sampler.draw_step([2, 2])
    again = UnitSampler(_stream(7), epsilon=0.1, score=sampler.score)
    again.load_state_dict(json.loads(json.dumps(sampler.state_dict())))
    assert again.draw_step([2, 2]) == sampler.draw_step([2, 2])


# --------------------------------------------------------------------------- what mutation testing found untested


class Recorder:
    """A scorer that records each call: which units, and how far the stream had got."""

    def __init__(self, stream: UnitStream, unconfident: set[int], score: float = 0.01):
        self.stream, self.unconfident, self.score, self.calls = stream, unconfident, score, []

    def __call__(self, units):
        self.calls.append((self.stream.epoch * self.stream.n_units + self.stream.position, list(units)))
        return [0.9 if u in self.unconfident else self.score for u in units]


def test_the_order_is_the_seeded_permutation_a_checkpoint_resumes_with():
    import torch

    stream = UnitStream(9, seed=5)
    for epoch in range(3):
        expected = torch.randperm(9, generator=torch.Generator().manual_seed(5 * 100_003 + epoch)).tolist()
        assert [stream.next() for _ in range(9)] == expected


def test_as_many_units_as_processes_is_enough_and_fewer_is_named():
    assert sorted(UnitStream(2, 0, rank=r, world=2).next() for r in range(2)) == [0, 1]
    with pytest.raises(ValueError, match="^1 training units cannot feed 2 processes$"):
        UnitStream(1, 0, rank=0, world=2)
    with pytest.raises(ValueError, match="^checkpoint was written by 2 processes, this run has 1$"):
        _stream(4).load_state_dict({"epoch": 0, "position": 0, "rank": 0, "world": 2})
    state = UnitStream(4, 0, rank=1, world=2).state_dict()
    assert state == {"epoch": 0, "position": 0, "rank": 1, "world": 2}
    with pytest.raises(ValueError, match="^this is rank 1's place in the unit order; this process is rank 0$"):
        UnitStream(4, 0, rank=0, world=2).load_state_dict(state)


def test_without_a_scorer_the_step_is_the_stream_in_order():
    stream, replay = _stream(6), _stream(6)
    sampler = UnitSampler(stream, epsilon=0.0)
    batches, drawn, dropped = sampler.draw_step([1, 2, 3])
    order = [replay.next() for _ in range(6)]
    assert batches == [order[:1], order[1:3], order[3:6]] and (drawn, dropped) == (6, 0)


def test_the_first_step_scores_no_more_than_it_needs_and_refills_what_it_dropped():
    stream = _stream(10)
    order = _stream(10)._current()
    recorder = Recorder(stream, unconfident=set(order[2:]))  # the first two are confident
    sampler = UnitSampler(stream, epsilon=0.1, score=recorder)
    (kept,), drawn, dropped = sampler.draw_step([4])
    assert [units for _, units in recorder.calls] == [order[:4], order[4:6]]
    assert kept == order[2:6] and (drawn, dropped) == (6, 2)
    assert sampler.state_dict()["drop_rate"] == 2 / 6


def test_a_high_drop_rate_scores_more_candidates_up_to_the_batch_cap():
    for score_batch, need, drop_rate, expected in [(None, 2, 1.0, 32), (None, 8, 1.0, 64), (4, 2, 0.5, 4), (99, 3, 0.5, 6)]:
        stream = _stream(200)
        recorder = Recorder(stream, unconfident=set(range(200)))
        kwargs = {} if score_batch is None else {"score_batch": score_batch}
        sampler = UnitSampler(stream, epsilon=0.1, score=recorder, **kwargs)  # default cap: 64
        sampler.load_state_dict({**sampler.state_dict(), "drop_rate": drop_rate})
        sampler.draw_step([need])
        assert len(recorder.calls[0][1]) == expected, (score_batch, need, drop_rate)  # 1/16 of a unit's chance at most
        assert sampler.pending == recorder.calls[0][1][need:]


def test_pending_units_come_first_and_take_takes_exactly_count():
    sampler = UnitSampler(_stream(10), epsilon=0.1)
    sampler.pending = [7, 8]
    taken = sampler.take(3)
    assert taken[:2] == [7, 8] and len(taken) == 3 and sampler.pending == []
    assert sampler.take(0) == []


def test_the_state_carries_pending_units_and_the_drop_rate_and_old_states_load():
    stream = _stream(8)
    sampler = UnitSampler(stream, epsilon=0.1, score=Recorder(stream, unconfident=set(range(8))))
    sampler.pending, sampler.drop_rate = [3, 1], 0.25
    state = json.loads(json.dumps(sampler.state_dict()))
    assert state["pending"] == [3, 1] and state["drop_rate"] == 0.25
    again = UnitSampler(_stream(8), epsilon=0.1)
    again.load_state_dict(state)
    assert again.pending == [3, 1] and again.drop_rate == 0.25
    older = UnitSampler(_stream(8), epsilon=0.1)  # a checkpoint from before the filter kept its state
    older.pending, older.drop_rate = [5], 0.5
    older.load_state_dict({"epoch": 1, "position": 2, "rank": 0, "world": 1})
    assert older.pending == [] and older.drop_rate == 0.0 and older.stream.epoch == 1


def test_an_empty_step_has_no_drop_rate():
    sampler = UnitSampler(_stream(4), epsilon=0.1, score=lambda units: [0.9] * len(units))
    sampler.drop_rate = 0.5
    assert sampler.draw_step([0]) == ([[]], 0, 0) and sampler.drop_rate == 0.0


def test_f_equal_to_epsilon_is_confident_everywhere():
    sampler = UnitSampler(_stream(5), epsilon=0.25, score=lambda units: [0.25] * len(units))
    with pytest.raises(AllConfident, match=r"^every training unit has F\(N, p\) <= epsilon=0.25$"):
        sampler.draw_step([1])


SCAN_CASES = [  # (seeds, start position, unconfident units, micro-batch sizes, last drop rate, score batch)
    (range(12), 0, "two", [2], 0.0, 1),
    (range(12), 0, "one", [2], 0.0, 1),
    ([5], 1, {0}, [2], 0.0, 64),  # a kept unit starts the count of drops again
    ([0], 1, {3}, [1], 1.0, 64),  # a batch that runs on past a full step
]


@pytest.mark.parametrize("seeds, position, unconfident, sizes, drop_rate, score_batch", SCAN_CASES)
def test_a_scan_comes_only_after_an_epochs_share_of_drops_in_a_row_while_the_step_is_not_full(
    seeds, position, unconfident, sizes, drop_rate, score_batch
):
    """A scan (scoring the units not yet scored this step) is made only after 10 drops in a row of the step
    (10 units a rank), while the step still needs units, at most once a step; with one candidate per
    scoring batch it is made as soon as that happens."""
    scans = 0
    for seed in seeds:
        stream = UnitStream(10, seed=seed)
        stream.position = position
        wanted = {"two": {seed % 10, (seed * 7 + 3) % 10}, "one": {seed % 10}}[unconfident] if isinstance(unconfident, str) else unconfident
        recorder = Recorder(stream, unconfident=wanted)
        sampler = UnitSampler(stream, epsilon=0.1, score=recorder, score_batch=score_batch)
        sampler.drop_rate = drop_rate
        for _ in range(6):
            start, first_call = stream.epoch * 10 + stream.position, len(recorder.calls)
            waiting, draws = list(sampler.pending), []  # last step's surplus is served first
            original = stream.next
            stream.next = lambda draws=draws, original=original: draws.append(original()) or draws[-1]
            try:
                sampler.draw_step(sizes)
            finally:
                del stream.next
            scored, scanned = set(), False
            for at, units in recorder.calls[first_call:]:
                done = waiting + draws[: at - start]
                if units[0] not in done:  # a scan: every drawn unit was scored when drawn
                    streak = 0
                    for unit in done:
                        streak = 0 if unit in wanted else streak + 1
                    assert streak >= 10 and not scanned, (seed, done, units)
                    assert sum(u in wanted for u in done) < sum(sizes), (seed, done, units)  # the step needs units
                    assert sorted(units) == sorted(set(range(10)) - scored)  # exactly the units not yet scored
                    scanned, scans = True, scans + 1
                scored.update(units)
            if score_batch == 1:  # no epoch's share of drops in a row without a scan, where one can score
                streak = 0
                for i, unit in enumerate(draws):  # (one candidate a batch: nothing is ever waiting)
                    streak = 0 if unit in wanted else streak + 1
                    if streak == 10 and len(set(draws[: i + 1])) < 10:
                        assert scanned
                        break
    if score_batch == 1:
        assert scans >= 3  # the scenario does reach scans


def test_no_scan_once_the_step_is_full():
    """The scoring batch can run on past the last unit the step needs: drops after that are no reason to
    scan (the step is full), however many."""
    stream = UnitStream(10, seed=0)  # its first unit comes again 10 + 9 draws later: past the batch
    first = UnitStream(10, seed=0)._current()[0]
    recorder = Recorder(stream, unconfident={first})
    sampler = UnitSampler(stream, epsilon=0.1, score=recorder)
    sampler.load_state_dict({**sampler.state_dict(), "drop_rate": 1.0})  # score 16 candidates per unit needed
    (kept,), drawn, dropped = sampler.draw_step([1])
    assert kept == [first] and (drawn, dropped) == (16, 15) and len(recorder.calls) == 1


def test_a_saved_place_without_a_rank_loads():
    stream = UnitStream(4, 0, rank=1, world=2)
    stream.load_state_dict({"epoch": 2, "position": 1, "world": 2})
    assert (stream.epoch, stream.position) == (2, 1)
