"""Tests of redline.mechanisms.registry: every mechanism's declarations, checked.

Parametrised by the registry (:data:`redline.mechanisms.registry.MECHANISMS`),
as Axelrod's classifier tests are by its list of strategies: every mechanism
module is registered once; what each declares it reads, writes and draws is
what it does on a mid-run state; both its steps exist; its sources are keys
of docs/bibliography.md; its caches are distinct bits; the stream layout
follows the registry's order. Each mechanism's own equations are tested in
its module (tests/mechanisms/test_<module>.py).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import redline.mechanisms
from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import State, initial_state
from redline.engine.run import step
from redline.engine.seeding import ChunkStreams
from redline.mechanisms import changes
from redline.mechanisms.mechanism import DRAWS, Mechanism, Week
from redline.mechanisms.registry import MECHANISMS, StreamLayout
from redline.scenario.loader import load_scenario
from tests.support.paths import MINI, ROOT

# ----------------------------------------------------------- declarations

#: Modules of redline.mechanisms that are not mechanisms: the base of the steps, the
#: conditions and their programs, the declaration type and the registry.
NOT_MECHANISMS = {"changes", "conditions", "mechanism", "programs", "registry"}
STATE_FIELDS = {f.name for f in dataclasses.fields(State)}
STATE_PROPERTIES = {name for name, value in vars(State).items() if isinstance(value, property)}
BIBLIOGRAPHY = ROOT / "docs" / "bibliography.md"


def by_key(mechanism: Mechanism) -> str:
    return mechanism.key


def test_the_registry_lists_every_mechanism_module_once():
    """Axelrod's explicit registry, checked: every module of redline.mechanisms that
    declares a mechanism is in MECHANISMS, once, with its own declaration."""
    names = {info.name for info in pkgutil.iter_modules(redline.mechanisms.__path__)}
    modules = [importlib.import_module(f"redline.mechanisms.{name}")
               for name in sorted(names - NOT_MECHANISMS)]
    assert {module.MECHANISM for module in modules} == set(MECHANISMS)
    assert len({m.key for m in MECHANISMS}) == len({m.name for m in MECHANISMS}) == len(MECHANISMS)
    for mechanism in MECHANISMS:
        module = importlib.import_module(mechanism.module)
        assert module.MECHANISM is mechanism
        assert module.__doc__ and mechanism.summary


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_every_mechanism_has_its_test_module(mechanism):
    """Tests mirror modules: redline.mechanisms.<module> is tested in
    tests/mechanisms/test_<module>.py, beside this file."""
    module = mechanism.module.rsplit(".", 1)[-1]
    assert (Path(__file__).parent / f"test_{module}.py").is_file(), module


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_declarations_name_state_fields(mechanism):
    """Every mechanism declares what it reads and writes (Axelrod-style classifiers),
    and every name it reads or writes is a field or property of State."""
    for kind in ("reads", "writes"):
        names = getattr(mechanism, kind)
        assert isinstance(names, tuple) and names, kind
        unknown = set(names) - STATE_FIELDS - STATE_PROPERTIES
        assert not unknown, f"{mechanism.name} {kind} no State field: {sorted(unknown)}"
    assert not set(mechanism.writes) & STATE_PROPERTIES, "a property cannot be written"
    assert mechanism.draws in DRAWS


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_every_mechanism_has_both_steps(mechanism):
    """A reference step over a chunk, and a compiled step that Numba inlines into the
    kernel (whose calls tests/engine/test_kernel.py checks against the registry's order)."""
    assert callable(mechanism.reference)
    assert mechanism.reference.__module__ == mechanism.kernel.py_func.__module__
    assert mechanism.kernel.targetoptions.get("inline") == "always"
    assert list(inspect.signature(mechanism.kernel.py_func).parameters) == [
        "model", "st", "work", "n", "run", "week", "key"]


def test_every_source_is_a_bibliography_key():
    """Every mechanism's sources are keys of docs/bibliography.md; only termination,
    the model's own accounting, cites none."""
    keys = set(re.findall(r"^- \*\*(\w+)\*\*:", BIBLIOGRAPHY.read_text(encoding="utf-8"),
                          flags=re.MULTILINE))
    for mechanism in MECHANISMS:
        assert set(mechanism.sources) <= keys, (mechanism.name, set(mechanism.sources) - keys)
        assert mechanism.sources or mechanism.key == "termination"
        doc = importlib.import_module(mechanism.module).__doc__
        for source in mechanism.sources:  # the docstring cites it (author and year)
            author, year = re.match(r"([A-Za-z]+?)(?:Skeath|DeMesquita|Willett)?(\d{4})",
                                    source).groups()
            author = {"Bueno": "Bueno de Mesquita", "Dixit": "Dixit"}.get(author, author)
            assert author in doc and year in doc, (mechanism.name, source)


def test_the_caches_are_distinct_bits_stale_on_known_changes():
    bits = [bit for mechanism in MECHANISMS for bit, _ in mechanism.caches.values()]
    assert len(bits) == len(set(bits)) and all(bit & (bit - 1) == 0 for bit in bits)
    for mechanism in MECHANISMS:
        for name, (_, stale_on) in mechanism.caches.items():
            assert stale_on and stale_on & ~changes.ALL == 0, (mechanism.name, name)
            assert not stale_on & changes.EVERY_WEEK, "a cache of what moves every week"


def test_the_stream_layout_is_the_registrys_order():
    """Each mechanism's rows follow the previous one's, in the registry's order: the
    layout the streams have always had (policies, actors, red lines, then bargaining's
    two), so a seed gives the same runs as before the registry."""
    compiled = compile_scenario(load_scenario(MINI))
    layout = StreamLayout.of(compiled)
    n_policies, n_actors = len(compiled.policy_ids), compiled.n_actors
    n_lines = len(compiled.red_line_ids)
    assert layout.rows["policies"] == slice(0, n_policies)
    assert layout.rows["decisions"] == slice(n_policies, n_policies + n_actors)
    assert layout.rows["red_lines"] == slice(n_policies + n_actors, n_policies + n_actors + n_lines)
    end = n_policies + n_actors + n_lines
    assert layout.rows["bargaining"] == slice(end, end + 2)
    assert layout.size == end + 2
    for key in ("fronts", "power", "trust", "termination"):
        assert layout.rows[key].start == layout.rows[key].stop


class _Recorder:
    """A stand-in for State that records the fields a mechanism reads."""

    def __init__(self, state: State) -> None:
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "reads", set())

    def __getattr__(self, name: str):
        attribute = getattr(State, name, None)
        if isinstance(attribute, property):
            return attribute.fget(self)  # record what the property reads
        self.reads.add(name)
        return getattr(self._state, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._state, name, value)


