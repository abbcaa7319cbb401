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
