"""The PSPLIB readers give back the instances as the files state them."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeground.planning import Mode
from safeground.planning.psplib import (
    Bound,
    PSPLIBFormatError,
    parse_bounds,
    parse_mm,
    parse_rcp,
    parse_sm,
    read_bounds,
    read_psplib,
)
from tests.planning.shared import psplib

# A multi-mode instance written by hand in the PSPLIB .mm layout: one renewable resource
# (4 units) and one nonrenewable budget (6 units). Optimum 6, worked out by hand in
# test_solve.py (5 without the budget).
HAND_MM = """\
************************************************************************
file with basedata            : hand.bas
initial value random generator: 1
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  5
horizon                       :  20
RESOURCES
  - renewable                 :  1   R
  - nonrenewable              :  1   N
  - doubly constrained        :  0   D
************************************************************************
PROJECT INFORMATION:
pronr.  #jobs rel.date duedate tardcost  MPM-Time
    1      3      0       10        0        4
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        2          1           4
   3        2          1           5
   4        2          1           5
   5        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  N 1
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     2       3    4
         2     4       2    1
  3      1     3       3    5
         2     5       1    2
  4      1     2       2    3
         2     3       1    1
  5      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  N 1
    4    6
************************************************************************
"""


def test_j301_1_has_32_jobs_with_the_dummies_and_4_resources() -> None:
    problem = read_psplib(psplib("j30.sm", "j301_1.sm"))
    assert [t.name for t in problem.tasks] == [str(j) for j in range(1, 33)]
    assert [(r.name, r.capacity) for r in problem.resources] == [
        ("R1", 12),
        ("R2", 13),
        ("R3", 4),
        ("R4", 12),
    ]
    first, second, last = problem.task("1"), problem.task("2"), problem.task("32")
    assert first.modes == (Mode(0, {}),) and last.modes == (Mode(0, {}),)
    assert second.modes == (Mode(8, {"R1": 4}),)
    assert {p.after for p in problem.precedences if p.before == "1"} == {"2", "3", "4"}
    assert len(problem.precedences) == 48
    assert problem.nonrenewable == {}


def test_hand_written_mm_keeps_modes_and_the_nonrenewable_budget() -> None:
    problem = parse_mm(HAND_MM)
    assert [len(t.modes) for t in problem.tasks] == [1, 2, 2, 2, 1]
    assert problem.task("3").modes == (Mode(3, {"R1": 3, "N1": 5}), Mode(5, {"R1": 1, "N1": 2}))
    assert [(r.name, r.capacity) for r in problem.resources] == [("R1", 4)]
    assert problem.nonrenewable == {"N1": 6}


def test_mm_file_is_read_by_suffix(tmp_path: Path) -> None:
    path = tmp_path / "hand.mm"
    path.write_text(HAND_MM)
    assert read_psplib(path) == parse_mm(HAND_MM)


def test_doubly_constrained_resources_are_refused() -> None:
    text = HAND_MM.replace("doubly constrained        :  0", "doubly constrained        :  1")
    with pytest.raises(PSPLIBFormatError, match="doubly constrained resources are not supported"):
        parse_sm(text)


def test_a_missing_mode_line_is_reported_with_its_line() -> None:
    text = HAND_MM.replace("         2     3       1    1\n", "")
    with pytest.raises(PSPLIBFormatError, match=r"<text>, line \d+: .*"):
        parse_mm(text)


def test_patterson_pat1_reads_jobs_resources_and_successors() -> None:
    problem = read_psplib(psplib("patterson.rcp", "pat1.rcp"))
    assert len(problem.tasks) == 14
    assert [(r.name, r.capacity) for r in problem.resources] == [("R1", 2), ("R2", 1), ("R3", 2)]
    assert problem.task("2").modes == (Mode(6, {"R1": 1}),)
    assert {p.after for p in problem.precedences if p.before == "1"} == {"2", "3", "4"}


def test_patterson_successor_lists_may_wrap_lines() -> None:
    text = "3 1\n5\n0 0 2 2\n3\n4 2 1 3\n0 0 0\n"
    problem = parse_rcp(text)
    assert [(p.before, p.after) for p in problem.precedences] == [
        ("1", "2"),
        ("1", "3"),
        ("2", "3"),
    ]
    assert problem.task("2").modes == (Mode(4, {"R1": 2}),)


def test_patterson_refuses_an_unknown_successor() -> None:
    with pytest.raises(PSPLIBFormatError, match="job 1 has an unknown successor 9"):
        parse_rcp("2 1\n5\n0 0 1 9\n0 0 0\n")


def test_bounds_read_proven_open_and_upper_only_values() -> None:
    bounds = parse_bounds("problem,optimum\na.sm,43\nb.sm,104..105\nc.sm,..90\n")
    assert bounds == {
        "a.sm": Bound(43, 43, True),
        "b.sm": Bound(104, 105, False),
        "c.sm": Bound(None, 90, False),
    }
    with pytest.raises(PSPLIBFormatError, match="cannot read the bound 'x'"):
        parse_bounds("problem,optimum\na.sm,x\n")


def test_real_bound_files_give_j301_1_optimum_43() -> None:
    bounds = read_bounds(psplib("j30.sm", "optimum", "optimum.csv"))
    assert bounds["j301_1.sm"] == Bound(43, 43, True)
    assert len(bounds) == 480
