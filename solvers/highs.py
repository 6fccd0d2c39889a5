"""The one HiGHS runner used by every exact method in cpnopt, and the options they all take.

:class:`ExactOptions` declares the options of every exact method once (``time_limit``,
``mip_rel_gap``, ``threads``, ``write_model``, ``verbose``, ``trace``, with one default for
every family). :func:`solve_pyomo` takes a Pyomo model, solves it with HiGHS (Pyomo's
``appsi_highs`` interface to highspy) under those options, maps the termination to a
:class:`~cpnopt.solution.Status`, loads the incumbent into the model when there is one,
and reads the incumbent objective and the best bound from the solver. ``write_model``
saves the model as LP or MPS (by extension) before solving, so that anyone can re-solve it
with another solver; ``warm_start`` hands HiGHS the variables' current values as a MIP
start. The ending every exact method shares (time budget, solve, read back) is
:mod:`cpnopt.formulations.common.exact`.

**The anytime trace.** :func:`solve_pyomo` records how the incumbent and the bound moved
during the MIP solve, from HiGHS's MIP callbacks (highspy ≥ 1.8: ``cbMipImprovingSolution``
for each new incumbent, ``cbMipInterrupt``, which HiGHS calls throughout the search, for the
dual bound): rows (seconds since the call, incumbent, bound) in the model's objective sense,
None where there is none yet. A row is kept when the incumbent changes or the bound moves by
more than :data:`TRACE_BOUND_STEP` (relative), so a long solve leaves hundreds of rows, not
one per node; the last row is the result's objective and bound. The callbacks only read
numbers: they print nothing. :class:`IncrementalLP` is the LP a column
generation re-solves as it adds columns (one highspy object, warm-started by HiGHS).

Every HiGHS call in cpnopt (Pyomo's interface, highspy objects, CVXPY's HIGHS) runs inside
:func:`highs_session`, which guards two process-wide states of HiGHS:

- **the thread scheduler.** HiGHS starts one global task scheduler per process with the
  first solve's ``threads``; since highspy 1.16 a later solve that asks for another count
  fails ("HiGHS ended with unknown"). The session resets the scheduler whenever the
  requested count changes, so consecutive solves with any thread counts work.
- **stdout.** highspy 1.16 prints a banner on the process's first ``Highs()``, straight to
  file descriptor 1, whatever ``output_flag`` says. Unless ``verbose``, the session points
  descriptor 1 at ``/dev/null`` for the duration of the call, so ``--json`` output and
  progress bars stay clean.

HiGHS solves inside one process are serialised by a lock (parallel runs use processes).
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.appsi.base import TerminationCondition
from pyomo.contrib.appsi.solvers import Highs

from cpnopt.errors import InputError
from cpnopt.solution import Status

_TIME_LIMITED = {
    TerminationCondition.maxTimeLimit,
    TerminationCondition.maxIterations,
    TerminationCondition.objectiveLimit,
    TerminationCondition.interrupted,
}
_INFEASIBLE = {TerminationCondition.infeasible, TerminationCondition.infeasibleOrUnbounded}
_MATRIX_TIME_LIMITED = {  # the same stops, as highspy reports them to solve_matrix
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
}


TRACE_BOUND_STEP = 1e-3  # a bound-only move smaller than this (relative) is not a new row of the trace

_LOCK = threading.RLock()
_UNSTARTED = object()
_scheduler_threads: object = _UNSTARTED  # the ``threads`` the global scheduler was last started with
_libc = ctypes.CDLL(None)


def _flush_stdout() -> None:
    sys.stdout.flush()
    _libc.fflush(None)  # C stdio buffers (HiGHS prints through them)


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at /dev/null (C-level writes included) until the block ends."""
    _flush_stdout()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        _flush_stdout()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


@contextmanager
def highs_session(threads: int | None = None, verbose: bool = False) -> Iterator[None]:
    """Run HiGHS calls with ``threads`` (None: HiGHS's default) and, unless ``verbose``, no
    output on stdout; see the module docstring."""
    global _scheduler_threads
    with _LOCK:
        if _scheduler_threads is not _UNSTARTED and _scheduler_threads != threads:
            highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = threads
        if verbose:
            yield
        else:
            with _stdout_silenced():
                yield


