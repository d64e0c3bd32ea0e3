"""Per-run records streamed to Parquet: the records of keep_runs, written whole or not at all."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

import redline
from redline.arrays.state import NEVER
from redline.scenario.models import OUTCOMES
from redline.store.per_run import PerRunWriter, event_ids
from tests.support.fake_results import SMALL_SCENARIO, small_scenario
from tests.support.paths import MINI


def test_the_file_holds_the_same_records_as_keep_runs(tmp_path):
    scenario = redline.load(str(MINI))
    path = tmp_path / "runs.parquet"
    with PerRunWriter(path, scenario) as writer:
        streamed = redline.simulate(scenario, runs=3000, seed=9, chunk_size=1024,
                                    per_run_sink=writer.write)
    kept = redline.simulate(scenario, runs=3000, seed=9, keep_runs=True)
    assert streamed.outcomes == kept.outcomes  # streaming changes nothing else
    table = pq.read_table(path)
    assert table.num_rows == 3000
    assert pq.ParquetFile(path).num_row_groups == 3  # one per chunk
    columns = table.to_pydict()
    assert columns["run"] == list(range(3000))
    assert columns["outcome"] == [OUTCOMES[i] for i in kept.per_run["outcome"]]
    end = kept.per_run["end_week"]
    assert columns["end_week"] == [None if w == NEVER else int(w) for w in end]
    for q, name in enumerate(event_ids(scenario)):
        weeks = kept.per_run["event_week"][:, q]
        assert columns[f"week:{name}"] == [None if w == NEVER else int(w) for w in weeks]


def test_an_interrupted_ensemble_leaves_no_file(tmp_path):
    scenario = small_scenario()
    path = tmp_path / "runs.parquet"

    def failing_sink(first_run, records):
        writer.write(first_run, records)
        if first_run > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), PerRunWriter(path, scenario) as writer:
        redline.simulate(scenario, runs=4096, seed=1, chunk_size=1024,
                         per_run_sink=failing_sink)
    assert list(tmp_path.iterdir()) == []


def test_chunks_out_of_order_are_refused(tmp_path):
    scenario = small_scenario()
    records = {"outcome": np.zeros(4, dtype=np.int64), "end_week": np.full(4, NEVER),
               "event_week": np.full((4, len(event_ids(scenario))), NEVER)}
    with PerRunWriter(tmp_path / "x.parquet", scenario) as writer:
        with pytest.raises(ValueError, match="run order"):
            writer.write(1024, records)
        writer.write(0, records)
    assert pq.read_table(tmp_path / "x.parquet").num_rows == 4


@pytest.mark.slow
def test_the_command_line_streams_per_run_records(tmp_path):
    scenario = tmp_path / "toy.yaml"
    scenario.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    out = tmp_path / "out" / "runs.parquet"
    process = subprocess.run(
        [sys.executable, "-m", "redline", "run", str(scenario), "--runs", "2500", "--no-db",
         "--per-run", str(out)], capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stderr
    assert pq.read_table(out).num_rows == 2500
    assert "per-run records written" in process.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "redline", "run", str(scenario), "--runs", "100", "--no-db",
         "--per-run", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert refused.returncode == 2
    assert "directory" in refused.stderr


def test_the_file_is_written_through_a_link_and_into_a_fifo(tmp_path):
    """Issue 18: the Parquet file was renamed over a link or a FIFO given as --per-run."""
    scenario = small_scenario()
    real = tmp_path / "data" / "runs.parquet"
    link = tmp_path / "runs.parquet"
    link.symlink_to(Path("data") / "runs.parquet")
    with PerRunWriter(link, scenario) as writer:
        redline.simulate(scenario, runs=2048, seed=3, chunk_size=1024, per_run_sink=writer.write)
    assert link.is_symlink() and pq.read_table(real).num_rows == 2048
    assert [p.name for p in real.parent.iterdir()] == ["runs.parquet"]

    fifo = tmp_path / "runs.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    with PerRunWriter(fifo, scenario) as writer:
        redline.simulate(scenario, runs=2048, seed=3, chunk_size=1024, per_run_sink=writer.write)
    reader.join(timeout=60)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert pq.read_table(io.BytesIO(received[0])).equals(pq.read_table(real))


def start_per_run(scenario: Path, out: Path, runs: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "redline", "run", str(scenario), "--runs", str(runs), "--no-db",
         "--per-run", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def temporaries(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*.part"))


def wait_for_temporary(process: subprocess.Popen, out: Path) -> list[Path]:
    """Wait until the run has opened its temporary file (it is then simulating)."""
    while not (found := temporaries(out)):
        assert process.poll() is None, process.communicate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)
    return found


@pytest.fixture
def toy_file(tmp_path: Path) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    return path


def test_sigterm_during_the_run_leaves_no_temporary_file(toy_file, tmp_path):
    """Issue 18: SIGTERM killed the run on the spot and its hidden .part file stayed."""
    out = tmp_path / "runs.parquet"
    process = start_per_run(toy_file, out, 20_000_000)
    wait_for_temporary(process, out)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert "Traceback" not in err and "nothing was stored" in err
    assert temporaries(out) == [] and not out.exists()


@pytest.mark.slow
def test_the_next_run_removes_what_a_killed_run_left(toy_file, tmp_path):
    """Issue 18: kill -9 leaves the .part file (nothing can remove it then); nothing removed
    it later either. The next writer to the same file removes those of dead processes."""
    out = tmp_path / "runs.parquet"
    killed = start_per_run(toy_file, out, 20_000_000)
    (leftover,) = wait_for_temporary(killed, out)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=120)
    assert leftover.exists()
    process = start_per_run(toy_file, out, 500)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert temporaries(out) == [] and pq.read_table(out).num_rows == 500


def test_the_file_gets_the_permissions_of_a_new_file_or_of_the_one_it_replaces(tmp_path):
    """The temporary file is 0600; renamed as it was, the Parquet file was private to its
    owner, unlike the Markdown report beside it (second probe, issue 18)."""
    scenario = redline.load(str(MINI))
    path = tmp_path / "runs.parquet"
    old_umask = os.umask(0o022)
    try:
        with PerRunWriter(path, scenario) as writer:
            redline.simulate(scenario, runs=100, seed=1, per_run_sink=writer.write)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o640)
        with PerRunWriter(path, scenario) as writer:
            redline.simulate(scenario, runs=100, seed=2, per_run_sink=writer.write)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old_umask)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_named_as_such_not_as_the_dask_cluster(tmp_path):
    """Second probe (issue 18): `--per-run` onto a full disk said 'could not reach the Dask
    cluster: No space left on device' (no cluster was used)."""
    scenario = tmp_path / "toy.yaml"
    scenario.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    process = subprocess.run(
        [sys.executable, "-m", "redline", "run", str(scenario), "--runs", "5000", "--no-db",
         "--per-run", "/dev/full"], capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 1, process.stderr
    last = process.stderr.strip().splitlines()[-1]
    assert last.startswith("error: could not write the per-run file /dev/full:"), last
    assert "No space left" in last and "Dask" not in process.stderr
