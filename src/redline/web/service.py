"""What the HTTP API does, as plain functions over the library.

Nothing here knows about HTTP: scenarios are resolved and validated by the
command line's loader, runs go through :func:`redline.simulate` and are stored
by :func:`redline.store.save_result` (the same path as ``redline run``), and
figures are the HTML report's (:mod:`redline.report.figures`). The routers in
:mod:`redline.web.api` turn these into requests and responses.
"""

from __future__ import annotations

import math
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import redline
from redline.analysis import interventions
from redline.analysis.resolutions import happened_by_deadline, load_resolutions
from redline.analysis.scoring import score
from redline.engine.seeding import BLOCK_SIZE
from redline.files import write_text_atomic
from redline.report import figures
from redline.report.html import CAPTIONS, html_report
from redline.results import EnsembleResult
from redline.scenario.errors import Issue, ScenarioError
from redline.scenario.loader import load_scenario, load_text
from redline.scenario.models import Scenario
from redline.scenario.overlay import apply_overlay
from redline.scenarios import builtin_names, builtin_resolutions, resolve
from redline.store import StoreError, delete_run, list_runs, load_run, save_result
from redline.store.duckdb_store import connect

Progress = Callable[[int, int], None]

#: Progress updates aimed at per run (the compiled engine reports once per chunk).
PROGRESS_STEPS = 20
#: Full results kept in memory for figures and reports (a stored run that is not in memory
#: is simulated again by a job, under the server's limits: the same numbers).
KEEP_RESULTS = 8
#: Name given to scenario text from the editor in error messages.
EDITOR_FILE = "<editor>"
#: Longest name of a saved scenario (its file name is the name and ``.yaml``).
MAX_NAME_LENGTH = 64
#: A saved scenario's name: an ASCII letter or digit, then letters, digits, '-' and '_'.
NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME_LENGTH - 1}}}")


class NotFound(LookupError):
    """A run, scenario or job that does not exist."""


class Conflict(RuntimeError):
    """The request clashes with the state of a job or a file."""


def issues_to_json(error: ScenarioError) -> list[dict[str, Any]]:
    """Each issue of a scenario error as ``{line, column, message, expected, text}``."""
    return [{"line": issue.line, "column": issue.column, "message": issue.message,
             "expected": issue.expected, "text": _issue_text(issue)} for issue in error.issues]


def _issue_text(issue: Issue) -> str:
    text = f"line {issue.line}, column {issue.column}: {issue.message}"
    return text + (f" (expected {issue.expected})" if issue.expected else "")


def check_name(name: str) -> None:
    """Refuse a name that cannot be a saved scenario's file name on every system.

    Raises
    ------
    ValueError
        The name is longer than :data:`MAX_NAME_LENGTH` (a file system refuses
        a name of 256 bytes or more) or has other characters than ASCII
        letters, digits, '-' and '_' (it must start with a letter or digit).

    """
    if not NAME_PATTERN.fullmatch(name):
        shown = name if len(name) <= MAX_NAME_LENGTH else name[:MAX_NAME_LENGTH] + "..."
        raise ValueError(f"{shown!r} cannot be a scenario name: it has 1 to "
                         f"{MAX_NAME_LENGTH} characters (this one {len(name)}), ASCII "
                         "letters, digits, '-' and '_', and starts with a letter or digit")


# -------------------------------------------------------------- scenarios


#: What tells that a file changed: modification time (ns), size and inode (an atomic save
#: is a new inode).
Signature = tuple[int, int, int]


def file_signature(path: Path) -> Signature | None:
    """The file's :data:`Signature`, or None when it cannot be read."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


def describe(name: str, source: str, path: Path) -> dict[str, Any]:
    """A library entry: name, source and the scenario's summary, or why it is invalid."""
    entry: dict[str, Any] = {"name": name, "source": source}
    try:
        scenario = load_scenario(path)
    except (ScenarioError, OSError) as error:
        return entry | {"valid": False, "error": str(error).splitlines()[0]}
    return entry | {"valid": True, **summary(scenario)}


