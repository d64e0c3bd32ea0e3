"""Tests of the command line, through a subprocess as a user runs it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import yaml

from redline.scenario.models import OUTCOMES
from redline.scenarios import builtin_names
from redline.store import list_runs, save_result
from tests.support.fake_results import SMALL_SCENARIO, make_result


def redline(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redline", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=300, check=False,
    )


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    data = yaml.safe_load(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    data["horizon"] = -3
    data["actors"]["RED"]["capability"] = "lots"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def assert_clean_error(process: subprocess.CompletedProcess[str], code: int) -> None:
    assert process.returncode == code, process.stderr
    assert "Traceback" not in process.stderr + process.stdout


# -------------------------------------------------------------------- general


@pytest.mark.slow
def test_help_and_version():
    process = redline("--help")
    assert process.returncode == 0
    for command in ("validate", "schema", "show", "list", "run", "runs"):
        assert command in process.stdout
    version = redline("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("redline ")


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("redline")
    if not script.exists():
        pytest.skip("no console script next to this interpreter")
    process = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert process.returncode == 0
    assert "Usage: redline" in process.stdout


#: Runs redline as its console script (or as ``python -m redline``) with a Ctrl-C that lands
#: exactly while redline's imports run: when Numba is first imported.
INTERRUPT_WHILE_LOADING = textwrap.dedent("""
    import os, runpy, signal, sys

    class InterruptOnNumba:
        def find_spec(self, name, path=None, target=None):
            if name == "numba":
                os.kill(os.getpid(), signal.SIGINT)
            return None

    entry = sys.argv[1]
    sys.meta_path.insert(0, InterruptOnNumba())
    sys.argv = ["redline", "list"]
    if entry == "script":
        from redline.cli import main
        sys.exit(main())
    runpy.run_module("redline", run_name="__main__", alter_sys=True)
""")


@pytest.mark.parametrize("entry", ["script", "module"])
def test_ctrl_c_while_loading_exits_quietly_with_130(entry):
    """Issue 18: Ctrl-C in the first second (the imports) printed a traceback."""
    process = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_LOADING, entry],
                             capture_output=True, text=True, timeout=300, check=False)
    assert (process.returncode, process.stdout, process.stderr) == (130, "", "")


SIGNAL_IN_A_CALLBACK = textwrap.dedent("""
    import os, signal, sys, time, weakref
    from redline.cli import catch_interrupts
    catch_interrupts()

    class Cache:
        pass

    def forget(_):  # the signal arrives while a weak reference's callback runs
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        for _ in range(10_000):
            pass

    cache = Cache()
    reference = weakref.ref(cache, forget)
    try:
        del cache
        for _ in range(6000):  # the rest of the command (at most a minute)
            time.sleep(0.01)
        print("carried on")
    except KeyboardInterrupt:
        print("interrupted")
