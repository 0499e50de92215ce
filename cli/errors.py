"""The CLI's failures: one exception type carrying the one-line message and the exit code.

Exit codes (documented in docs/operations.md):

* 0 success
* 1 the cluster refused or failed the operation (not found, already exists, precondition)
* 2 usage or local configuration error (bad flag, no cluster found, invalid pool definition)
* 3 not available in this version (the metadata service lacks the RPC or feature)
* 4 the metadata service or gateway cannot be reached (or rejected the cluster token)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_AVAILABLE = 3
EXIT_UNREACHABLE = 4


class CliError(Exception):
    """A failure reported as ``objectio-cli: <message>`` on stderr with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class NotAvailable(CliError):
    """The running metadata service has no such RPC or feature (exit code 3)."""

    def __init__(self, what: str, why: str = "the metadata service has no such RPC yet") -> None:
        super().__init__(f"{what}: not available in this version ({why})", EXIT_NOT_AVAILABLE)
