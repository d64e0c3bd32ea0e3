"""Sphinx configuration of redline's API reference, built from the docstrings.

``make docs`` (a step of ``make test``) builds it into ``build/api/html`` with
every warning an error::

    python -m sphinx -E -W --keep-going -q -b html docs/api build/api/html

The pages here list the modules; autodoc imports them and napoleon reads their
numpydoc sections. The citations that docstrings make by key
(``[Sobol2001]_``) resolve to the bibliography page, whose entries are read
from docs/bibliography.md when it is built, so the keys are kept in one place.
Nothing is fetched from the network while building; the equations
(``.. math::``) are typeset by MathJax when a page is read online, and shown
as their LaTeX source offline.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import redline

project = "redline"
author = "the redline authors"
copyright = "the redline authors"  # noqa: A001 (Sphinx's name)
release = version = redline.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build"]
root_doc = "index"
html_theme = "alabaster"
html_static_path: list[str] = []
html_show_sourcelink = False
html_theme_options = {"description": "API reference", "fixed_sidebar": True}

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autoclass_content = "class"
# Annotations are postponed (PEP 563): keep these aliases as written, not expanded.
autodoc_type_aliases = {"NDArray": "numpy.typing.NDArray", "ArrayLike": "numpy.typing.ArrayLike"}

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# The bibliography page lists every work of docs/bibliography.md, which the Markdown
# pages and the modules left out of this reference cite too: an entry no docstring
# here cites is no error. A citation whose key has no entry still is (ref.ref).
suppress_warnings = ["ref.citation"]

#: The keys of docs/bibliography.md: ``- **Key**: reference``.
BIBLIOGRAPHY = Path(__file__).resolve().parents[1] / "bibliography.md"
_CITATION = re.compile(r"^- \*\*(?P<key>[A-Za-z0-9]+)\*\*: (?P<text>.+)$")


def bibliography_rst(markdown: str) -> str:
    """The bibliography's entries as reStructuredText citations (``.. [Key] text``)."""
    citations = []
    for line in markdown.splitlines():
        match = _CITATION.match(line)
        if match:
            text = re.sub(r"`([^`]+)`", r"``\1``", match["text"])
            citations.append(f".. [{match['key']}] {text}")
    return "\n\n".join(citations) + "\n"


#: The numpydoc sections whose entries may be written compactly.
_ENTRY_SECTIONS = {"Parameters", "Attributes", "Other Parameters"}
_PARAMETER = re.compile(r"^(?P<names>\*{0,2}\w+(?:, \*{0,2}\w+)*) : (?P<text>.+)$")


def _is_description(text: str) -> bool:
    """Whether what follows ``name :`` is a description rather than a type.

    A type (``int, optional``, ``Scenario, str or Path``) is short and ends
    without a full stop; a description is a phrase (``the validated scenario
    that was run.``, ``outcome name -> Estimate``, ``shape (m,): priors``).
    """
    text = text.strip()
    return (text.endswith(".") or "->" in text or "``" in text or ": " in text
            or len(text.split()) > 6)


def compact_entries(lines: list[str]) -> list[str]:
    """Parameters and attributes written ``name : description`` as numpydoc's ``name``, description.

    Many docstrings here describe a parameter on its name's line, without a
    type (the type is in the signature). Read as numpydoc, the description
    would be shown as the type; this moves it to the description's place.

    >>> compact_entries(["Parameters", "----------", "runs : number of runs.",
    ...                  "seed : int", "    Root seed."])
    ['Parameters', '----------', 'runs', '    number of runs.', 'seed : int', '    Root seed.']
    """
    result = []
    section = None
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", following.strip()):
            section = line.strip()
        match = _PARAMETER.match(line)
        if section in _ENTRY_SECTIONS and match and _is_description(match["text"]):
            result += [match["names"], "    " + match["text"]]
        else:
            result.append(line)
    return result


def _prepare_docstring(app: Any, what: str, name: str, obj: Any, options: Any,
                       lines: list[str]) -> None:
    """Compact entries (:func:`compact_entries`); no inline type in an attribute's first line.

    napoleon reads the first line of an attribute's, a constant's or a
    property's docstring as ``type: description`` when it holds a colon
    ("The index that ranks parameters: ``ST`` ..."). An empty comment line
    (``..``) put first is what it takes as that line instead, so the sentence
    stays whole; the type comes from the annotation.
    """
    lines[:] = compact_entries(lines)
    if what in ("attribute", "data", "property") and lines and ":" in lines[0]:
        lines[:0] = ["..", ""]


def _fill_bibliography(app: Any, docname: str, source: list[str]) -> None:
    """Append the citations to the bibliography page as it is read."""
    if docname == "bibliography":
        source[0] += "\n" + bibliography_rst(BIBLIOGRAPHY.read_text(encoding="utf-8"))


def _skip_foreign(app: Any, what: str, name: str, obj: Any, skip: bool,
                  options: Any) -> bool | None:
    """Skip functions and classes a module imported from another library.

    autodoc leaves them out of the page anyway, but formats their signatures
    first, and some (``scipy.stats.kstest``) fail to format.
    """
    if (inspect.isroutine(obj) or inspect.isclass(obj)) and not str(
            getattr(obj, "__module__", "") or "").startswith("redline"):
        return True
    return None


def setup(app: Any) -> dict[str, bool]:
    """Bibliography, foreign members, compact entries: see the functions connected."""
    app.connect("source-read", _fill_bibliography)
    app.connect("autodoc-skip-member", _skip_foreign)
    app.connect("autodoc-process-docstring", _prepare_docstring, priority=400)  # before napoleon
    return {"parallel_read_safe": True}
