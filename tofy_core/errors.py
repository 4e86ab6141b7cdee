"""Errors a user can cause: each carries one line that says what went wrong and what to do;
and the exit statuses the CLI turns outcomes into (the TUI reads them from its child)."""

EXIT_FAILED = 1  # training ended `failed` (a NaN loss, or an error after the run began)
EXIT_USER_ERROR = 2  # bad input: one line on stderr, nothing started
EXIT_INTERRUPTED = 130  # Ctrl-C/SIGTERM: the run saved and ended `stopped` (128 + SIGINT)


class TofyError(Exception):
    """A problem the user can fix; the CLI and TUI print its message, never a traceback."""


class DataError(TofyError):
    """The training data cannot be read or yields nothing usable."""


class ConfigError(TofyError):
    """A setting is out of range or inconsistent with another; `field` names the setting
    (a config attribute such as "heads") so a form can put the message beside it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RunNotFoundError(TofyError):
    """No run folder matches the id the user gave."""


class CheckpointError(TofyError):
    """A weights or state file is missing, truncated, foreign or does not match the config."""


class QueryError(TofyError):
    """A diff query is malformed (no `=>`, no mask, unknown answer, ...)."""
