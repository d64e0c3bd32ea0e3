"""A scenario compiled to arrays: what the mechanisms read and write.

:mod:`redline.arrays.scenario_arrays` turns a validated scenario into index
maps, constant arrays and parameter slots (``ScenarioArrays``, made by
``compile_scenario``); :mod:`redline.arrays.state` holds the per-run
parameters and evolving state of a chunk of runs (``State``), drawn through
:mod:`redline.arrays.slot_values`; :mod:`redline.arrays.streams` computes the
counter-addressed uniforms that the mechanisms of both engines read.
"""
