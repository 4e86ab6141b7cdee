"""Masking: where masks fall, what replaces them, and the padding mask."""

import torch

from tofy_core.data.masking import (
    BatchSampler,
    QuerySelection,
    TokenTable,
    eval_batches,
    mask_batch,
)
from tofy_core.data.vocab import FIRST_WORD_ID, MASK_ID, PAD_ID, UNK_ID


def _table(rows=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    phrases = []
    for _ in range(rows):
        length = int(torch.randint(2, 30, (1,), generator=g))
        ids = torch.randint(FIRST_WORD_ID, 500, (length,), generator=g).tolist()
        ids[0] = UNK_ID  # unknown words are never targets
        phrases.append(ids)
    return TokenTable.from_phrases(phrases, max_seq=32)


def test_replacement_is_80_10_10_and_targets_are_real_words():
    table = _table()
    g = torch.Generator().manual_seed(1)
    masked_inputs, originals, count = [], [], 0
    for _ in range(30):
        rows = table.rows(torch.randint(0, len(table), (64,), generator=g))
        batch = mask_batch(rows, 500, g)
        assert bool((batch.targets >= FIRST_WORD_ID).all())
        assert not bool((batch.masked & ~batch.padding).any())
        masked_inputs.append(batch.inputs[batch.masked])
        originals.append(batch.targets)
        count += int(batch.masked.sum())
    inputs, targets = torch.cat(masked_inputs), torch.cat(originals)
    share_mask = float((inputs == MASK_ID).float().mean())
    share_kept = float((inputs == targets).float().mean())
    share_random = 1 - share_mask - share_kept
    assert abs(share_mask - 0.8) < 0.03
    assert abs(share_kept - 0.1) < 0.03  # a random word equal to the target also counts here
    assert abs(share_random - 0.1) < 0.03


def test_mask_rate_is_15_percent_with_at_least_one_per_phrase():
    table = _table()
    batch = mask_batch(table.rows(torch.arange(len(table))), 500, torch.Generator())
    per_row = batch.masked.sum(dim=1)
    assert int(per_row.min()) >= 1
    real = int(batch.padding.sum())
    assert 0.12 < int(batch.masked.sum()) / real < 0.2


def test_masks_per_seq_one_reproduces_the_seed():
    table = _table()
    batch = mask_batch(table.rows(torch.arange(len(table))), 500, torch.Generator(), per_seq=1)
    assert bool((batch.masked.sum(dim=1) == 1).all())


def test_padding_mask_and_trimming_to_the_longest_row():
    table = TokenTable.from_phrases([[5, 6], [5, 6, 7, 8]], max_seq=10)
    rows = table.rows(torch.tensor([0, 1]))
    assert rows.shape == (2, 4)
    batch = mask_batch(rows, 20, torch.Generator())
    assert batch.padding.tolist() == [[True, True, False, False], [True] * 4]
    assert bool((batch.inputs[~batch.padding] == PAD_ID).all())


def test_long_phrases_are_windowed_not_dropped():
    table = TokenTable.from_phrases([list(range(3, 3 + 25))], max_seq=10)
    assert table.lengths.tolist() == [10, 10, 5]


def test_sampler_state_round_trips_for_exact_resume():
    sampler = BatchSampler(_table(), 500, seed=3)
    sampler.sample(8, 0.15, 0)
    state = sampler.get_state()
    first = sampler.sample(8, 0.15, 0)
    sampler.set_state(state)
    again = sampler.sample(8, 0.15, 0)
    assert torch.equal(first.inputs, again.inputs) and torch.equal(first.masked, again.masked)


def test_eval_batches_are_fixed_and_fully_masked():
    table = _table(50)
    a, b = eval_batches(table, 500, 16), eval_batches(table, 500, 16)
    assert all(torch.equal(x.masked, y.masked) for x, y in zip(a, b, strict=True))
    assert all(bool((x.inputs[x.masked] == MASK_ID).all()) for x in a)


def test_the_selection_lists_masked_positions_in_target_order():
    table = TokenTable.from_phrases([[5, 6, 7, 8], [5, 6]], max_seq=10)
    batch = mask_batch(table.rows(torch.tensor([0, 1])), 20, torch.Generator().manual_seed(0))
    masked = torch.tensor([[False, True, False, True], [True, False, False, False]])
    selection = QuerySelection.from_mask(masked)
    assert selection.index[0].tolist() == [1, 3] and selection.index[1, 0].item() == 0
    assert selection.pick.tolist() == [0, 1, 2]  # slot (1, 1) is padding
    assert batch.selection is not None and not batch.full and batch.key_padding is not None
    full = mask_batch(table.rows(torch.tensor([0])), 20, torch.Generator())
    assert full.full and full.key_padding is None
