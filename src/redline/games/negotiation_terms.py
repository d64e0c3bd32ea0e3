"""Settlement terms from the expected utility model (a proposal for the bargaining mechanism).

Where many actors shape a settlement, Bueno de Mesquita's expected utility
model [BuenoDeMesquita1994]_ [Scholz2011]_ forecasts where the terms land from
each actor's preferred terms, capability and salience. Here the disputed issue
is the share ``x`` in [0, 1] that goes to side A (the first side of the
scenario, whose leader gets everything at ``x = 1``), the quantity the
bargaining mechanism calls ``terms``. The forecast is the weighted median
position after the model's rounds of offers (:mod:`redline.games.negotiation`).

The model is deterministic, so for an ensemble whose inputs are sampled per
run, :func:`settlement_terms_runs` computes each distinct set of inputs once.

>>> settlement_terms({"A": 0.9, "B": 0.2, "C": 0.6},
...                  capability={"A": 1.0, "B": 0.8, "C": 0.3},
...                  salience={"A": 0.9, "B": 0.9, "C": 0.5})
0.9
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from redline.games.negotiation import Conventions, NegotiationActor, simulate_negotiation

__all__ = ["settlement_terms", "settlement_terms_runs"]

FloatArray = NDArray[np.float64]


def settlement_terms(positions: Mapping[str, float], capability: Mapping[str, float],
                     salience: Mapping[str, float], *, rounds: int = 10,
                     conventions: Conventions | None = None) -> float:
    """Forecast share of the disputed issue to side A.

    Parameters
    ----------
    positions : mapping of str to float
        Each negotiating actor's preferred share to side A, in [0, 1].
    capability : mapping of str to float
        Each actor's capability (``>= 0``), e.g. the scenario's
        ``actors.<id>.capability``; must cover every key of ``positions``.
    salience : mapping of str to float
        How much the issue matters to each actor, in [0, 1].
    rounds : int
        Rounds of offers (the replication runs 10).
    conventions : Conventions, optional
        Modelling conventions (the replication's by default). Under the default
        ``utility_range="initial"`` the forecast does not depend on the units
        of the positions, only on their order and spacing.

    Returns
    -------
    float
        The weighted median position after the last round, in [0, 1].

    Raises
    ------
    ValueError
        If a position lies outside [0, 1], an actor lacks a capability or a
        salience, or the model rejects the inputs.
    """
    actors = []
    for name, position in positions.items():
        if not 0.0 <= position <= 1.0:
            raise ValueError(f"{name}: position must be a share in [0, 1], not {position}")
        if name not in capability or name not in salience:
            raise ValueError(f"{name}: capability and salience are both required")
        actors.append(NegotiationActor(name=name, capability=float(capability[name]),
                                       position=float(position),
                                       salience=float(salience[name])))
    result = simulate_negotiation(actors, rounds=rounds, conventions=conventions)
    return float(np.clip(result.forecast, 0.0, 1.0))


def settlement_terms_runs(positions: FloatArray, capability: FloatArray, salience: FloatArray,
                          *, rounds: int = 10, conventions: Conventions | None = None
                          ) -> FloatArray:
    """Forecast share to side A for each run of an ensemble.

    Parameters
    ----------
    positions, capability, salience : ndarray, shape (runs, n) or (n,)
        Per-run inputs of the ``n`` negotiating actors (a 1-d array is the same
        for every run and broadcast).
    rounds : int
        Rounds of offers.
    conventions : Conventions, optional
        Modelling conventions.

    Returns
    -------
    ndarray, shape (runs,)
        The forecast terms per run; each distinct row of inputs is simulated
        once.

    >>> settlement_terms_runs(np.array([0.9, 0.2, 0.6]),
    ...                       np.array([[1.0, 0.8, 0.3], [1.0, 2.0, 0.3]]),
    ...                       np.array([0.9, 0.9, 0.5])).tolist()
    [0.9, 0.2]
    """
    x, c, s = np.broadcast_arrays(*(np.atleast_2d(np.asarray(a, dtype=np.float64))
                                    for a in (positions, capability, salience)))
    stacked = np.concatenate([x, c, s], axis=1)
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    n = x.shape[1]
    names = [f"actor{index}" for index in range(n)]
    forecasts = np.array([
        settlement_terms(dict(zip(names, row[:n], strict=True)),
                         dict(zip(names, row[n:2 * n], strict=True)),
                         dict(zip(names, row[2 * n:], strict=True)),
                         rounds=rounds, conventions=conventions)
        for row in unique])
    return forecasts[np.asarray(inverse).reshape(-1)]
