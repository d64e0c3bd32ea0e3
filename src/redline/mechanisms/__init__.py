"""The mechanisms of a week, one module each, and what they share.

Each mechanism module (``policies``, ``decisions``, ``redlines``, ``fronts``,
``power``, ``bargaining``, ``trust``, ``termination``) states its equations
and sources in its docstring, and holds its reference step (NumPy, over all
runs of a chunk), its compiled step (Numba, one run, inlined into
:mod:`redline.engine.kernel`) and its declaration (``MECHANISM``, a
:class:`redline.mechanisms.mechanism.Mechanism`). :mod:`redline.mechanisms.registry`
lists them in the order of a week. Shared by them: the scenario's conditions
as predicates (:mod:`redline.mechanisms.conditions`) and as programs with
their compiled interpreter (:mod:`redline.mechanisms.programs`), and what a
compiled step notes as changed and keeps until it does
(:mod:`redline.mechanisms.changes`).
"""
