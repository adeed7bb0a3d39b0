"""Planning: schedule survey, clearance and reconstruction tasks (a multi-mode
resource-constrained project scheduling problem).

A pure library: build a :class:`Problem`, call :func:`solve`, read the :class:`Result`.
:func:`check_schedule` checks any schedule independently of the solver. The solver
(OR-Tools CP-SAT) is imported only when :func:`solve` needs it; the PSPLIB readers in
:mod:`safeground.planning.psplib` are the only code here that reads files.

    >>> from safeground.planning import Problem, Resource, Task, Precedence, solve
    >>> problem = Problem(
    ...     (Task.single("survey", 2, {"team": 1}), Task.single("clear", 5, {"team": 2})),
    ...     (Resource("team", 2),),
    ...     (Precedence("survey", "clear"),),
    ... )
    >>> solve(problem, time_limit=5).objective
    7.0
"""

from safeground.planning.checker import (
    InvalidSchedule,
    Violation,
    assert_valid,
    check_schedule,
)
from safeground.planning.explain import Conflict, find_conflicts
from safeground.planning.heuristics import heuristic_schedule, justify, serial_sgs
from safeground.planning.model import (
    Mode,
    Objective,
    Precedence,
    Problem,
    Resource,
    Result,
    Schedule,
    StageResult,
    Status,
    Task,
)
from safeground.planning.solve import SolverError, solve

__all__ = [
    "Conflict",
    "InvalidSchedule",
    "Mode",
    "Objective",
    "Precedence",
    "Problem",
    "Resource",
    "Result",
    "Schedule",
    "SolverError",
    "StageResult",
    "Status",
    "Task",
    "Violation",
    "assert_valid",
    "check_schedule",
    "find_conflicts",
    "heuristic_schedule",
    "justify",
    "serial_sgs",
    "solve",
]
