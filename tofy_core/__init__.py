"""Tofy's engine: data, model, training, runs and probing; `tofy_core.cli` is its command line."""


def version() -> str:
    """The installed `tofy` distribution's version, or the source tree's when not installed
    (read lazily: only `--version` asks)."""
    from importlib import metadata

    try:
        return metadata.version("tofy")
    except metadata.PackageNotFoundError:
        return "0.1.0 (source)"
