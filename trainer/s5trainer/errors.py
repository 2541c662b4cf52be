"""Typed errors: every failure the CLI reports carries a stable ``code`` and a specific message."""


class S5Error(Exception):
    """Base class of expected, user-facing failures (bad input, missing data)."""

    code = "s5_error"


class DataError(S5Error):
    code = "data_error"


class ToolMissingError(S5Error):
    code = "tool_missing"