class Library:
    """The built-in scenarios and the user's scenario folder (if any).

    The listing is cached file by file: a file is read and validated again
    only when its :data:`Signature` changed (measured: listing the two
    built-in scenarios took about 180 ms a call when every call validated
    them).
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[Signature | None, dict[str, Any]]] = {}

    def user_files(self) -> dict[str, Path]:
        """Name -> file of each ``*.yaml`` in the user's folder."""
        if self.folder is None or not self.folder.is_dir():
            return {}
        return {path.stem: path for path in sorted(self.folder.glob("*.yaml"))
                if not path.stem.endswith(".resolutions")}

    def entries(self) -> list[dict[str, Any]]:
        """Every scenario of the library: name, source, title, start, horizon, counts."""
        listed = [(name, source, path)
                  for source, names in (("builtin", {n: resolve(n) for n in builtin_names()}),
                                        ("user", self.user_files()))
                  for name, path in names.items()]
        found = [self._entry(name, source, path) for name, source, path in listed]
        with self._lock:  # forget files that are gone
            kept = {path for _, _, path in listed}
            self._entries = {p: e for p, e in self._entries.items() if p in kept}
        return found

    def _entry(self, name: str, source: str, path: Path) -> dict[str, Any]:
        """The cached entry of a file, described again if the file changed."""
        signature = file_signature(path)  # before reading: a change while reading shows next
        with self._lock:
            cached = self._entries.get(path)
        if cached is not None and signature is not None and cached[0] == signature:
            return dict(cached[1])
        entry = describe(name, source, path)
        with self._lock:
            self._entries[path] = (signature, entry)
        return dict(entry)

    def path(self, name: str) -> Path:
        """The file of a scenario of the library."""
        user = self.user_files()
        if name in user:
            return user[name]
        if name in builtin_names():
            return resolve(name)
        raise NotFound(f"no scenario {name!r} in the library (built-in: "
                       f"{', '.join(builtin_names())})")

    def text(self, name: str) -> str:
        """The YAML text of a scenario of the library."""
        return self.path(name).read_text(encoding="utf-8")

    def save(self, name: str, text: str) -> Path:
        """Validate ``text`` and save it as the user's scenario ``name``.

        Raises
        ------
        Conflict
            There is no user folder, or ``name`` is a built-in scenario's.
        ScenarioError
            The text is not a valid scenario.

        ValueError
            ``name`` cannot be a file name (:func:`check_name`).

        """
        check_name(name)
        if self.folder is None:
            raise Conflict("the server has no scenario folder (start it with --scenarios DIR)")
        if name in builtin_names():
            raise Conflict(f"{name!r} is a built-in scenario; save under another name")
        load_text(text, EDITOR_FILE)
        self.folder.mkdir(parents=True, exist_ok=True)
        return write_text_atomic(self.folder / f"{name}.yaml", text)

    def load(self, name: str | None, text: str | None) -> tuple[Scenario, str | None]:
        """A validated scenario from a library name or from YAML text, with its text.

        Raises
        ------
        NotFound
            The name is not in the library.
        ScenarioError
            The scenario is not valid.

        """
        if text is not None:
            return load_text(text, EDITOR_FILE), text
        if name is None:
            raise ValueError("give a scenario name or its YAML text")
        path = self.path(name)
        return load_scenario(path), path.read_text(encoding="utf-8")


def summary(scenario: Scenario) -> dict[str, Any]:
    """What the library shows of a scenario."""
    return {
        "scenario": scenario.name, "title": scenario.title,
        "description": scenario.description, "start": scenario.start.isoformat(),
        "horizon_weeks": scenario.horizon, "actors": list(scenario.actors),
        "questions": [q.id for q in scenario.questions],
        "hypotheses": [h.id for h in scenario.hypotheses],
        "observations": len(scenario.observations),
        "interventions": [{"id": i.id, "description": i.description}
                          for i in scenario.interventions],
    }


# ------------------------------------------------------------------ runs


def progress_chunk_size(runs: int) -> int:
    """A chunk size giving about :data:`PROGRESS_STEPS` progress updates (same numbers)."""
    blocks = max(1, math.ceil(runs / BLOCK_SIZE))
    return max(2, math.ceil(blocks / PROGRESS_STEPS)) * BLOCK_SIZE


