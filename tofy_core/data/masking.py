"""Batches for latent prediction: phrases pre-tokenized once into a padded id table, then
sampled, masked BERT-style (80/10/10) per phrase, and either trimmed to the longest phrase of
the batch (one padded row per phrase) or packed, several whole phrases to a row of `max_seq`,
so no compute is spent on padding. All tensor operations: data work stays a small share of a
step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from tofy_core.data.vocab import FIRST_WORD_ID, MASK_ID, PAD_ID, UNK_ID


@dataclass
class TokenTable:
    """All phrases as one `(N, max_seq)` id tensor, padded with `<pad>`, plus lengths."""

    ids: torch.Tensor
    lengths: torch.Tensor

    @classmethod
    def from_phrases(cls, phrases: Sequence[Sequence[int]], max_seq: int) -> TokenTable:
        """Phrases longer than `max_seq` are cut into windows so no text is thrown away;
        a trailing window shorter than 2 tokens is dropped."""
        rows: list[Sequence[int]] = []
        for phrase in phrases:
            for start in range(0, len(phrase), max_seq):
                window = phrase[start : start + max_seq]
                if len(window) >= 2:
                    rows.append(window)
        ids = torch.full((len(rows), max_seq), PAD_ID, dtype=torch.int32)
        lengths = torch.empty(len(rows), dtype=torch.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.int32)
            lengths[i] = len(row)
        return cls(ids, lengths)

    def __len__(self) -> int:
        return self.ids.shape[0]

    @property
    def width(self) -> int:
        """The longest a row can be (`max_seq`)."""
        return self.ids.shape[1]

    def word_counts(self, vocab_size: int) -> torch.Tensor:
        """How often each real word (specials excluded) occurs in the rows."""
        counts = torch.bincount(self.ids.long().flatten(), minlength=vocab_size)
        return counts[FIRST_WORD_ID:vocab_size]

    def rows(self, indices: torch.Tensor) -> torch.Tensor:
        """The chosen rows as int64, trimmed to the longest of them."""
        width = int(self.lengths[indices].max())
        return self.ids[indices, :width].long()


class RowSource(Protocol):
    """What the sampler reads: a TokenTable, or a token cache's memory-mapped FlatTable."""

    @property
    def width(self) -> int: ...

    def __len__(self) -> int: ...

    def rows(self, indices: torch.Tensor) -> torch.Tensor: ...


@dataclass
class QuerySelection:
    """The masked positions in the form the encoder's last block uses to compute only them:
    per row their positions, ascending, padded to the row with the most (`index`, (B, W)),
    and which of those B×W slots are real, as flat indices in row-major order (`pick`, (M,)):
    the order of `MaskedBatch.targets`. Built on the CPU with the batch, so the device never
    has to report how many positions a batch masks."""

    index: torch.Tensor
    pick: torch.Tensor

    @classmethod
    def from_mask(cls, masked: torch.Tensor) -> QuerySelection:
        counts = masked.sum(dim=1)
        width = max(int(counts.max()), 1) if masked.numel() else 1
        index = torch.argsort((~masked).to(torch.uint8), dim=1, stable=True)[:, :width]
        slots = torch.arange(width, device=masked.device) < counts.unsqueeze(1)
        return cls(index, slots.flatten().nonzero().squeeze(1))

    def to(self, device: torch.device, non_blocking: bool = False) -> QuerySelection:
        return QuerySelection(
            self.index.to(device, non_blocking=non_blocking),
            self.pick.to(device, non_blocking=non_blocking),
        )

    def pin_memory(self) -> QuerySelection:
        return QuerySelection(self.index.pin_memory(), self.pick.pin_memory())