@dataclasses.dataclass
class MidRun:
    """The mini scenario after 5 weeks (1024 runs), and week 6's uniforms."""

    compiled: object
    state: State
    uniforms: np.ndarray
    layout: StreamLayout

    def call(self, mechanism: Mechanism, state, rows: int | None = None) -> None:
        """Run ``mechanism``'s reference step on ``state`` with its own uniforms (or
        only ``rows`` of them), as the engine would in week 6."""
        uniforms = self.uniforms[self.layout.rows[mechanism.key]]
        if rows is not None:
            uniforms = uniforms[:rows]
        week = Week(self.compiled, arrivals=np.zeros((state.runs, len(self.compiled.front_ids), 2)))
        mechanism.reference(week, state, uniforms)


@pytest.fixture(scope="module")
def mid_run():
    compiled = compile_scenario(load_scenario(MINI))
    layout = StreamLayout.of(compiled)
    streams = ChunkStreams(3, 0, 1024, 1024)
    state = initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))
    week = Week(compiled)
    for number in range(1, 6):
        state.week = number
        step(week, state, streams.uniforms(layout.size), layout)
    state.week = 6
    return MidRun(compiled, state, streams.uniforms(layout.size), layout)


def _changed(before: State, after: State) -> set[str]:
    return {f.name for f in dataclasses.fields(State)
            if not np.array_equal(np.asarray(getattr(before, f.name)),
                                  np.asarray(getattr(after, f.name)), equal_nan=True)}


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_declared_writes_cover_actual_writes(mechanism, mid_run):
    """Run each mechanism once on a mid-run state: every State field it changes is in
    its declared writes."""
    state = copy.deepcopy(mid_run.state)
    before = copy.deepcopy(state)
    mid_run.call(mechanism, state)
    undeclared = _changed(before, state) - set(mechanism.writes)
    assert not undeclared, f"{mechanism.name} writes undeclared {sorted(undeclared)}"


#: Bookkeeping every mechanism may read without declaring it.
BOOKKEEPING = {"runs", "week", "terminal", "settled"}


@pytest.mark.parametrize("mechanism", [m for m in MECHANISMS if m.key != "policies"], ids=by_key)
def test_declared_reads_cover_actual_reads(mechanism, mid_run):
    """Every State field a mechanism reads (through a recording proxy) is declared in
    its reads or writes (bookkeeping fields aside). Policies are left out: what their
    conditions read depends on the scenario."""
    recorder = _Recorder(copy.deepcopy(mid_run.state))
    mid_run.call(mechanism, recorder)
    undeclared = recorder.reads - set(mechanism.reads) - set(mechanism.writes) - BOOKKEEPING
    assert not undeclared, f"{mechanism.name} reads undeclared {sorted(undeclared)}"


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_declared_draws_are_the_uniforms_a_mechanism_is_handed(mechanism, mid_run):
    """Each mechanism is handed its declared rows of the week's uniforms and no more (a
    deterministic one: none, and it runs without them); a stochastic one has some in
    the mini scenario."""
    rows = mechanism.uniforms(mid_run.compiled)
    assert rows == len(range(*mid_run.layout.rows[mechanism.key].indices(mid_run.layout.size)))
    assert (rows > 0) == mechanism.stochastic
    mid_run.call(mechanism, copy.deepcopy(mid_run.state))