class Results:
    """The results database plus a small cache of full results for figures.

    DuckDB refuses a read-only and a read-write connection to one file in one
    process at once, so every access goes through one lock.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self.lock = threading.Lock()
        self._cache: OrderedDict[str, EnsembleResult] = OrderedDict()
        self._figures: OrderedDict[str, list[dict[str, str]]] = OrderedDict()

    def remember(self, run_id: str, result: EnsembleResult) -> None:
        """Keep a full result in memory (the newest :data:`KEEP_RESULTS`)."""
        with self.lock:
            self._cache[run_id] = result
            while len(self._cache) > KEEP_RESULTS:
                self._cache.popitem(last=False)

    def simulate_and_store(self, scenario: Scenario, text: str | None, runs: int, seed: int,
                           horizon: int | None, run_id: str,
                           progress: Progress) -> dict[str, Any]:
        """Run, store under ``run_id`` and return the stored document (as ``redline run``)."""
        result = redline.simulate(scenario, runs=runs, seed=seed, horizon=horizon,
                                  chunk_size=progress_chunk_size(runs), progress=progress)
        with self.lock:
            save_result(result, self.db, text, run_id=run_id)
        self.remember(run_id, result)
        return result.to_dict() | {"run_id": run_id}

    def stored(self, query: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Stored runs, newest first, whose id or scenario contains ``query``."""
        if not self.db.is_file():
            return []
        with self.lock:
            frame = list_runs(self.db)
        if query:
            needle = query.lower()
            keep = (frame["id"].str.lower().str.contains(needle, regex=False)
                    | frame["scenario"].str.lower().str.contains(needle, regex=False))
            frame = frame[keep]
        frame = frame.head(limit).astype(object).where(frame.head(limit).notna(), None)
        rows = frame.to_dict(orient="records")
        for row in rows:
            row["created"] = pd.Timestamp(row["created"]).isoformat()
        return [{str(k): _plain(v) for k, v in row.items()} for row in rows]

    def get(self, run_id: str) -> dict[str, Any]:
        """A stored run's document, with its questions' cumulative probability by week."""
        if not self.db.is_file():
            raise NotFound(f"no run {run_id!r}: the database {self.db} holds no runs yet")
        with self.lock:
            try:
                document = load_run(self.db, run_id)
            except StoreError as error:
                if str(error).startswith("no run"):
                    raise NotFound(str(error)) from error
                raise
            with connect(self.db, read_only=True) as connection:
                rows = connection.execute(
                    "SELECT question, week, p FROM question_weeks WHERE run_id = ? "
                    "ORDER BY question, week", [run_id]).fetchall()
        weeks: dict[str, list[float]] = {}
        for question, _week, p in rows:
            weeks.setdefault(question, []).append(float(p))
        document["question_weeks"] = weeks
        return document

    def delete(self, run_id: str) -> None:
        """Delete a stored run."""
        if not self.db.is_file():
            raise NotFound(f"no run {run_id!r}")
        with self.lock:
            try:
                delete_run(self.db, run_id)
            except StoreError as error:
                if str(error).startswith("no run"):
                    raise NotFound(str(error)) from error
                raise
            self._cache.pop(run_id, None)
            self._figures.pop(run_id, None)

    def cached(self, run_id: str) -> EnsembleResult | None:
        """The full result of a run if it is in memory, else None."""
        with self.lock:
            return self._cache.get(run_id)

    def simulate_again(self, document: dict[str, Any], progress: Progress) -> dict[str, Any]:
        """Put a stored run's full result back in memory by simulating it again (a job's work).

        The database keeps a run's summaries, not everything its figures draw
        (the escalation fan chart's distributions, for one); the same scenario,
        seed, runs and horizon give the same numbers, so the run is simulated
        again. It can be as large as any run (up to 10^8 runs), so this is
        only ever called as a job, after the server's limits were checked.
        """
        runs = int(document["runs"])
        result = redline.simulate(stored_scenario(document), runs=runs,
                                  seed=int(document["seed"]),
                                  horizon=int(document["horizon_weeks"]),
                                  chunk_size=progress_chunk_size(runs), progress=progress)
        self.remember(str(document["run_id"]), result)
        return {"run_id": document["run_id"], "runs": runs}

    def figures(self, run_id: str) -> list[dict[str, str]] | None:
        """The report's figures of a run as inline SVG (key, title, caption, svg).

        None when they were not drawn yet and the run's full result is not in
        memory (see :meth:`simulate_again`).
        """
        with self.lock:
            if run_id in self._figures:
                return self._figures[run_id]
        result = self.cached(run_id)
        if result is None:
            return None
        drawn = result_figures(result)
        with self.lock:
            self._figures[run_id] = drawn
            while len(self._figures) > KEEP_RESULTS:
                self._figures.popitem(last=False)
        return drawn

    def report(self, run_id: str) -> str | None:
        """The self-contained HTML report of a run; None when its result is not in memory."""
        result = self.cached(run_id)
        return None if result is None else html_report(result, run_id=run_id)


