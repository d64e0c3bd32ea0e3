"""A scenario compiled to arrays: what the mechanisms read and write.

:mod:`~redline.arrays.scenario_arrays` turns a validated scenario into index
maps, constant arrays and parameter slots (:class:`ScenarioArrays`);
:mod:`~redline.arrays.state` holds a chunk of runs' per-run parameters and
evolving state (:class:`State`), drawn through
:mod:`~redline.arrays.slot_values`.
"""
