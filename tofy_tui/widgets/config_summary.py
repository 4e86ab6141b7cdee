"""The live summary under the form: parameter count and estimated memory of the settings."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual.widgets import Static

from tofy_core.data.vocab import capped_vocab_size
from tofy_core.format import format_bytes, format_count
from tofy_core.model.memory import estimate_memory
from tofy_tui.form_settings import FormCheck


class ConfigSummary(Static):
    """Size of the model the form describes; the vocab size comes from the data when known."""

    _shown: Text | None = None

    def update(self, content="", *, layout: bool = True) -> None:  # type: ignore[override]
        """The same text again changes nothing: no layout of the screen for it."""
        if isinstance(content, Text) and content == self._shown:
            return
        self._shown = content if isinstance(content, Text) else None
        super().update(content, layout=layout)

    def show(self, check: FormCheck, words: int | None = None) -> None:
        if check.config is None:
            count = len(check.errors)
            self.update(Text(f"{count} field{'s' if count != 1 else ''} to fix before starting"))
            self.add_class("-invalid")
            return
        self.remove_class("-invalid")
        model = check.config.model
        if words is not None:
            model = dataclasses.replace(model, vocab_size=capped_vocab_size(words, model.max_vocab))
        memory = estimate_memory(model, check.config.train)
        vocab = (
            f"vocab {model.effective_vocab:,} (from the data)"
            if words is not None
            else f"vocab ≤ {model.max_vocab:,}"
        )
        text = Text()
        text.append("parameters ", style="dim")
        text.append(format_count(model.parameter_count()), style="bold")
        text.append(f"  ({format_count(model.non_embedding_parameters())} outside the embedding)\n")
        text.append("tensors ≈ ", style="dim")
        text.append(format_bytes(memory.total), style="bold")
        text.append(
            f"  (weights {format_bytes(memory.weights)}, Adam {format_bytes(memory.optimizer)},"
            f" activations {format_bytes(memory.activations)})\n"
        )
        # What the system panel's RSS adds (measured: importing torch and the trainer ≈ 220 MiB,
        # a tiny CPU run's RSS ≈ 320 MiB); on CUDA the tensors are in GPU memory instead.
        text.append(
            "RSS in training: these + a few hundred MiB (Python, PyTorch, data)\n", style="dim"
        )
        text.append(vocab, style="dim")
        self.update(text)
