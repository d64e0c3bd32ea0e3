"""One verification check: a published result, our reproduction, and the verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """A published value (or closed form) set against redline's own computation.

    Attributes
    ----------
    name : short identifier, e.g. ``"lanchester.iwo_jima.us_day36"``.
    source : paper, table or equation the published value comes from.
    published : the published value (a number, or a list of numbers).
    ours : what redline computes.
    tolerance : the largest accepted difference, with its unit in ``note``
        (absolute unless ``relative`` is true).
    passed : whether ``ours`` is within ``tolerance`` of ``published``.
    checkpoints : intermediate values along the way (trajectories), by label.
    note : what the check does and does not establish, in one line.
    """

    name: str
    source: str
    published: Any
    ours: Any
    tolerance: float
    passed: bool
    checkpoints: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    relative: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``pass`` for ``passed``)."""
        return {
            "name": self.name,
            "source": self.source,
            "published": self.published,
            "ours": self.ours,
            "tolerance": self.tolerance,
            "relative": self.relative,
            "pass": self.passed,
            "checkpoints": self.checkpoints,
            "note": self.note,
        }


def compare(name: str, source: str, published: float | list[float], ours: float | list[float],
            tolerance: float, *, relative: bool = False,
            checkpoints: dict[str, Any] | None = None, note: str = "") -> Check:
    """Build a :class:`Check`, passing when every value is within tolerance.

    >>> compare("x", "eq. 1", 0.5, 0.5004, 1e-3).passed
    True
    >>> compare("x", "eq. 1", [100.0, 200.0], [101.0, 230.0], 0.1, relative=True).passed
    False
    """
    published_values = published if isinstance(published, list) else [published]
    our_values = ours if isinstance(ours, list) else [ours]
    passed = len(published_values) == len(our_values) and all(
        _close(float(p), float(o), tolerance, relative)
        for p, o in zip(published_values, our_values, strict=False)
    )
    return Check(name=name, source=source, published=published, ours=ours,
                 tolerance=tolerance, passed=passed, checkpoints=checkpoints or {},
                 note=note, relative=relative)


def _close(published: float, ours: float, tolerance: float, relative: bool) -> bool:
    if not (math.isfinite(published) and math.isfinite(ours)):
        return False
    difference = abs(ours - published)
    if relative:
        return difference <= tolerance * abs(published)
    return difference <= tolerance
