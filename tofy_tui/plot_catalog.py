"""What the monitor's plots can show: named charts (each metric on its own scale, titled in
words), grouped into sets the `m` key cycles through; the last set offers every numeric field
of the run's step and eval events. Pure: a chart is computed from a `RunHistory`."""

from __future__ import annotations

from dataclasses import dataclass

from tofy_tui.history import LOSS_PARTS, MIB, NOISY, RunHistory, Series

GIB = 1024 * MIB
PERCENT = {"accuracy", "eval/top1", "eval/top10"}  # fractions shown ×100
FROM_ZERO = {"real_tokens_per_s", "tokens_per_s", "steps_per_s", "eval/mean_rank"}
NAMES = {
    "loss": "loss",
    "ce": "ce (masked word)",
    "mse": "mse (latent)",
    "align": "align",
    "accuracy": "train accuracy %",
    "lr": "learning rate",
    "momentum": "teacher EMA momentum",
    "collapse": "collapse (embedding spread)",
    "real_tokens_per_s": "tokens/s (real)",
    "tokens_per_s": "tokens/s (with padding)",
    "steps_per_s": "steps/s",
    "eval/top1": "held-out top-1 %",
    "eval/top10": "held-out top-10 %",
    "eval/mean_rank": "held-out mean rank",
}
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("overview", ("loss", "held-out", "memory", "lr")),
    ("loss parts", ("loss", "part/ce", "part/mse", "part/align")),
    ("held-out", ("eval/top10", "eval/top1", "eval/mean_rank", "accuracy")),
    ("pace", ("real_tokens_per_s", "steps_per_s", "momentum", "collapse")),
)
EVERY_FIELD = "every field"


@dataclass(frozen=True)
class Chart:
    """One plot's title and lines."""

    title: str
    series: list[Series]
    floor_zero: bool = False


@dataclass(frozen=True)
class Page:
    """The charts shown together: a chunk of one group."""

    group: str
    number: int  # 1-based, within the group
    of: int
    charts: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.group if self.of == 1 else f"{self.group} {self.number}/{self.of}"


def pages(history: RunHistory, slots: int) -> list[Page]:
    """Every group cut into pages of `slots` charts, then every numeric field the run has."""
    groups = [*GROUPS, (EVERY_FIELD, tuple(history.metric_names()))]
    out = []
    for group, names in groups:
        chunks = [names[i : i + slots] for i in range(0, len(names), slots)] or [()]
        out += [Page(group, i + 1, len(chunks), chunk) for i, chunk in enumerate(chunks)]
    return out


def chart(history: RunHistory, name: str, smoothing: float, x: str = "step") -> Chart:
    """The chart called `name` (a metric name, or one of the groups' combined charts), against
    `x`; only the noisy series are smoothed (an lr or a memory figure is drawn as logged)."""
    ema = f" · EMA {smoothing:g}" if smoothing else ""
    if name == "held-out":
        return Chart("accuracy %", history.accuracy_series(smoothing, x), floor_zero=True)
    if name == "memory":
        return memory_chart(history, x)
    if name.startswith("part/"):
        part = name.removeprefix("part/")
        weight = history.weights()[part] if part in LOSS_PARTS else 1.0
        title = f"{NAMES.get(part, part)} ×{weight:g} in the loss{ema}"
        return Chart(title, [history.series(part, smoothing, weight, part, x)])
    if name.startswith("mem_"):
        unit, scale = memory_unit(history, (name,))
        return Chart(f"{name} ({unit})", [history.series(name, 0.0, 1 / scale, x=x)], True)
    scale = 100.0 if name in PERCENT else 1.0
    noisy = name in NOISY
    title = NAMES.get(name, name) + (ema if noisy else "")
    floor = name in PERCENT or name in FROM_ZERO
    return Chart(title, [history.series(name, smoothing if noisy else 0.0, scale, x=x)], floor)


def memory_chart(history: RunHistory, x: str = "step") -> Chart:
    """CUDA allocated and reserved on a GPU, the process's RSS on CPU; from 0, in MiB or GiB."""
    if history.memory_kind == "cuda":
        keys = ("mem_allocated", "mem_reserved")
        unit, scale = memory_unit(history, keys)
        lines = [history.series(key, 0.0, 1 / scale, key.removeprefix("mem_"), x) for key in keys]
        return Chart(f"CUDA memory ({unit})", lines, True)
    if history.memory_kind == "rss":
        unit, scale = memory_unit(history, ("mem_rss",))
        rss = history.series("mem_rss", 0.0, 1 / scale, x=x)
        return Chart(f"trainer RSS ({unit})", [rss], True)
    return Chart("memory", [], True)


def memory_unit(history: RunHistory, keys: tuple[str, ...]) -> tuple[str, float]:
    """GiB once the largest value passes 2 GiB, else MiB."""
    largest = max((v for k in keys for v in history.values.get(k, []) if v == v), default=0.0)
    return ("GiB", GIB) if largest >= 2 * GIB else ("MiB", MIB)
