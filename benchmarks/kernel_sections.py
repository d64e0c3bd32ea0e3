"""Where the compiled kernel spends its cycles, mechanism by mechanism.

Usage::

    python -m benchmarks.kernel_sections [--runs 32768] [--scenario kursk-2024]

``perf`` sees the kernel as one anonymous block of JIT code, so this tool
makes an instrumented copy of :mod:`redline.engine.kernel`: its block function's
call of the registry's week (:func:`redline.mechanisms.registry.week_kernel`,
the ordered sequence of the mechanisms' compiled steps) is replaced by that
function's body, each call under a section comment (``# -- decisions ...``,
``# -- fronts ...``); before each the tool inserts a
read of the CPU's cycle counter (LLVM's ``readcyclecounter``) and adds the
cycles since the previous mark to that section's total. The copy is compiled
afresh (about 90 seconds, not cached) and run on one thread through
:func:`redline.simulate`; the table gives each section's share and its cycles
per run-week. Each mark costs some tens of cycles itself, so the marks sit at
section level only; shares are more reliable than absolute counts, and on a
busy machine the counts include time the thread was descheduled. The results
are printed, and written to ``benchmarks/results/sections-<date>-<host>.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Section comments of the kernel's records, and the section each starts.
RECORDS = {"# -- records: first week": "records: events", "# -- records: sums": "records: sums"}


def markers() -> dict[str, str]:
    """Section comments of the kernel's weekly loop, and the section each starts.

    One per mechanism of the registry (the kernel calls each under
    ``# -- <name> (module) --``), then the records.
    """
    from redline.mechanisms.registry import MECHANISMS  # (imports Numba: after main's setting)

    return {**{f"# -- {mechanism.name} (": mechanism.name for mechanism in MECHANISMS},
            **RECORDS}


def sections() -> list[str]:
    """The sections, in the order of a week."""
    return ["week start", *markers().values()]


_TICK = '''
from llvmlite import ir as _ir
from numba.core import cgutils as _cgutils
from numba.core import types as _types


@intrinsic
def _tick(typingctx):  # the CPU's cycle counter
    def codegen(context, builder, sig, args):
        function = _cgutils.get_or_insert_function(
            builder.module, _ir.FunctionType(_ir.IntType(64), []), "llvm.readcyclecounter")
        return builder.call(function, [])
    return _types.int64(), codegen


'''


def _replace(source: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced once by ``new``; the tool is out of date if it is absent."""
    if old not in source:
        raise RuntimeError(f"the kernel no longer reads {old!r}: update benchmarks.kernel_sections")
    return source.replace(old, new, 1)


#: The block function's call of the registry's week.
WEEK_CALL = "week_kernel(model, st, work, n, run, week, key)"


def week_source() -> tuple[list[str], list[str]]:
    """The registry's week: the modules it calls, and its body's lines (docstring left out)."""
    import inspect

    from redline.mechanisms.registry import MECHANISMS, week_kernel

    lines = inspect.getsource(week_kernel.py_func).split("\n")
    # from the first section comment (past the docstring) to the function's end
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("# -- "))
    body = [line for line in lines[start:] if line.strip()]
    indent = min(len(line) - len(line.lstrip()) for line in body)
    modules = sorted({mechanism.module.rsplit(".", 1)[-1] for mechanism in MECHANISMS})
    return modules, [line[indent:] for line in body]


def _inline_week(source: str) -> str:
    """``source`` with the block function's call of the week replaced by the week's body."""
    modules, body = week_source()
    lines = source.split("\n")
    calls = [i for i, line in enumerate(lines) if line.strip() == WEEK_CALL]
    if len(calls) != 1:
        raise RuntimeError(f"the kernel no longer reads {WEEK_CALL!r}: "
                           "update benchmarks.kernel_sections")
    pad = " " * (len(lines[calls[0]]) - len(lines[calls[0]].lstrip()))
    lines[calls[0]:calls[0] + 1] = [pad + line for line in body]
    imports = f"from redline.mechanisms import {', '.join(modules)}\n"
    return "\n".join(lines).replace("#: Constants of a compiled scenario",
                                     imports + "#: Constants of a compiled scenario", 1)


