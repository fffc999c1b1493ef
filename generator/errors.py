"""The one error type users see: it names the field and the fix."""


class StackError(Exception):
    """Bad input or an unsafe action; the CLI prints it and exits non-zero."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}. Fix: {fix}")
        self.field = field
        self.problem = problem
        self.fix = fix
