"""The exceptions tsinvest raises.

One base class, :class:`TsinvestError`, so callers can catch everything the kit
raises on purpose. Messages name the parameter, file, row or column and the next
step; they never quote row values or account ids, because error text ends up in
notebooks that are shared outside the team.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "TsinvestError",
    "Problem",
    "SchemaValidationError",
    "UnknownTableError",
    "ParameterError",
    "UnsafeInputError",
    "MissingDependencyError",
    "MissingKeyError",
    "NotebookError",
    "HotTargetWarning",
]


class TsinvestError(Exception):
    """Base class of every error tsinvest raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input table.

    Attributes
    ----------
    column : str or None
        Canonical column the problem is in (None for file-level problems).
    reason : str
        What is wrong, in words an analyst can act on. Never contains cell values.
    rows : tuple of int
        1-based data row numbers as the analyst sees them in the file (the header
        is not counted). Empty for file- or column-level problems.
    count : int
        How many rows have this problem (may exceed ``len(rows)`` when the list
        of examples is truncated).
    """

    column: str | None
    reason: str
    rows: tuple[int, ...] = ()
    count: int = 0

    def describe(self, max_rows: int = 10) -> str:
        where = f"column '{self.column}'" if self.column else "file"
        text = f"{where}: {self.reason}"
        if self.count:
            text += f" ({self.count} row{'s' if self.count != 1 else ''}"
            if self.rows:
                shown = ", ".join(str(r) for r in self.rows[:max_rows])
                more = ", ..." if len(self.rows) > max_rows or self.count > len(self.rows[:max_rows]) else ""
                text += f": rows {shown}{more}"
            text += ")"
        return text


class SchemaValidationError(TsinvestError):
    """An input table broke the canonical schema; lists every problem at once.

    Attributes
    ----------
    source : str
        File name (or ``"<DataFrame>"`` / ``"<SQL query>"``) the table came from.
    table : str
        Canonical table name the input was checked against.
    problems : list of Problem
        Every problem found, one per (column, reason).
    """

    def __init__(self, source: str, table: str, problems: list[Problem]):
        self.source = source
        self.table = table
        self.problems = list(problems)
        lines = [f"{source}: not a valid '{table}' table, {len(self.problems)} problem(s):"]
        lines += [f"  - {problem.describe()}" for problem in self.problems]
        if all(problem.rows for problem in self.problems):
            lines.append("Fix these rows in the file, or load with on_error='quarantine' to set them aside.")
        else:
            lines.append("Fix the file, or pass mapping= to rename an export's columns to the canonical names.")
        super().__init__("\n".join(lines))


class UnknownTableError(TsinvestError):
    """A table name that is not one of the canonical tables."""


class ParameterError(TsinvestError, ValueError):
    """A function or command received a parameter it cannot use."""


class UnsafeInputError(ParameterError):
    """An input tried to act as code (a SQL file that writes, attaches, reads files or
    loads extensions); it is refused and nothing it asked for was done."""


class MissingDependencyError(TsinvestError, ImportError):
    """An optional dependency is not installed; the message names the extra."""

    def __init__(self, package: str, extra: str):
        self.package = package
        self.extra = extra
        super().__init__(f"{package} is needed for this; install it with: pip install 'tsinvest[{extra}]'")


class MissingKeyError(TsinvestError):
    """Pseudonymisation was asked for but no key was provided."""


class NotebookError(TsinvestError):
    """A notebook could not be found, parameterised or executed.

    When a cell failed, the structured fields say where (like papermill's
    ``PapermillExecutionError``): ``notebook`` (its name), ``cell_index``
    (position in the executed notebook), ``execution_count`` and
    ``exception_name`` (the type, e.g. ``"ParameterError"``). The exception's
    value is never kept: it may quote account data. The fields are ``None``
    for other failures.
    """

    def __init__(
        self,
        message: str,
        *,
        notebook: str | None = None,
        cell_index: int | None = None,
        execution_count: int | None = None,
        exception_name: str | None = None,
    ):
        super().__init__(message)
        self.notebook = notebook
        self.cell_index = cell_index
        self.execution_count = execution_count
        self.exception_name = exception_name


class RunInterruptedError(NotebookError):
    """A notebook run was stopped by a signal (Ctrl-C or SIGTERM); nothing was written.

    ``signum`` is the signal number; the command line exits with ``128 + signum``.
    """

    def __init__(self, signum: int):
        import signal

        self.signum = signum
        name = signal.Signals(signum).name if signum in {item.value for item in signal.Signals} else str(signum)
        super().__init__(
            f"the run was interrupted ({name}); the kernel was stopped and no output, staging folder or "
            "pseudonymised copy was kept"
        )


class HotTargetWarning(UserWarning):
    """Some targets were left out of a coordination network because they were too busy.

    The message gives only counts; the excluded target ids are in
    ``edges.attrs["excluded_targets"]``.
    """
