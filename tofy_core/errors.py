"""Errors a user can cause: each carries one line that says what went wrong and what to do."""


class TofyError(Exception):
    """A problem the user can fix; the CLI and TUI print its message, never a traceback."""


class DataError(TofyError):
    """The training data cannot be read or yields nothing usable."""


class ConfigError(TofyError):
    """A setting is out of range or inconsistent with another."""


class RunNotFoundError(TofyError):
    """No run folder matches the id the user gave."""


class CheckpointError(TofyError):
    """A weights or state file is missing, truncated, foreign or does not match the config."""


class QueryError(TofyError):
    """A diff query is malformed (no `=>`, no mask, unknown answer, ...)."""