@dataclass(frozen=True)
class ExactOptions:
    """The options of every exact method, declared once, with one default for every family."""

    time_limit: float | None = 60.0  # seconds for the whole call, model building included; None: no limit
    mip_rel_gap: float = 1e-6
    threads: int | None = None  # None: HiGHS's default
    write_model: str | None = None  # save the model (.lp or .mps) before solving
    verbose: bool = False  # HiGHS's log on stdout
    trace: str | None = None  # write the anytime trace (time, incumbent, bound) as CSV there

    def __post_init__(self) -> None:
        if self.time_limit is not None and not self.time_limit > 0:
            raise InputError("time_limit", self.time_limit, "must be a positive number of seconds")
        if not 0 <= self.mip_rel_gap < 1:
            raise InputError("mip_rel_gap", self.mip_rel_gap, "must be in [0, 1)")
        if self.threads is not None and self.threads < 1:
            raise InputError("threads", self.threads, "must be ≥ 1")
        if self.write_model is not None and Path(self.write_model).suffix.lower() not in (".lp", ".mps"):
            raise InputError("write_model", self.write_model, "file name must end in .lp or .mps")

    def time_left(self, elapsed_s: float, solves_left: int = 1, floor_s: float = 1.0) -> float | None:
        """HiGHS's share of what ``elapsed_s`` left of the limit, over ``solves_left`` solves (at least ``floor_s``)."""
        if self.time_limit is None:
            return None
        return max(floor_s, (self.time_limit - elapsed_s) / solves_left)


UNLIMITED = ExactOptions(time_limit=None)  # internal solves (small LPs) that no method option limits


TraceRow = tuple[float, float | None, float | None]  # (seconds, incumbent, bound); None: none yet


@dataclass(frozen=True)
class HighsResult:
    status: Status
    objective: float | None  # incumbent's model objective (None without an incumbent)
    bound: float | None  # best bound proven by HiGHS
    has_solution: bool  # the incumbent is loaded into the model's variables
    message: str = ""
    trace: tuple[TraceRow, ...] = ()  # (seconds since the solve began, incumbent, bound); see the module docstring


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class MipTrace:
    """The (time, incumbent, bound) rows of one HiGHS MIP solve, recorded by its callbacks;
    times are seconds since ``origin`` (a ``time.perf_counter()`` reading)."""

    def __init__(self, highs: highspy.Highs, origin: float) -> None:
        self.origin = origin
        self.rows: list[TraceRow] = []
        highs.cbMipImprovingSolution.subscribe(self._seen)
        highs.cbMipInterrupt.subscribe(self._seen)

    def _seen(self, event: Any) -> None:
        self.add(_finite(event.data_out.mip_primal_bound), _finite(event.data_out.mip_dual_bound))

    def add(self, incumbent: float | None, bound: float | None) -> None:
        """A row now, unless neither value moved (the bound by at most :data:`TRACE_BOUND_STEP`)."""
        if self.rows:
            _, last_incumbent, last_bound = self.rows[-1]
            if incumbent == last_incumbent and not _bound_moved(last_bound, bound):
                return
        self.rows.append((time.perf_counter() - self.origin, incumbent, bound))

    def closed(self, incumbent: float | None, bound: float | None) -> tuple[TraceRow, ...]:
        """The rows, ending with the solve's reported ``incumbent`` and ``bound``."""
        if not self.rows or self.rows[-1][1:] != (incumbent, bound):
            self.rows.append((time.perf_counter() - self.origin, incumbent, bound))
        return tuple(self.rows)


