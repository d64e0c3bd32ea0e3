"""Tests of redline.mechanisms.fronts: Lanchester's laws, their invariants and the Euler step.

Oracle tests cite their source in the docstring and state their tolerance;
analytic truths are kept apart from property-based invariants.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.mechanisms.fronts import lanchester_step, square_law_invariant

# ------------------------------------------------------------- Lanchester


def test_lanchester_square_law_closed_form():
    """Lanchester (1916), square law dA/dt = -b B, dB/dt = -a A (a = a_A, the losses A
    inflicts per unit of strength). Exact solution, w = sqrt(a b):
        A(t) = A0 cosh(w t) - sqrt(b / a) B0 sinh(w t)
        B(t) = B0 cosh(w t) - sqrt(a / b) A0 sinh(w t)
    Explicit Euler with dt = 1e-3 over t = 1 (normalised units): global error O(dt),
    tolerance 2e-3 relative. (B reaches 0 only at tanh(w t) = B0 sqrt(b / a) / A0, t = 3.1.)"""
    a, b = 0.6, 0.9
    attacker, defender = 1.0, 0.8
    a0, b0 = attacker, defender
    dt, steps = 1e-3, 1000
    for _ in range(steps):
        attacker, defender = lanchester_step(attacker, defender, a, b, dt=dt)
    t = dt * steps
    w = math.sqrt(a * b)
    exact_a = a0 * math.cosh(w * t) - math.sqrt(b / a) * b0 * math.sinh(w * t)
    exact_b = b0 * math.cosh(w * t) - math.sqrt(a / b) * a0 * math.sinh(w * t)
    assert exact_b > 0  # still inside the solution's domain
    assert float(attacker) == pytest.approx(exact_a, rel=2e-3)
    assert float(defender) == pytest.approx(exact_b, rel=2e-3)


def test_square_law_invariant_conserved_by_small_steps():
    """Lanchester (1916): a A^2 - b B^2 is constant along square-law trajectories.
    Under explicit Euler it is multiplied by exactly (1 - a b dt^2) per step (derived
    by expanding one step), so after 1000 steps of dt = 1e-3 the relative drift is
    about a b 1e-3 < 1e-3. Tolerances: drift < 1e-3; Euler factor rel 1e-9."""
    a, b = 0.6, 0.9
    attacker, defender = 1.0, 0.8
    start = float(square_law_invariant(attacker, defender, a, b))
    dt = 1e-3
    for _ in range(1000):
        attacker, defender = lanchester_step(attacker, defender, a, b, dt=dt)
    end = float(square_law_invariant(attacker, defender, a, b))
    assert abs(end - start) / abs(start) < 1e-3
    assert end == pytest.approx(start * (1 - a * b * dt * dt) ** 1000, rel=1e-9)


def test_linear_law_invariant_is_exact():
    """Lanchester's linear law (p = q = 1): dA/dt = -b A B, dB/dt = -a A B, so
    d(a A - b B)/dt = -a b A B + b a A B = 0: a A - b B is invariant (Taylor 1983,
    Lanchester Models of Warfare, ch. 2). Euler preserves it exactly (each step
    subtracts a b A B dt from both terms). Tolerance 1e-12 relative."""
    a, b = 0.002, 0.003
    attacker, defender = 100.0, 80.0
    start = a * attacker - b * defender
    for _ in range(50):
        attacker, defender = lanchester_step(attacker, defender, a, b, exponent_enemy=1.0,
                                             exponent_own=1.0, dt=0.1)
    assert float(defender) > 0 and float(attacker) > 0
    assert a * float(attacker) - b * float(defender) == pytest.approx(start, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1e6), st.floats(0.0, 1e6), st.floats(0.0, 10.0), st.floats(0.0, 10.0),
       st.sampled_from([(1.0, 0.0), (1.0, 1.0), (0.5, 0.5)]), st.floats(1e-3, 10.0))
def test_strengths_never_negative(attacker, defender, a, b, exponents, dt):
    new_a, new_b = lanchester_step(attacker, defender, a, b, *exponents, dt=dt)
    assert float(new_a) >= 0.0 and float(new_b) >= 0.0
    assert float(new_a) <= attacker and float(new_b) <= defender
