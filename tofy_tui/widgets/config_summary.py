"""The live summary under the form: parameter count and estimated memory of the settings."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual.widgets import Static

from tofy_core.config import estimate_memory, human_bytes, human_count
from tofy_tui.settings import FormCheck, vocab_size


class ConfigSummary(Static):
    """Size of the model the form describes; the vocab size comes from the data when known."""

    def show(self, check: FormCheck, words: int | None = None) -> None:
        if check.config is None:
            count = len(check.errors)
            self.update(Text(f"{count} field{'s' if count != 1 else ''} to fix before starting"))
            self.add_class("-invalid")
            return
        self.remove_class("-invalid")
        model = check.config.model
        if words is not None:
            model = dataclasses.replace(model, vocab_size=vocab_size(words, model.max_vocab))
        memory = estimate_memory(model, check.config.train)
        vocab = (
            f"vocab {model.effective_vocab:,} (from the data)"
            if words is not None
            else f"vocab ≤ {model.max_vocab:,}"
        )
        text = Text()
        text.append("parameters ", style="dim")
        text.append(human_count(model.parameter_count()), style="bold")
        text.append(f"  ({human_count(model.non_embedding_parameters())} outside the embedding)\n")
        text.append("memory ≈ ", style="dim")
        text.append(human_bytes(memory.total), style="bold")
        text.append(
            f"  (weights {human_bytes(memory.weights)}, Adam {human_bytes(memory.optimizer)},"
            f" activations {human_bytes(memory.activations)})\n"
        )
        text.append(vocab, style="dim")
        self.update(text)