def _bound_moved(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return old is not new
    return abs(new - old) > TRACE_BOUND_STEP * max(1.0, abs(old))


class IncrementalLP:
    """An LP kept in one highspy object: fixed rows, columns added and bounds changed between
    solves (a column generation's restricted master, a branch-and-price node's LP); every
    call runs inside :func:`highs_session`. Infinite bounds are given as ``±numpy.inf``."""

    def __init__(
        self,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        maximize: bool = True,
        threads: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.threads, self.verbose = threads, verbose
        self.restarts = 0  # solves that HiGHS's warm start failed and that were redone from scratch
        with highs_session(threads, verbose):
            self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", verbose)
        if threads is not None:
            self.highs.setOptionValue("threads", int(threads))
        empty = np.array([], dtype=np.int32)
        self.highs.addRows(len(row_lower), _highs_inf(row_lower), _highs_inf(row_upper), 0, empty, empty, np.array([]))
        if maximize:
            self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def add_column(self, cost: float, rows: np.ndarray, values: np.ndarray) -> None:
        """A column x ≥ 0 of objective ``cost`` with coefficients ``values`` in ``rows``."""
        self.highs.addCol(cost, 0.0, highspy.kHighsInf, len(rows), np.asarray(rows, dtype=np.int32), values)

    def add_columns(
        self,
        costs: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        starts: np.ndarray,
        rows: np.ndarray,
        values: np.ndarray,
    ) -> None:
        """Columns in compressed-column form: column j has ``values[starts[j]:starts[j+1]]`` in those ``rows``."""
        self.highs.addCols(
            len(costs),
            np.asarray(costs, dtype=float),
            _highs_inf(lower),
            _highs_inf(upper),
            len(rows),
            np.asarray(starts, dtype=np.int32),
            np.asarray(rows, dtype=np.int32),
            np.asarray(values, dtype=float),
        )

    def set_column_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self.highs.changeColsBounds(
            len(columns), np.asarray(columns, dtype=np.int32), _highs_inf(lower), _highs_inf(upper)
        )

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self.highs.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32), _highs_inf(lower), _highs_inf(upper))

    def solve(self) -> tuple[float, np.ndarray]:
        """The optimal objective and the row duals; an LP HiGHS does not solve to optimality raises."""
        objective, _, duals = self.solve_primal_dual()
        return objective, duals

    def solve_primal_dual(self) -> tuple[float, np.ndarray, np.ndarray]:
        """The optimal objective, column values and row duals. When the warm-started solve
        fails (numerical trouble), it is redone from scratch once; then it raises."""
        with highs_session(self.threads, self.verbose):
            status = self.highs.run()
            if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                self.restarts += 1
                self.highs.clearSolver()
                status = self.highs.run()
        model_status = self.highs.getModelStatus()
        if status == highspy.HighsStatus.kError or model_status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"LP: HiGHS {status.name}, {model_status.name}")
        solution = self.highs.getSolution()
        return (
            self.highs.getInfo().objective_function_value,
            np.asarray(solution.col_value),
            np.asarray(solution.row_dual),
        )


def solve_binary_program(
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    costs: np.ndarray,
    starts: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    *,
    maximize: bool = True,
    start: np.ndarray | None = None,
    time_limit: float = 60.0,
    threads: int | None = None,
) -> np.ndarray | None:
    """Solve max (or min) costs·x over binary x with row_lower ≤ A x ≤ row_upper (A in
    compressed-column form, as :meth:`IncrementalLP.add_columns`), from the MIP start
    ``start`` when given; the best point found within ``time_limit`` seconds, or None."""
    highs = _binary_program(row_lower, row_upper, costs, starts, rows, values, maximize, threads)
    highs.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=float).tolist()
        solution.value_valid = True
        highs.setSolution(solution)
    with highs_session(threads):
        highs.run()
    if highs.getInfo().primal_solution_status != 2:  # no feasible point
        return None
    return np.asarray(highs.getSolution().col_value)


def write_binary_program(
    path: str | Path,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    costs: np.ndarray,
    starts: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    *,
    maximize: bool = True,
) -> None:
    """Save the binary program of :func:`solve_binary_program` as ``.lp`` or ``.mps`` (by extension)."""
    if Path(path).suffix.lower() not in (".lp", ".mps"):
        raise InputError("write_model", str(path), "file name must end in .lp or .mps")
    highs = _binary_program(row_lower, row_upper, costs, starts, rows, values, maximize, None)
    with highs_session(None):
        highs.writeModel(str(path))