def stored_scenario(document: dict[str, Any]) -> Scenario:
    """The scenario of a stored run: from its text, or its canonical JSON if that fails."""
    text = document.get("scenario_text")
    try:
        if text:
            return load_text(text, document["scenario"])
    except ScenarioError:
        pass
    return Scenario.model_validate(document["scenario_json"])


def _plain(value: Any) -> Any:
    """A JSON-ready scalar from a NumPy or pandas one (NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def render(key: str, figure: Figure | None, caption: str) -> dict[str, str] | None:
    """One figure as ``{key, title, caption, svg}`` (None when there is nothing to draw)."""
    if figure is None:
        return None
    title = figures.figure_title(figure)
    svg = figures.figure_to_svg(figure, f"fig-{key}")
    figure.clear()
    return {"key": key, "title": title, "caption": caption, "svg": svg}


def result_figures(result: EnsembleResult) -> list[dict[str, str]]:
    """The report's figures of one result.

    Outcomes, questions, escalation, ladder, red-line knowledge, fronts and
    the actors network.
    """
    builders: list[tuple[str, Callable[[], Figure | None]]] = [
        ("outcomes", lambda: figures.outcome_figure(result)),
        ("questions", lambda: figures.question_figure(result)),
        ("escalation", lambda: figures.escalation_figure(result)),
        ("ladder", lambda: figures.ladder_figure(result)),
        ("knowledge", lambda: figures.knowledge_figure(result)),
        ("control", lambda: figures.control_figure(result)),
        ("network", lambda: figures.network_figure(result.scenario)),
    ]
    drawn = []
    with figures.figure_style():
        for key, build in builders:
            figure = render(key, build(), CAPTIONS[key].format(runs=result.runs))
            if figure is not None:
                drawn.append(figure)
    return drawn


# -------------------------------------------------------------- analyses


def compare_stored(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two stored runs side by side: each outcome's and question's difference.

    The interval of a difference is the independent-samples (Wald) 95% interval;
    runs of the same seed are correlated, so for an intervention the paired
    comparison (:func:`compare_intervention`) is much tighter.
    """
    def differences(kind: str) -> dict[str, Any]:
        rows = {}
        for key, a in first[kind].items():
            b = second[kind].get(key)
            if b is None:
                continue
            pa, pb = float(a["p"]), float(b["p"])
            se = math.sqrt(pa * (1 - pa) / first["runs"] + pb * (1 - pb) / second["runs"])
            rows[key] = {"first": a, "second": b, "difference": pb - pa,
                         "lo": pb - pa - 1.959964 * se, "hi": pb - pa + 1.959964 * se,
                         "excludes_zero": abs(pb - pa) > 1.959964 * se}
        return rows

    keep = ("run_id", "scenario", "runs", "seed", "horizon_weeks", "created")
    return {"first": {k: first.get(k) for k in keep}, "second": {k: second.get(k) for k in keep},
            "interval": "independent samples (Wald), 95%",
            "differences": {"outcomes": differences("outcomes"),
                            "questions": differences("questions")}}


def compare_intervention(scenario: Scenario, intervention: str | None, sets: list[str],
                         runs: int, seed: int, horizon: int | None,
                         progress: Progress) -> dict[str, Any]:
    """The scenario against its changed copy on common random numbers (``redline compare``)."""
    comparison = interventions.compare(scenario, check_changes(scenario, intervention, sets),
                                       runs=runs, seed=seed, horizon=horizon,
                                       intervention=intervention, progress=progress)
    return comparison.to_dict()


