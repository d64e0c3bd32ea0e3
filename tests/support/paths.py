"""Where the tests find the repository and their data, wherever a test module sits."""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder (the one holding src/, docs/ and tests/).
ROOT = Path(__file__).resolve().parents[2]
#: The test data (tests/support/data).
DATA = Path(__file__).resolve().parent / "data"
#: A small scenario: three actors, one front, one red line, one policy, two questions.
MINI = DATA / "mini.yaml"