def _binary_program(
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    costs: np.ndarray,
    starts: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    maximize: bool,
    threads: int | None,
) -> highspy.Highs:
    n = len(costs)
    program = MatrixProgram(
        row_lower, row_upper, costs, np.ones(n), np.ones(n, dtype=bool), starts, rows, values, maximize
    )
    return _load_matrix(program, threads, verbose=False)


def _solve_as_loaded(update_config: Any) -> None:
    """Tell Pyomo's interface that the model loaded by ``set_instance`` has not changed since,
    so ``solve`` does not scan it again."""
    for flag in (
        "check_for_new_or_removed_constraints",
        "check_for_new_or_removed_vars",
        "check_for_new_or_removed_params",
        "check_for_new_objective",
        "update_constraints",
        "update_vars",
        "update_params",
        "update_named_expressions",
        "update_objective",
    ):
        setattr(update_config, flag, False)


def _highs_inf(bounds: np.ndarray) -> np.ndarray:
    """±numpy.inf as HiGHS's infinity."""
    return np.clip(np.asarray(bounds, dtype=float), -highspy.kHighsInf, highspy.kHighsInf)


def write_model(model: pyo.ConcreteModel, path: str | Path) -> None:
    """Save ``model`` as ``.lp`` or ``.mps`` with readable names."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".lp", ".mps"):
        raise InputError("write_model", str(path), "file name must end in .lp or .mps")
    model.write(str(path), io_options={"symbolic_solver_labels": True})


def solve_pyomo(
    model: pyo.ConcreteModel, options: ExactOptions = UNLIMITED, *, warm_start: bool = False
) -> HighsResult:
    """Solve ``model`` with HiGHS under ``options`` (``time_limit`` here: the solve's own); see the module docstring."""
    time_limit, mip_rel_gap, threads, verbose = (
        options.time_limit,
        options.mip_rel_gap,
        options.threads,
        options.verbose,
    )
    if options.write_model is not None:
        write_model(model, options.write_model)

    solver = Highs()
    if not solver.available():
        return HighsResult(Status.ERROR, None, None, False, "HiGHS (highspy) is not available")
    solver.config.load_solution = False
    solver.config.stream_solver = verbose
    solver.config.warmstart = warm_start  # start from the variables' current values (a MIP start)
    if time_limit is not None:
        solver.config.time_limit = float(time_limit)
    solver.config.mip_gap = float(mip_rel_gap)
    if threads is not None:
        solver.highs_options = {"threads": int(threads)}
    loading = time.perf_counter()
    try:
        with highs_session(threads, verbose):
            solver.set_instance(model)  # the Pyomo → HiGHS translation counts against the time limit
            if time_limit is not None:
                left = float(time_limit) - (time.perf_counter() - loading)
                if left <= 0:
                    return HighsResult(
                        Status.TIME_LIMIT, None, None, False, "time limit reached while loading the model into HiGHS"
                    )
                solver.config.time_limit = left
            _solve_as_loaded(solver.update_config)
            trace = MipTrace(solver._solver_model, loading)  # the highspy object Pyomo's interface loaded
            results = solver.solve(model)
    except Exception as exc:  # HiGHS or the interface failed: report, never crash a sweep
        return HighsResult(Status.ERROR, None, None, False, f"{type(exc).__name__}: {exc}")

    condition = results.termination_condition
    incumbent = results.best_feasible_objective
    has_solution = incumbent is not None and math.isfinite(incumbent)
    incumbent = float(incumbent) if has_solution else None
    bound = results.best_objective_bound
    bound = float(bound) if bound is not None and math.isfinite(bound) else None
    if has_solution:
        results.solution_loader.load_vars()
    if condition is TerminationCondition.optimal:
        status, bound, message = Status.OPTIMAL, bound if bound is not None else incumbent, ""
    elif condition in _TIME_LIMITED:
        status, message = Status.TIME_LIMIT, f"stopped by {condition.name}"
    elif condition in _INFEASIBLE:
        status, incumbent, bound, has_solution, message = (
            Status.INFEASIBLE,
            None,
            None,
            False,
            "the model is infeasible",
        )
    else:
        status, message = Status.ERROR, f"HiGHS ended with {condition.name}"
    return HighsResult(status, incumbent, bound, has_solution, message, trace.closed(incumbent, bound))


@dataclass(frozen=True)
class MatrixProgram:
    """max (or min) costs·x subject to row_lower ≤ A x ≤ row_upper and 0 ≤ x ≤ upper, x_j integer
    where ``integer[j]``; A in compressed-column form (column j has ``values[starts[j]:starts[j+1]]``
    in ``rows``, as :meth:`IncrementalLP.add_columns`). A model built without Pyomo."""

    row_lower: np.ndarray
    row_upper: np.ndarray
    costs: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # bool per column
    starts: np.ndarray
    rows: np.ndarray
    values: np.ndarray
    maximize: bool = True


def solve_matrix(
    program: MatrixProgram, options: ExactOptions = UNLIMITED, highs_options: dict[str, Any] | None = None
) -> tuple[HighsResult, np.ndarray | None]:
    """Solve ``program`` with HiGHS under ``options`` (``time_limit`` here: the solve's own;
    ``write_model`` saves it first) and HiGHS's own ``highs_options`` (e.g. ``{"presolve": "off"}``);
    the result and the incumbent (None without one)."""
    highs = _load_matrix(program, options.threads, options.verbose)
    highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    for name, value in (highs_options or {}).items():
        highs.setOptionValue(name, value)
    with highs_session(options.threads, options.verbose):
        if options.write_model is not None:
            highs.writeModel(str(options.write_model))
        trace = MipTrace(highs, time.perf_counter())
        run = highs.run()
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # a feasible point
    incumbent = float(info.objective_function_value) if has_solution else None
    bound = float(info.mip_dual_bound) if np.any(program.integer) else incumbent
    bound = bound if bound is not None and math.isfinite(bound) else None
    values = np.asarray(highs.getSolution().col_value) if has_solution else None
    if run == highspy.HighsStatus.kError:
        status, incumbent, bound, has_solution, values = Status.ERROR, None, None, False, None
        message = f"HiGHS ended with {model_status.name}"
    elif model_status == highspy.HighsModelStatus.kOptimal:
        status, bound, message = Status.OPTIMAL, bound if bound is not None else incumbent, ""
    elif model_status in _MATRIX_TIME_LIMITED:
        status, message = Status.TIME_LIMIT, f"stopped by {model_status.name}"
    elif model_status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        status, incumbent, bound, has_solution, values = Status.INFEASIBLE, None, None, False, None
        message = "the model is infeasible"
    else:
        status, message = Status.ERROR, f"HiGHS ended with {model_status.name}"
    return HighsResult(status, incumbent, bound, has_solution, message, trace.closed(incumbent, bound)), values


def _load_matrix(program: MatrixProgram, threads: int | None, verbose: bool) -> highspy.Highs:
    """A highspy object holding ``program`` (HiGHS's log on only when ``verbose``)."""
    with highs_session(threads, verbose):
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", verbose)
    if threads is not None:
        highs.setOptionValue("threads", int(threads))
    empty = np.array([], dtype=np.int32)
    p = program
    highs.addRows(len(p.row_lower), _highs_inf(p.row_lower), _highs_inf(p.row_upper), 0, empty, empty, np.array([]))
    n = len(p.costs)
    highs.addCols(
        n,
        np.asarray(p.costs, dtype=float),
        np.zeros(n),
        _highs_inf(p.upper),
        len(p.rows),
        np.asarray(p.starts, dtype=np.int32),
        np.asarray(p.rows, dtype=np.int32),
        np.asarray(p.values, dtype=float),
    )
    integer = np.flatnonzero(p.integer).astype(np.int32)
    if len(integer):
        highs.changeColsIntegrality(len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger))
    if p.maximize:
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return highs
