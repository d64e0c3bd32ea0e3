"""redline's test suite, laid out like src/redline (tests/README.md).

What the test modules share (hypothesis strategies, hand-built results, the
browser and the live server, the scenario generator, the test data) is the package
:mod:`tests.support`; the test modules import it as ``tests.support``, and
benchmarks as ``benchmarks``, from the repository's root.
"""