""")


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_an_interrupt_during_a_callback_is_not_lost(name):
    """Second probe (issue 18): SIGTERM during a weakref callback printed 'Exception ignored'
    with a traceback, and redline report went on to write the whole report."""
    process = subprocess.run([sys.executable, "-c", SIGNAL_IN_A_CALLBACK, name],
                             capture_output=True, text=True, timeout=300, check=False)
    assert (process.stdout, process.stderr) == ("interrupted\n", "")


# ------------------------------------------------------------------- validate


def test_validate_ok(toy):
    process = redline("validate", toy)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == (
        f"ok: {toy} (scenario toy-crisis: 2 actors, 3 rungs, 1 red line, 1 front, 1 policy,"
        " 2 questions, 0 hypotheses, 0 observations)"
    )


def test_validate_reports_every_issue_with_its_line(toy, broken):
    process = redline("validate", toy, broken)
    assert_clean_error(process, 2)
    assert f"ok: {toy}" in process.stdout
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        file, line_number, column, _ = line.split(":", 3)
        assert file == str(broken)
        assert int(line_number) >= 1
        assert int(column) >= 1
    assert "horizon" in lines[0] or "horizon" in lines[1]
    assert any("capability" in line for line in lines)


@pytest.mark.slow
def test_a_far_future_start_is_refused_by_every_command(tmp_path):
    """Issue 18: `start: 9999-10-01` validated, then show, run and forecast overflowed."""
    data = yaml.safe_load(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    data["start"] = "9999-10-01"
    path = tmp_path / "future.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    line = path.read_text().splitlines().index("start: '9999-10-01'") + 1
    db = tmp_path / "results.duckdb"
    for args in (["validate"], ["show"], ["run", "--runs", "10", "--db", db],
                 ["forecast", "--runs", "10"]):
        process = redline(args[0], path, *args[1:])
        assert_clean_error(process, 2)
        assert process.stderr.startswith(f"{path}:{line}:8: start: 9999-10-01"), process.stderr
    assert not db.exists()


@pytest.mark.slow
def test_a_law_that_draws_infinity_is_refused_before_any_run(tmp_path):
    """Issue 18: `{lognormal: [700, 50]}` validated, drew infinite capabilities, and the run
    reported military collapse 1.0."""
    data = yaml.safe_load(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    data["actors"]["BLUE"]["capability"] = {"lognormal": [700, 50]}
    path = tmp_path / "overflow.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    for args in (["validate"], ["run", "--runs", "10", "--no-db", "--json"]):
        process = redline(args[0], path, *args[1:])
        assert_clean_error(process, 2)
        assert process.stdout == ""
        (line,) = process.stderr.splitlines()
        assert line.startswith(f"{path}:") and "actors.BLUE.capability" in line, line
        assert "draws infinity" in line


@pytest.mark.slow
@pytest.mark.parametrize(("where", "named"), [
    ("questions.0.by_week", "questions.{questions}.by_week"),
    ("policies.0.when.all.0.week_at_least", "policies.{policies}.when.all.0.week_at_least")])
def test_a_week_beyond_any_horizon_is_refused_not_a_traceback(tmp_path, where, named):
    """Second probe (issue 18): `by_week: 10**30` (or `week_at_least`) validated, then every
    run ended in an OverflowError traceback when the scenario was compiled."""
    data = yaml.safe_load(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    *parents, last = [int(part) if part.isdigit() else part for part in where.split(".")]
    node = data
    for part in parents:
        node = node[part]
    node[last] = 10**30
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    for args in (["validate"], ["run", "--runs", "10", "--no-db", "--json"]):
        process = redline(args[0], path, *args[1:])
        assert_clean_error(process, 2)
        (line,) = process.stderr.splitlines()
        shown = named.format(**{key: data[key][0]["id"] for key in ("questions", "policies")})
        assert line.startswith(f"{path}:") and shown in line and "1040" in line, line


def test_validate_missing_file(tmp_path):
    process = redline("validate", tmp_path / "nowhere.yaml")
    assert_clean_error(process, 2)
    assert "nowhere.yaml" in process.stderr


# ------------------------------------------------------------- schema and show


@pytest.mark.slow
def test_schema_is_json_schema_of_a_scenario():
    process = redline("schema")
    assert process.returncode == 0
    schema = json.loads(process.stdout)
    assert {"name", "start", "actors", "sides", "ladder"} <= set(schema["properties"])
    assert schema["$schema"].startswith("https://json-schema.org/")


@pytest.mark.slow
def test_show_summarises_every_part(toy):
    process = redline("show", toy)
    assert process.returncode == 0, process.stderr
    for text in ("toy-crisis", "Actors", "Blue", "uniform(0.3, 0.4)", "Escalation ladder",
                 "Red lines", "triangular(3, 5, 8)", "Fronts", "Policies",
                 "talks offered (weekly hazard 0.1)", "Forecast questions",
                 "week 4 (2024-11-25)"):
        assert text in process.stdout, text


@pytest.mark.slow
def test_show_unknown_name_lists_the_built_ins():
    process = redline("show", "no-such-crisis")
    assert_clean_error(process, 2)
    assert "no-such-crisis" in process.stderr
    for name in builtin_names():
        assert name in process.stderr


def test_list_shows_the_flagship():
    process = redline("list")
    assert process.returncode == 0, process.stderr
    assert "kursk-2024" in process.stdout


# ------------------------------------------------------------------------ run


@pytest.mark.slow
def test_run_json_is_one_object_and_is_stored(toy, tmp_path):
    db = tmp_path / "results.duckdb"
    process = redline("run", toy, "--runs", "300", "--seed", "5", "--json", "--db", db)
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)  # the whole of stdout is one JSON object
    assert {"scenario", "runs", "seed", "horizon_weeks", "start", "outcomes", "questions",
            "ladder_reached", "run_id"} <= set(document)
    assert document["runs"] == 300
    assert document["seed"] == 5
    assert list(document["outcomes"]) == list(OUTCOMES)
    assert sum(o["p"] for o in document["outcomes"].values()) == pytest.approx(1.0)
    for estimate in [*document["outcomes"].values(), *document["questions"].values()]:
        assert estimate["lo"] <= estimate["p"] <= estimate["hi"]
    assert set(document["questions"]) == {"deep_strike_by_w4", "nuclear"}
    assert list(list_runs(db)["id"]) == [document["run_id"]]


@pytest.mark.slow
def test_run_same_seed_same_numbers(toy, tmp_path):
    first = redline("run", toy, "--runs", "200", "--seed", "11", "--json", "--no-db")
    second = redline("run", toy, "--runs", "200", "--seed", "11", "--json", "--no-db")
    assert first.returncode == second.returncode == 0
    assert json.loads(first.stdout) == json.loads(second.stdout)


@pytest.mark.slow
def test_run_tables_markdown_and_stored_id(toy, tmp_path):
    db = tmp_path / "results.duckdb"
    report = tmp_path / "reports" / "toy.md"
    process = redline("run", toy, "--runs", "200", "--db", db, "--markdown", report)
    assert process.returncode == 0, process.stderr
    for name in OUTCOMES:
        assert name in process.stdout
    assert "deep_strike_by_w4" in process.stdout
    assert "Escalation ladder" in process.stdout
    run_id = list_runs(db)["id"].item()
    assert f"stored run {run_id}" in process.stdout
    text = report.read_text()
    assert text.startswith("# redline report: Toy crisis")
    assert run_id in text


@pytest.mark.slow
def test_run_no_db_writes_no_database(toy, tmp_path):
    process = redline("run", toy, "--runs", "100", "--json", "--no-db", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout)["run_id"] is None
    assert not (tmp_path / "redline.duckdb").exists()


@pytest.mark.slow
def test_run_bad_scenario_writes_nothing(broken, tmp_path):
    db = tmp_path / "results.duckdb"
    report = tmp_path / "out" / "report.md"
    process = redline("run", broken, "--runs", "100", "--db", db, "--markdown", report)
    assert_clean_error(process, 2)
    assert len(process.stderr.strip().splitlines()) == 2
    assert all(line.startswith(f"{broken}:") for line in process.stderr.strip().splitlines())
    assert not db.exists()
    assert not report.parent.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flag", "value"),
    [("--runs", "0"), ("--runs", "-5"), ("--horizon", "0"), ("--seed", "-1"),
     ("--chunk-size", "0"), ("--runs", "many"), ("--horizon", "5000")],
)
def test_run_bad_arguments_fail_before_any_work(toy, tmp_path, flag, value):
    db = tmp_path / "results.duckdb"
    process = redline("run", toy, flag, value, "--db", db)
    assert_clean_error(process, 2)
    assert flag.lstrip("-").split("-")[0] in process.stderr  # names the flag
    assert not db.exists()


@pytest.mark.slow
@pytest.mark.parametrize(("args", "command", "needle"), [
    (["run", "TOY", "--runs", "0"], "redline run", "--runs"),
    (["run", "TOY", "--runs", "many"], "redline run", "--runs"),
    (["run", "TOY", "--bogus"], "redline run", "--bogus"),
    (["run"], "redline run", "scenario"),
    (["no-such-command"], "redline", "no-such-command"),
])
def test_a_usage_error_is_one_line(toy, tmp_path, args, command, needle):
    """Issue 18: flag errors printed 5-6-line Rich boxes where the README promises one line."""
    db = tmp_path / "results.duckdb"
    process = redline(*[toy if arg == "TOY" else arg for arg in args], "--db", db)
    assert_clean_error(process, 2)
    assert process.stdout == ""
    (line,) = process.stderr.splitlines()
    assert line.startswith(f"{command}: error: ") and needle in line, line
    assert not db.exists()


@pytest.mark.slow
def test_run_unknown_scenario_lists_the_built_ins(tmp_path):
    db = tmp_path / "results.duckdb"
    process = redline("run", "no-such-crisis", "--db", db)
    assert_clean_error(process, 2)
    assert "no-such-crisis" in process.stderr
    for name in builtin_names():
        assert name in process.stderr
    assert not db.exists()


INTERRUPT_WHILE_DRAWING = textwrap.dedent("""
    import sys
    from redline.cli import main, report_command

    def draw(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C or SIGTERM while the figures are drawn

    report_command.html_report = draw
    main(["report", sys.argv[1], "--runs", "200", "--no-hypotheses", "-o", sys.argv[2]])
""")


@pytest.mark.slow
def test_an_interrupt_while_the_report_is_drawn_is_said_and_writes_nothing(toy, tmp_path):
    """Second probe (issue 18): stopped after its runs, while drawing, `redline report`
    ended silently (exit 143 to SIGTERM, no 'interrupted' line)."""
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "report.html"
    process = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_DRAWING, str(toy), str(out)],
                             capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 130, process.stderr
    assert process.stderr.strip().splitlines()[-1] == "interrupted: nothing was written"
    assert list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_run_report_path_that_is_a_directory_fails_first(toy, tmp_path):
    db = tmp_path / "results.duckdb"
    process = redline("run", toy, "--runs", "100", "--db", db, "--markdown", tmp_path)
    assert_clean_error(process, 2)
    assert not db.exists()


@pytest.mark.slow
def test_run_markdown_through_a_link_writes_its_target(toy, tmp_path):
    """Issue 18: the report was renamed over the link, which became a regular file."""
    real = tmp_path / "reports" / "toy.md"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.md"
    link.symlink_to(Path("reports") / "toy.md")
    process = redline("run", toy, "--runs", "50", "--no-db", "--json", "--markdown", link)
    assert process.returncode == 0, process.stderr
    assert link.is_symlink()
    assert real.read_text().startswith("# redline report: Toy crisis")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.md", "reports", "toy.yaml"]
    assert [p.name for p in real.parent.iterdir()] == ["toy.md"]


def read_fifo_while(fifo: Path, process: subprocess.Popen) -> bytes:
    """What the process writes into the FIFO, read until it ends (it never waits for us)."""
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there before the writer
    chunks = []
    try:
        while True:
            ended = process.poll() is not None
            try:
                while chunk := os.read(reader, 1 << 16):
                    chunks.append(chunk)
            except BlockingIOError:
                pass
            if ended:
                return b"".join(chunks)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)
    finally:
        os.close(reader)


@pytest.mark.slow
def test_run_markdown_to_a_fifo_writes_into_it(toy, tmp_path):
    """Issue 18: the FIFO was replaced by a regular file instead of being written to."""
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "redline", "run", str(toy), "--runs", "50", "--no-db", "--json",
         "--markdown", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    received = read_fifo_while(fifo, process)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received.startswith(b"# redline report: Toy crisis")


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/dev/fd/1", "/dev/stdout"])
def test_run_markdown_to_standard_output(toy, path):
    """Issue 18: `--markdown /dev/stdout` turned /dev/stdout into a regular file (as root)."""
    if path == "/dev/stdout":  # never run where this redline would rename over /dev/stdout
        from redline.destinations import resolve
        if not resolve(path).in_place:
            pytest.fail("/dev/stdout would be replaced: not run")
    kind = stat.S_IFMT(os.lstat("/dev/stdout").st_mode)
    process = redline("run", toy, "--runs", "50", "--no-db", "--json", "--markdown", path)
    assert process.returncode == 0, process.stderr
    report, _, last = process.stdout.rstrip("\n").rpartition("\n")
    assert report.startswith("# redline report: Toy crisis")
    assert json.loads(last)["runs"] == 50
    assert stat.S_IFMT(os.lstat("/dev/stdout").st_mode) == kind != stat.S_IFREG


@pytest.mark.slow
def test_run_refuses_an_output_it_cannot_write_before_any_work(toy, tmp_path):
    sock = tmp_path / "report.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()
    db = tmp_path / "results.duckdb"
    blocker = tmp_path / "file"
    blocker.write_text("")
    for path, needle in ((sock, "socket"), (blocker / "sub" / "toy.md", "not a folder")):
        process = redline("run", toy, "--runs", "50", "--db", db, "--markdown", path)
        assert_clean_error(process, 2)
        (line,) = process.stderr.splitlines()
        assert line.startswith("error: the report path: ") and needle in line, line
    assert not db.exists()


@pytest.mark.slow
def test_run_flagship_json(tmp_path):
    db = tmp_path / "results.duckdb"
    process = redline("run", "kursk-2024", "--runs", "500", "--seed", "1", "--json", "--db", db)
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert document["scenario"] == "kursk-2024"
    assert list(document["outcomes"]) == list(OUTCOMES)
    with duckdb.connect(str(db), read_only=True) as connection:
        (text,) = connection.execute("SELECT scenario_text FROM runs").fetchone()
    assert "kursk-2024" in text


# ----------------------------------------------------------------------- runs


@pytest.mark.slow
def test_runs_lists_stored_runs(tmp_path):
    db = tmp_path / "results.duckdb"
    first = save_result(make_result(seed=1), db)
    second = save_result(make_result(seed=2), db)
    table = redline("runs", "--db", db)
    assert table.returncode == 0, table.stderr
    assert first in table.stdout and second in table.stdout
    assert "41.2%" in table.stdout
    listing = redline("runs", "--db", db, "--json")
    assert listing.returncode == 0, listing.stderr
    records = json.loads(listing.stdout)
    assert [r["id"] for r in records] == [second, first]
    assert records[0]["settlement"] == pytest.approx(0.412)


def test_runs_missing_database_is_a_clear_error(tmp_path):
    db = tmp_path / "missing.duckdb"
    process = redline("runs", "--db", db)
    assert_clean_error(process, 1)
    assert "no results database" in process.stderr
    assert not db.exists()
