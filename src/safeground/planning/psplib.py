"""Readers for the PSPLIB project-scheduling benchmark files (Kolisch & Sprecher, 1997).

The one module of :mod:`safeground.planning` that reads files. Formats:

* ``.sm`` (single mode: j30, j60, j120) and ``.mm`` (multi-mode: j10..j30 mm, MMLIB-like)
  share one layout: ``PRECEDENCE RELATIONS`` (job, #modes, #successors, successors),
  ``REQUESTS/DURATIONS`` (job, mode, duration, one column per resource; the following
  modes of a job leave the job column empty) and ``RESOURCEAVAILABILITIES``. Resources
  are named after their column heading: ``R1``, ``R2``, ... (renewable) and ``N1``, ...
  (nonrenewable, kept as budgets in ``Problem.nonrenewable``). Doubly constrained
  resources are refused.
* ``.rcp`` (Patterson): ``#jobs #resources``, the capacities, then per job its duration,
  its demands, its number of successors and the successors.

Task names are the job numbers as in the file (``'1'`` .. ``'n'``), the dummy source and
sink jobs included (duration 0). Mode indices are the file's mode numbers minus one.
Errors in a file raise :class:`PSPLIBFormatError` (a ValueError) with the line number.

:func:`read_bounds` reads the ``optimum/optimum.csv`` files of the shared data:
``43`` (proven optimum), ``LB..UB`` (open), ``..UB`` (upper bound only).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from safeground.planning.model import Mode, Precedence, Problem, Resource, Task


class PSPLIBFormatError(ValueError):
    """A PSPLIB file that does not follow its format."""


@dataclass(frozen=True)
class Bound:
    """The best known bounds on an instance's optimal makespan."""

    lower: int | None
    upper: int | None
    proven: bool  # lower == upper: the optimum is known


def read_psplib(path: str | os.PathLike[str]) -> Problem:
    """Read a ``.sm``, ``.mm`` or ``.rcp`` file, chosen by its suffix."""
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    suffix = p.suffix.lower()
    if suffix in (".sm", ".mm"):
        return parse_sm(text, source=p.name)
    if suffix == ".rcp":
        return parse_rcp(text, source=p.name)
    raise PSPLIBFormatError(f"{p.name}: unknown PSPLIB suffix {suffix!r} (.sm, .mm or .rcp)")


def parse_mm(text: str, *, source: str = "<text>") -> Problem:
    """Parse the text of a multi-mode ``.mm`` file (the ``.sm`` layout with several modes)."""
    return parse_sm(text, source=source)


def parse_sm(text: str, *, source: str = "<text>") -> Problem:
    """Parse the text of a ``.sm`` (or ``.mm``) file into a :class:`Problem`."""
    lines = text.splitlines()

    def fail(lineno: int, message: str) -> PSPLIBFormatError:
        return PSPLIBFormatError(f"{source}, line {lineno + 1}: {message}")

    def find(prefix: str) -> int:
        for k, line in enumerate(lines):
            if line.strip().upper().startswith(prefix):
                return k
        raise PSPLIBFormatError(f"{source}: no {prefix!r} section")

    def ints(lineno: int) -> list[int]:
        try:
            return [int(tok) for tok in lines[lineno].split()]
        except ValueError:
            raise fail(lineno, f"expected integers, got {lines[lineno].strip()!r}") from None

    counts: dict[str, int] = {}
    for k, line in enumerate(lines):
        m = re.match(r"\s*-\s*(renewable|nonrenewable|doubly constrained)\s*:\s*(\d+)", line)
        if m:
            counts[m.group(1)] = int(m.group(2))
        m = re.match(r"\s*jobs \(incl\. supersource/sink \)\s*:\s*(\d+)", line)
        if m:
            counts["jobs"] = int(m.group(1))
            jobs_line = k
    if "jobs" not in counts:
        raise PSPLIBFormatError(f"{source}: no 'jobs (incl. supersource/sink )' line")
    if counts.get("doubly constrained", 0):
        raise PSPLIBFormatError(f"{source}: doubly constrained resources are not supported")
    n = counts["jobs"]

    k = find("PRECEDENCE RELATIONS") + 2
    n_modes: dict[int, int] = {}
    successors: dict[int, list[int]] = {}
    while len(n_modes) < n:
        if k >= len(lines) or lines[k].startswith("*"):
            raise fail(k, f"expected {n} jobs in PRECEDENCE RELATIONS, found {len(n_modes)}")
        row = ints(k)
        if len(row) < 3 or len(row) != 3 + row[2]:
            raise fail(k, "expected: job, #modes, #successors, then the successors")
        n_modes[row[0]] = row[1]
        successors[row[0]] = row[3:]
        k += 1
    if sorted(n_modes) != list(range(1, n + 1)):
        raise fail(jobs_line, f"jobs must be numbered 1..{n}")

    k = find("REQUESTS/DURATIONS")
    header = lines[k + 1].split()
    if header[:3] != ["jobnr.", "mode", "duration"]:
        raise fail(k + 1, "expected the heading 'jobnr. mode duration ...'")
    columns = _resource_columns(header[3:], k + 1, source)
    n_res = len(columns)
    k += 3  # the heading and the dashes
    modes: dict[int, list[list[int]]] = {}
    job = 0
    while sum(len(v) for v in modes.values()) < sum(n_modes.values()):
        if k >= len(lines) or lines[k].startswith("*"):
            raise fail(k, "REQUESTS/DURATIONS ends before every mode of every job is given")
        row = ints(k)
        if len(row) == 3 + n_res:
            job = row[0]
            row = row[1:]
        elif len(row) != 2 + n_res or job == 0:
            raise fail(k, f"expected [job] mode duration and {n_res} demands")
        if job not in n_modes:
            raise fail(k, f"unknown job {job}")
        modes.setdefault(job, []).append(row)
        if row[0] != len(modes[job]):
            raise fail(k, f"job {job}: modes must be numbered 1, 2, ... in order")
        k += 1
    for job_no, count in n_modes.items():
        if len(modes.get(job_no, [])) != count:
            raise PSPLIBFormatError(
                f"{source}: job {job_no} announces {count} mode(s) but lists "
                f"{len(modes.get(job_no, []))}"
            )

    k = find("RESOURCEAVAILABILITIES")
    avail_cols = _resource_columns(lines[k + 1].split(), k + 1, source)
    if avail_cols != columns:
        raise fail(k + 1, "the resource columns differ from those of REQUESTS/DURATIONS")
    capacities = ints(k + 2)
    if len(capacities) != n_res:
        raise fail(k + 2, f"expected {n_res} availabilities")

    renewable = [name for name in columns if name.startswith("R")]
    budgets = {name: c for name, c in zip(columns, capacities, strict=True) if name[0] == "N"}
    resources = tuple(
        Resource(name, c) for name, c in zip(columns, capacities, strict=True) if name[0] == "R"
    )
    if counts.get("renewable", len(renewable)) != len(renewable):
        raise PSPLIBFormatError(
            f"{source}: {counts['renewable']} renewable resources announced, "
            f"{len(renewable)} columns found"
        )
    tasks = tuple(
        Task(
            str(j),
            tuple(
                Mode(row[1], {name: q for name, q in zip(columns, row[2:], strict=True) if q})
                for row in modes[j]
            ),
        )
        for j in range(1, n + 1)
    )
    precedences = tuple(Precedence(str(i), str(j)) for i in range(1, n + 1) for j in successors[i])
    return Problem(tasks, resources, precedences, nonrenewable=budgets)


