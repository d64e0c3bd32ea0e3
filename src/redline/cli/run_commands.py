"""Commands that run and store ensembles: run, runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.text import Text

import redline
from redline.cli.common import (
    EXIT_FAILURE,
    ChunkSizeOption,
    DbOption,
    HorizonOption,
    JsonOption,
    RunsOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    app,
    check_executor,
    check_output_path,
    check_store,
    executor_for,
    fail,
    load_or_fail,
    plain_table,
    probability_cells,
    progress_bar,
    stdout,
)
from redline.engine.run import ENGINES, PerRunSink, check_run_arguments
from redline.files import write_text_output
from redline.report import format_probability, markdown_report
from redline.report.markdown import OUTCOME_MEANINGS, week_date
from redline.results import EnsembleResult
from redline.scenario.models import OUTCOMES, Scenario
from redline.store import DEFAULT_DB, StoreError, list_runs, save_result
from redline.store.per_run import PerRunWriter


def _print_result(result: EnsembleResult) -> None:
    """Print the outcome, question and ladder tables of a result."""
    s = result.scenario
    stdout.print(
        Text(
            f"{s.name}: {result.runs:,} runs, seed {result.seed}, {result.horizon} weeks"
            f" from {s.start.isoformat()} ({result.elapsed_seconds:.1f} s)",
            style="bold",
        )
    )
    stdout.print(
        plain_table(
            "Outcomes",
            ["outcome", "P", "95% interval", "meaning"],
            [[name, *probability_cells(result.outcomes[name]), OUTCOME_MEANINGS.get(name, "")]
             for name in OUTCOMES],
            right=["P", "95% interval"],
        )
    )
    if result.questions:
        by_week = {q.id: q.by_week for q in s.questions}
        stdout.print(
            plain_table(
                "Forecast questions",
                ["question", "by", "P", "95% interval"],
                [
                    [qid, f"week {by_week[qid]} ({week_date(result, by_week[qid])})",
                     *probability_cells(estimate)]
                    for qid, estimate in result.questions.items()
                ],
                right=["P", "95% interval"],
            )
        )
    if any(result.ladder_reached.values()):
        rungs = [r.id for r in s.ladder
                 if any(r.id in reached for reached in result.ladder_reached.values())]
        stdout.print(
            plain_table(
                "Escalation ladder: P(reached)",
                ["actor", *rungs],
                [
                    [actor] + [format_probability(reached[r].p) if r in reached else "-"
                               for r in rungs]
                    for actor, reached in result.ladder_reached.items()
                    if reached
                ],
                right=rungs,
            )
        )


@app.command()
def run(
    scenario: ScenarioArgument,
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    horizon: HorizonOption = None,
    chunk_size: ChunkSizeOption = None,
    db: DbOption = Path(DEFAULT_DB),
    no_db: Annotated[
        bool, typer.Option("--no-db", help="Do not store the run in the database.")
    ] = False,
    json_output: JsonOption = False,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", dir_okay=False, help="Also write a Markdown report here."),
    ] = None,
    per_run: Annotated[
        Path | None,
        typer.Option("--per-run", dir_okay=False,
                     help="Also stream every run's record (outcome, end week, first week of "
                     "each question) to this Parquet file, chunk by chunk."),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    engine: Annotated[
        str,
        typer.Option("--engine", help="compiled (fast, the default) or numpy (the vectorised "
                     "reference); both give the same runs."),
    ] = "compiled",
) -> None:
    """Simulate a scenario, print outcome and question probabilities, store the run.

    The numbers are the same whether chunks run here, on --workers, or on a --scheduler.
    """
    try:
        check_run_arguments(runs, seed, horizon, chunk_size)
    except ValueError as error:
        fail(f"error: {error}")
    if engine not in ENGINES:
        fail(f"error: --engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    check_executor(workers, scheduler)
    check_output_path(markdown, "the report path")
    check_output_path(per_run, "the per-run file")
    if not no_db:
        check_output_path(db, "the database path")
    loaded, path = load_or_fail(scenario)
    if not no_db:
        check_store(db)
    try:
        scenario_text: str | None = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        scenario_text = None
    try:
        with executor_for(workers, scheduler) as executor, \
                progress_bar(not json_output, f"simulating {loaded.name}") as progress, \
                _per_run_writer(per_run, loaded) as sink:
            result = redline.simulate(
                loaded, runs=runs, seed=seed, horizon=horizon, chunk_size=chunk_size,
                progress=progress, executor=executor, engine=engine, per_run_sink=sink,
            )
    except ValueError as error:
        fail(f"error: {error}")
    except PerRunFileError as error:
        fail(f"error: {error}; nothing was stored", EXIT_FAILURE)
    except (OSError, TimeoutError) as error:
        where = "could not reach the Dask cluster: " if workers or scheduler else ""
        fail(f"error: {where}{error}", EXIT_FAILURE)
    except KeyboardInterrupt:
        fail("interrupted: nothing was stored", 130)

    run_id = None
    if not no_db:
        try:
            run_id = save_result(result, db, scenario_text)
        except (StoreError, duckdb.Error, OSError) as error:
            fail(f"error: could not store the run in {db}: {error}", EXIT_FAILURE)
    if markdown is not None:
        try:
            write_text_output(markdown, markdown_report(result, run_id=run_id))
        except OSError as error:
            fail(f"error: could not write the report {markdown}: {error}", EXIT_FAILURE)

    if json_output:
        sys.stdout.write(json.dumps(result.to_dict() | {"run_id": run_id}) + "\n")
        return
    _print_result(result)
    if per_run is not None:
        stdout.print(Text(f"per-run records written to {per_run}"))
    if run_id is not None:
        stdout.print(Text(f"stored run {run_id} in {db}"))
    if markdown is not None:
        stdout.print(Text(f"report written to {markdown}"))


@contextmanager
def _per_run_writer(path: Path | None, scenario: Scenario) -> Iterator[PerRunSink | None]:
    """The Parquet writer's ``write`` for --per-run (renamed into place on success), or None."""
    if path is None:
        yield None
        return
    writer = PerRunWriter(path, scenario)
    failed: list[OSError] = []

    def write(first_run: int, records: dict[str, Any]) -> None:
        try:
            writer.write(first_run, records)
        except OSError as error:
            failed.append(error)
            raise PerRunFileError(f"could not write the per-run file {path}: {error}") from error

    entered = finished = False
    try:
        with writer:  # armed as soon as __enter__ returns: an interrupt then still cleans up
            entered = True
            yield write
            finished = True
    except OSError as error:
        if finished or failed:  # closing the file failed, after the run or after a write
            raise PerRunFileError(f"could not write the per-run file {path}: {error}") from error
        if entered:  # the simulation's own error (a Dask cluster out of reach)
            raise
        fail(f"error: could not write the per-run file {path}: {error}", EXIT_FAILURE)