def instrument(source: str) -> str:
    """The kernel's source with a cycle-counter mark at the start of every section."""
    source = _inline_week(source)
    source = _replace(source, "#: Constants of a compiled scenario", _TICK
                      + "#: Constants of a compiled scenario")
    source = source.replace("@cached_with_inlined_sources\n", "")  # compiled afresh
    source = _replace(source, "next_block, workers):", "next_block, workers, prof):")
    source = _replace(source, "rung_counts[block], question_week)\n",
                      "rung_counts[block], question_week, prof[block])\n")
    source = _replace(source, "counts,\n                    question_week):",
                      "counts,\n                    question_week, prof):")
    lines = source.split("\n")
    out: list[str] = []
    names = sections()

    def mark(indent: int, section: str) -> list[str]:
        pad = " " * indent
        return [f"{pad}_now = _tick()", f"{pad}prof[section] += _now - _last",
                f"{pad}_last = _now", f"{pad}section = {names.index(section)}"]

    found = set()
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        for marker, section in markers().items():
            if stripped.startswith(marker):
                out += mark(indent, section)
                found.add(marker)
        if stripped.startswith("for n in range(block * BLOCK_SIZE"):
            out += [f"{' ' * indent}_last = _tick()", f"{' ' * indent}section = 0"]
        out.append(line)
        if stripped == "for week in range(horizon + 1):":
            out += mark(indent + 4, "week start")
    missing = set(markers()) - found
    if missing:
        raise RuntimeError(f"section comments not found in the kernel: {sorted(missing)}")
    return "\n".join(out).replace("cache=True", "cache=False")


def _load_instrumented(folder: Path) -> Any:
    from redline.engine import kernel

    path = folder / "kernel_sections_copy.py"
    path.write_text(instrument(Path(kernel.__file__).read_text(encoding="utf-8")))
    spec = importlib.util.spec_from_file_location("kernel_sections_copy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def profile(scenario_name: str, runs: int) -> dict[str, Any]:
    """Run ``runs`` futures through the instrumented kernel; cycles per section."""
    import numba  # (here: main sets NUMBA_NUM_THREADS before Numba reads it)

    from redline.engine import run
    from redline.scenario.loader import load_scenario
    from redline.scenarios import resolve

    totals: list[np.ndarray] = []
    with tempfile.TemporaryDirectory() as folder:
        copy = _load_instrumented(Path(folder))

        def run_kernel(compiled: Any, programs: Any, state: Any, key: int, first_run: int,
                       horizon: int, block_sums: Any, rung_counts: Any, question_week: Any,
                       shown_severity: Any) -> None:
            prof = np.zeros((block_sums.shape[0], len(sections())), dtype=np.int64)
            copy._simulate_blocks(
                copy.kernel_model(compiled, programs, shown_severity), copy.kernel_state(state),
                np.uint64(key), first_run, horizon, block_sums, rung_counts, question_week,
                np.zeros(1, dtype=np.int64), numba.get_num_threads(), prof)
            totals.append(prof.sum(axis=0))
            state.week = horizon

        original = run.run_kernel  # the engine calls the kernel through this name
        run.run_kernel = run_kernel
        try:
            scenario = load_scenario(resolve(scenario_name))
            started = time.perf_counter()
            run.simulate(scenario, runs=1024, seed=0, horizon=2)
            compile_seconds = time.perf_counter() - started
            totals.clear()
            started = time.perf_counter()
            result = run.simulate(scenario, runs=runs, seed=5)
            seconds = time.perf_counter() - started
        finally:
            run.run_kernel = original
    cycles = np.sum(totals, axis=0)
    run_weeks = runs * result.horizon
    return {
        "scenario": scenario_name, "runs": runs, "weeks": result.horizon,
        "seconds": seconds, "compile_seconds": compile_seconds,
        "sections": {name: {"share": float(cycles[i] / cycles.sum()),
                            "cycles_per_run_week": float(cycles[i] / run_weeks)}
                     for i, name in enumerate(sections())},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32768)
    parser.add_argument("--scenario", default="kursk-2024")
    args = parser.parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    # The copy's types reach the mechanisms' cached helpers: keep their cache apart.
    os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="kernel-sections-"))
    from benchmarks.run import machine, write_result

    report = profile(args.scenario, args.runs)
    report["machine"] = machine()
    report["load_average"] = os.getloadavg()
    ordered = sorted(report["sections"].items(), key=lambda item: -item[1]["share"])
    print(f"{args.scenario}: {args.runs} runs x {report['weeks']} weeks, one thread")
    for name, row in ordered:
        print(f"  {name:18s} {100 * row['share']:5.1f}%  {row['cycles_per_run_week']:7.0f}"
              " cycles/run-week")
    print(f"written: {write_result(report, 'sections')}")


if __name__ == "__main__":
    from redline.allocation import tune_allocator

    tune_allocator()  # before any run starts a thread, as the command line: redline.allocation
    main()