def _resource_columns(tokens: list[str], lineno: int, source: str) -> list[str]:
    """``['R', '1', 'R', '2', 'N', '1']`` (or ``['R1', ...]``) -> ``['R1', 'R2', 'N1']``."""
    joined = "".join(tokens)
    names = re.findall(r"([RND])(\d+)", joined)
    if "".join(a + b for a, b in names) != joined:
        raise PSPLIBFormatError(
            f"{source}, line {lineno + 1}: cannot read resource columns {tokens!r}"
        )
    if any(kind == "D" for kind, _ in names):
        raise PSPLIBFormatError(
            f"{source}, line {lineno + 1}: doubly constrained resources are not supported"
        )
    return [a + b for a, b in names]


def parse_rcp(text: str, *, source: str = "<text>") -> Problem:
    """Parse the text of a Patterson ``.rcp`` file into a :class:`Problem`."""
    try:
        numbers = [int(tok) for tok in text.split()]
    except ValueError as exc:
        raise PSPLIBFormatError(f"{source}: a Patterson file holds only integers ({exc})") from None
    pos = 0

    def take(count: int, what: str) -> list[int]:
        nonlocal pos
        if pos + count > len(numbers):
            raise PSPLIBFormatError(f"{source}: the file ends while reading {what}")
        out = numbers[pos : pos + count]
        pos += count
        return out

    n, n_res = take(2, "the number of jobs and resources")
    capacities = take(n_res, "the capacities")
    names = [f"R{r + 1}" for r in range(n_res)]
    tasks: list[Task] = []
    precedences: list[Precedence] = []
    for j in range(1, n + 1):
        duration, *demands = take(1 + n_res, f"job {j}")
        (n_succ,) = take(1, f"job {j}'s number of successors")
        for s in take(n_succ, f"job {j}'s successors"):
            if not 1 <= s <= n:
                raise PSPLIBFormatError(f"{source}: job {j} has an unknown successor {s}")
            precedences.append(Precedence(str(j), str(s)))
        tasks.append(
            Task.single(str(j), duration, {r: q for r, q in zip(names, demands, strict=True) if q})
        )
    if pos != len(numbers):
        raise PSPLIBFormatError(f"{source}: {len(numbers) - pos} number(s) after the last job")
    resources = tuple(Resource(r, c) for r, c in zip(names, capacities, strict=True))
    return Problem(tuple(tasks), resources, tuple(precedences))


def read_bounds(path: str | os.PathLike[str]) -> dict[str, Bound]:
    """Read an ``optimum.csv`` (columns ``problem,optimum``): file name -> :class:`Bound`."""
    return parse_bounds(Path(path).read_text(encoding="utf-8"), source=str(path))


def parse_bounds(text: str, *, source: str = "<text>") -> dict[str, Bound]:
    """Parse the text of an ``optimum.csv``; see :func:`read_bounds`."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"problem", "optimum"} <= set(reader.fieldnames):
        raise PSPLIBFormatError(f"{source}: expected the columns problem,optimum")
    out: dict[str, Bound] = {}
    for row in reader:
        value = (row["optimum"] or "").strip()
        m = re.fullmatch(r"(\d*)\s*(\.\.)?\s*(\d*)", value)
        if not m or not value or (m.group(2) is None and not m.group(1)):
            raise PSPLIBFormatError(
                f"{source}, line {reader.line_num}: cannot read the bound {value!r}"
            )
        if m.group(2) is None:
            exact = int(m.group(1))
            out[row["problem"].strip()] = Bound(exact, exact, True)
        else:
            lower = int(m.group(1)) if m.group(1) else None
            upper = int(m.group(3)) if m.group(3) else None
            out[row["problem"].strip()] = Bound(lower, upper, lower is not None and lower == upper)
    return out