@dataclass
class MaskedBatch:
    """Inputs with masked positions replaced, and what the model must predict there."""

    inputs: torch.Tensor  # (B, L) ids after 80/10/10 replacement
    padding: torch.Tensor  # (B, L) True where a real token stands
    masked: torch.Tensor  # (B, L) True at the positions to predict
    targets: torch.Tensor  # (M,) original ids at masked positions, row-major order
    selection: QuerySelection | None = None  # where `masked` is, for the encoder
    full: bool = False  # every position is a real token: attention needs no padding mask
    real: int = -1  # real (non-pad) tokens, counted on the CPU before any move to a GPU
    # Packed rows only: each position's place in its own phrase (the position embedding
    # restarts at 0 per phrase) and which phrase of the row it belongs to (-1: padding).
    positions: torch.Tensor | None = None
    segments: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.selection is None and self.masked.device.type == "cpu":
            self.selection = QuerySelection.from_mask(self.masked)
            self.full = self.segments is None and bool(self.padding.all())
        if self.real < 0 and self.padding.device.type == "cpu":
            self.real = int(self.padding.sum())

    @property
    def key_padding(self) -> torch.Tensor | None:
        """The mask attention needs: None when the batch has no padding; (B, L) keys to
        attend for one phrase per row; (B, L, L) query × key, block-diagonal, for packed rows
        (a phrase sees only itself; padding sees only padding, so no row is all -inf)."""
        if self.segments is not None:
            return self.segments.unsqueeze(2) == self.segments.unsqueeze(1)
        return None if self.full else self.padding

    def _tensors(self) -> list[torch.Tensor | None]:
        return [self.inputs, self.padding, self.masked, self.targets, self.positions, self.segments]

    def _rebuilt(self, tensors: list, selection: QuerySelection | None) -> MaskedBatch:
        inputs, padding, masked, targets, positions, segments = tensors
        return MaskedBatch(
            inputs,
            padding,
            masked,
            targets,
            selection=selection,
            full=self.full,
            real=self.real,
            positions=positions,
            segments=segments,
        )

    def to(self, device: torch.device, non_blocking: bool = False) -> MaskedBatch:
        moved = [
            None if t is None else t.to(device, non_blocking=non_blocking) for t in self._tensors()
        ]
        selection = self.selection
        if selection is not None:
            selection = selection.to(device, non_blocking=non_blocking)
        return self._rebuilt(moved, selection)

    def pin_memory(self) -> MaskedBatch:
        """Page-locked copies, so a copy to the GPU can overlap the step before it."""
        pinned = [None if t is None else t.pin_memory() for t in self._tensors()]
        selection = self.selection.pin_memory() if self.selection is not None else None
        return self._rebuilt(pinned, selection)

    @property
    def tokens(self) -> int:
        """Positions computed, padding included."""
        return self.inputs.numel()

    @property
    def real_tokens(self) -> int:
        """Positions holding a real token: what a user's text amounts to."""
        return self.real if self.real >= 0 else int(self.padding.sum())


def choose_positions(
    ids: torch.Tensor,
    rate: float,
    per_seq: int,
    generator: torch.Generator,
    unknown: bool = False,
) -> torch.Tensor:
    """Pick masked positions per row among real words (never pad, unk or other specials):
    `per_seq` of them, or else `rate` of the real tokens rounded, at least one. With
    `unknown`, `<unk>` positions can be picked too: evaluation draws among all the words of
    a held-out phrase, so out-of-vocabulary words are counted, not quietly avoided."""
    real = ids != PAD_ID
    choosable = real & (ids >= FIRST_WORD_ID)
    if unknown:
        choosable |= ids == UNK_ID
    available = choosable.sum(dim=1)
    if per_seq > 0:
        wanted = torch.full_like(available, per_seq)
    else:
        wanted = (real.sum(dim=1).float() * rate).round().long().clamp(min=1)
    count = torch.minimum(wanted, available)
    scores = torch.rand(ids.shape, generator=generator)
    scores = scores.masked_fill(~choosable, 2.0)
    ordered, _ = scores.sort(dim=1)
    threshold = ordered.gather(1, (count - 1).clamp(min=0).unsqueeze(1))
    return choosable & (scores <= threshold) & (count > 0).unsqueeze(1)


def mask_batch(
    ids: torch.Tensor,
    vocab_size: int,
    generator: torch.Generator,
    rate: float = 0.15,
    per_seq: int = 0,
    noise: bool = True,
    unknown: bool = False,
) -> MaskedBatch:
    """BERT-style corruption: of the chosen positions 80% become `<mask>`, 10% a random real
    word, 10% stay. With `noise=False` (evaluation) every chosen position becomes `<mask>`.
    `unknown` lets `<unk>` positions be chosen (see `choose_positions`)."""
    masked = choose_positions(ids, rate, per_seq, generator, unknown)
    inputs = ids.clone()
    if noise:
        roll = torch.rand(ids.shape, generator=generator)
        random_words = torch.randint(
            FIRST_WORD_ID, max(vocab_size, FIRST_WORD_ID + 1), ids.shape, generator=generator
        )
        inputs = torch.where(masked & (roll < 0.8), MASK_ID, inputs)
        inputs = torch.where(masked & (roll >= 0.8) & (roll < 0.9), random_words, inputs)
    else:
        inputs = inputs.masked_fill(masked, MASK_ID)
    return MaskedBatch(inputs, ids != PAD_ID, masked, ids[masked])


