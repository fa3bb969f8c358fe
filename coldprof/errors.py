"""The one user-facing error type: a message a person can act on, and an exit code."""

EXIT_OK = 0
EXIT_FAILED = 1  # the thing measured failed, could not be read, or is over budget
EXIT_USAGE = 2  # usage or configuration error


class ColdprofError(Exception):
    """An error to show as one line; anything else escaping the library is a bug."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageError(ColdprofError):
    """Bad options, a missing path, a malformed configuration: exit status 2."""

    def __init__(self, message: str):
        super().__init__(message, EXIT_USAGE)


class TargetError(ColdprofError):
    """The target exists but cannot be read as a package: exit status 1."""

    def __init__(self, message: str):
        super().__init__(message, EXIT_FAILED)