class PerRunFileError(Exception):
    """Writing the ``--per-run`` file failed (a full disk, a device error) during the run.

    Told apart from the simulation's own ``OSError`` (a Dask cluster out of
    reach), as which a full disk used to be reported.
    """


@app.command("runs")
def list_stored_runs(db: DbOption = Path(DEFAULT_DB), json_output: JsonOption = False) -> None:
    """List the runs stored in the results database, newest first."""
    try:
        frame = list_runs(db)
    except StoreError as error:
        fail(f"error: {error} (store a run with `redline run SCENARIO --db {db}`)",
              EXIT_FAILURE)
    if json_output:
        typer.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        return
    if frame.empty:
        stdout.print(Text(f"no runs stored in {db}"))
        return
    stdout.print(
        plain_table(
            f"Runs in {db}",
            ["id", "created (UTC)", "scenario", "runs", "seed", "horizon", "settlement",
             "great-power war", "nuclear use", "seconds"],
            [
                [row.id, f"{row.created:%Y-%m-%d %H:%M:%S}", row.scenario, f"{row.runs:,}",
                 row.seed, row.horizon, format_probability(row.settlement),
                 format_probability(row.great_power_war), format_probability(row.nuclear_use),
                 f"{row.elapsed_seconds:.1f}"]
                for row in frame.itertuples(index=False)
            ],
            right=["runs", "seed", "horizon", "settlement", "great-power war", "nuclear use",
                   "seconds"],
        )
    )
