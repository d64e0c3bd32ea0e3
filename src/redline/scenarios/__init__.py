"""The built-in scenario library, shipped inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from redline.scenario.errors import Issue, ScenarioError

_SUFFIX = ".yaml"


def _folder() -> Path:
    return Path(str(resources.files(__name__)))


#: Files beside a scenario that are not scenarios (``NAME.resolutions.yaml``).
_COMPANION = ".resolutions"
#: The end of a resolutions file's name, after its scenario's name.
RESOLUTIONS_SUFFIX = _COMPANION + _SUFFIX


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(path.stem for path in _folder().glob(f"*{_SUFFIX}")
                  if not path.stem.endswith(_COMPANION))


def builtin_resolutions(name: str) -> Path | None:
    """The recorded resolutions shipped with a built-in scenario, if any."""
    path = _folder() / f"{name}{_COMPANION}{_SUFFIX}"
    return path if name in builtin_names() and path.is_file() else None


def resolve(name_or_path: str | Path) -> Path:
    """The file of a built-in scenario name, or ``name_or_path`` if it is a file.

    Raises
    ------
    ScenarioError
        When it is neither a built-in name nor an existing file.

    """
    text = str(name_or_path)
    if text in builtin_names():
        return _folder() / f"{text}{_SUFFIX}"
    path = Path(text)
    if path.is_file():
        return path
    raise ScenarioError([Issue(text, 1, 1, "no such scenario file or built-in name",
                               "a path or one of: " + ", ".join(builtin_names()))])