def place_phrases(lengths: Sequence[int], width: int) -> tuple[list[int], list[int], list[int]]:
    """First-fit decreasing: (row, offset) of each phrase in rows of `width`, and each row's
    fill. Longest first, each into the first row with room: near the fewest rows."""
    fills: list[int] = []
    rows = [0] * len(lengths)
    offsets = [0] * len(lengths)
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        size = lengths[i]
        row = next((r for r, used in enumerate(fills) if used + size <= width), len(fills))
        if row == len(fills):
            fills.append(0)
        rows[i], offsets[i] = row, fills[row]
        fills[row] += size
    return rows, offsets, fills


def pack_batch(ids: torch.Tensor, batch: MaskedBatch, width: int) -> MaskedBatch:
    """The phrases of `batch` (one per row, masked; `ids` their uncorrupted tokens) moved into
    as few rows of `width` as first-fit decreasing finds, each phrase whole and with the
    same masked positions and noise: the same text and targets, less padding."""
    real = ids != PAD_ID
    lengths = real.sum(dim=1)
    rows, offsets, fills = place_phrases(lengths.tolist(), width)
    if len(fills) == len(rows):
        return batch  # no two phrases share a row (full rows): packed is the batch as it is
    count, wide = len(fills), max(fills)
    source = real.flatten().nonzero().squeeze(1)
    within = torch.arange(ids.shape[1]).expand_as(ids)[real]
    starts = torch.tensor(rows) * wide + torch.tensor(offsets)
    target = starts.repeat_interleave(lengths) + within

    def moved(values: torch.Tensor, fill: int | bool) -> torch.Tensor:
        out = torch.full((count * wide,), fill, dtype=values.dtype)
        out[target] = values.flatten()[source]
        return out.view(count, wide)

    segment = torch.arange(len(rows), dtype=torch.int32).unsqueeze(1).expand_as(ids)
    masked = moved(batch.masked, False)
    return MaskedBatch(
        moved(batch.inputs, PAD_ID),
        moved(real, False),
        masked,
        moved(ids, PAD_ID)[masked],
        positions=moved(torch.arange(ids.shape[1]).expand_as(ids), 0),
        segments=moved(segment, -1),
    )


class BatchSampler:
    """Uniform sampling of phrases with a generator whose state is saved, so resume is exact.

    A batch is `batch` phrases either way; with `pack` they share rows of the table's width
    instead of each taking a padded row. Packing happens after masking and draws nothing, so
    packed and unpacked batches hold the same phrases, masks and noise."""

    def __init__(self, table: RowSource, vocab_size: int, seed: int, pack: bool = False) -> None:
        self.table = table
        self.vocab_size = vocab_size
        self.generator = torch.Generator().manual_seed(seed)
        self.pack = pack

    def sample(self, batch: int, rate: float, per_seq: int) -> MaskedBatch:
        indices = torch.randint(0, len(self.table), (batch,), generator=self.generator)
        rows = self.table.rows(indices)
        masked = mask_batch(rows, self.vocab_size, self.generator, rate, per_seq)
        if self.pack:
            return pack_batch(rows, masked, self.table.width)
        return masked

    def get_state(self) -> torch.Tensor:
        return self.generator.get_state()

    def set_state(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)


def eval_batches(
    table: TokenTable, vocab_size: int, batch: int, seed: int = 1234
) -> list[MaskedBatch]:
    """Fixed held-out batches: one `<mask>` per phrase, the same every evaluation. The
    position is drawn among all the phrase's words, so a target can be `<unk>` (a word the
    training split never had): `Trainer.evaluate` counts those apart instead of scoring them."""
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for start in range(0, len(table), batch):
        indices = torch.arange(start, min(start + batch, len(table)))
        rows = table.rows(indices)
        batches.append(
            mask_batch(rows, vocab_size, generator, per_seq=1, noise=False, unknown=True)
        )
    return [b for b in batches if b.targets.numel()]