def check_changes(scenario: Scenario, intervention: str | None,
                  sets: list[str]) -> dict[str, Any]:
    """The overlay of an intervention and ``PATH=VALUE`` changes, checked.

    Raises
    ------
    ValueError
        Nothing to compare, an unknown intervention or a malformed change.
    ScenarioError
        The changed scenario is not valid.

    """
    changes: dict[str, Any] = {}
    if intervention:
        changes.update(interventions.intervention_changes(scenario, intervention))
    changes.update(interventions.parse_sets(sets))
    if not changes:
        named = ", ".join(i.id for i in scenario.interventions) or "none"
        raise ValueError(f"nothing to compare: give an intervention ({named}) or set changes")
    apply_overlay(scenario, changes, what=intervention or "changes")
    return changes


def forecast(scenario: Scenario, runs: int, seed: int, horizon: int | None,
             progress: Progress) -> dict[str, Any]:
    """Every question's probability, interval and cumulative curve (``redline forecast``)."""
    result = redline.simulate(scenario, runs=runs, seed=seed, horizon=horizon,
                              chunk_size=progress_chunk_size(runs), progress=progress)
    questions = {q.id: q for q in scenario.questions}
    return {
        "scenario": scenario.name, "runs": result.runs, "seed": result.seed,
        "horizon_weeks": result.horizon,
        "questions": {
            qid: {**estimate.to_dict(), "by_week": questions[qid].by_week,
                  "text": questions[qid].text,
                  "cumulative": [float(v) for v in result.question_weeks[qid]]}
            for qid, estimate in result.questions.items()
        },
    }


def check_resolutions(scenario: Scenario, name: str | None, text: str | None) -> list[Any]:
    """Recorded outcomes from YAML text, or those shipped with a built-in scenario.

    Raises
    ------
    ScenarioError
        The resolutions are invalid (each issue at its line).
    ValueError
        None given and the scenario ships none.

    """
    if text is None:
        shipped = builtin_resolutions(name) if name else None
        if shipped is None:
            raise ValueError(f"{scenario.name} ships no resolutions: give their YAML text")
        return load_resolutions(shipped, scenario)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resolutions.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_resolutions(path, scenario)
        except ScenarioError as error:
            raise ScenarioError([Issue("<resolutions>", i.line, i.column, i.message, i.expected)
                                 for i in error.issues]) from None


def score_forecasts(scenario: Scenario, recorded: list[Any], runs: int, seed: int,
                    progress: Progress) -> dict[str, Any]:
    """Score the forecasts against recorded outcomes (``redline score --json``)."""
    result = redline.simulate(scenario, runs=runs, seed=seed,
                              chunk_size=progress_chunk_size(runs), progress=progress)
    outcomes = {r.question: happened_by_deadline(r, scenario) for r in recorded}
    forecasts = {qid: estimate.p for qid, estimate in result.questions.items()}
    card = score(forecasts, outcomes, {q.id: q.base_rate for q in scenario.questions})
    document = {"scenario": scenario.name, "runs": result.runs, "seed": result.seed,
                **card.to_dict()}
    drawn = render("calibration", figures.calibration_figure(card.to_dict()),
                   CAPTIONS["calibration"])
    return document | {"figures": [drawn] if drawn else []}


def hypotheses(scenario: Scenario, runs: int, seed: int, progress: Progress) -> dict[str, Any]:
    """Posterior over the scenario's hypotheses and the ACH matrix, with their figures."""
    from redline.analysis.hypotheses import evaluate_hypotheses, require_hypotheses

    require_hypotheses(scenario)
    document = dict(evaluate_hypotheses(scenario, runs=runs, seed=seed,
                                        progress=progress).to_dict())
    descriptions = {h.id: h.description for h in scenario.hypotheses}
    with figures.figure_style():
        drawn = [render("posterior", figures.posterior_figure(document, descriptions),
                        CAPTIONS["posterior"]),
                 render("ach", figures.ach_figure(document), CAPTIONS["ach"])]
    return document | {"figures": [d for d in drawn if d]}


def sensitivity(scenario: Scenario, method: str, samples: int | None, replicates: int | None,
                seed: int, progress: Progress) -> dict[str, Any]:
    """Global sensitivity indices and the tornado chart (``redline sensitivity``)."""
    from redline.analysis.sensitivity import analyse

    result = analyse(scenario, method, samples=samples, replicates=replicates, seed=seed,
                     progress=progress)
    with figures.figure_style():
        drawn = render("tornado", figures.tornado_figure(result.to_frame()), CAPTIONS["tornado"])
    return dict(result.to_dict()) | {"figures": [drawn] if drawn else []}
