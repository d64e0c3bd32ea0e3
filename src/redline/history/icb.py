"""Loading the International Crisis Behavior data (version 15), with clear errors.

Two tables [Brecher2023; BrecherWilkenfeld1997]: the system level (``icb1``,
one row per international crisis, keyed by ``crisno``) and the actor level
(``icb2``, one row per crisis actor, keyed by ``crisno`` and ``cracno``). The
package ships both (``redline/data/icb``, see PROVENANCE.md); a user may give
other files with the same columns. Only the columns in :data:`ICB1_COLUMNS`
and :data:`ICB2_COLUMNS` are read. A missing file, a missing column or a
value that is not a whole number where one is required raises
:class:`ICBDataError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

#: System-level columns read, and whether a value is required in every row.
ICB1_COLUMNS: dict[str, bool] = {
    "crisno": True, "crisname": True, "yrtrig": True, "motrig": False, "datrig": False,
    "yrterm": False, "break": True, "viol": True, "forout": True,
}
#: Actor-level columns read, and whether a value is required in every row.
ICB2_COLUMNS: dict[str, bool] = {
    "crisno": True, "cracno": True, "actor": True, "yrtrig": True, "motrig": False,
    "datrig": False, "triggr": True, "southpow": False, "gravty": False, "powdis": False,
    "nuclear": False, "regime": False, "allycap": False, "pc": False, "cractloc": False,
    "powsta": False, "outcom": False, "outfor": False, "viol": False, "crismg": False,
    "majres": False, "trgresra": False, "trgterra": False, "cenvio": False, "sevvio": False,
}
#: Text columns (everything else is a whole number or blank).
TEXT_COLUMNS = frozenset({"crisname", "actor"})


class ICBDataError(Exception):
    """An ICB file is missing, or a column or value in it is missing or malformed."""

    def __init__(self, file: str, message: str, line: int | None = None,
                 column: str | None = None) -> None:
        self.file, self.line, self.column, self.message = file, line, column, message
        where = file + (f":{line}" if line is not None else "")
        where += f": column {column!r}" if column is not None else ""
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ICBData:
    """Both levels of the data: ``crises`` (system) and ``actors`` (actor level)."""

    crises: pd.DataFrame
    actors: pd.DataFrame
    sources: tuple[str, str]


def shipped_path(level: int) -> Path:
    """Path of the shipped system-level (1) or actor-level (2) file."""
    name = f"icb{level}v15-to-2004.csv"
    return Path(str(resources.files("redline.data").joinpath("icb", name)))


def _read(path: Path, columns: dict[str, bool]) -> pd.DataFrame:
    label = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise ICBDataError(label, f"cannot read the file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ICBDataError(label, "not a UTF-8 text (CSV) file") from None
    if not rows:
        raise ICBDataError(label, "empty file: expected a CSV header", line=1)
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in columns if name not in header]
    if missing:
        raise ICBDataError(label, "missing column(s) " + ", ".join(missing)
                           + " in the header", line=1, column=missing[0])
    index = {name: header.index(name) for name in columns}
    records: dict[str, list[object]] = {name: [] for name in columns}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ICBDataError(label, f"{len(row)} fields, the header has {len(header)}",
                               line=number)
        for name, required in columns.items():
            cell = row[index[name]].strip()
            if name in TEXT_COLUMNS:
                if required and not cell:
                    raise ICBDataError(label, "empty value", line=number, column=name)
                records[name].append(cell)
                continue
            if not cell:
                if required:
                    raise ICBDataError(label, "empty value where a whole number is required",
                                       line=number, column=name)
                records[name].append(None)
                continue
            try:
                value = float(cell)
            except ValueError:
                raise ICBDataError(label, f"{cell!r} is not a number", line=number,
                                   column=name) from None
            if value != int(value):
                raise ICBDataError(label, f"{cell!r} is not a whole number", line=number,
                                   column=name)
            records[name].append(int(value))
    if not records[next(iter(columns))]:
        raise ICBDataError(label, "no data rows")
    frame = pd.DataFrame(records)
    for name in columns:
        if name not in TEXT_COLUMNS:
            frame[name] = frame[name].astype("Int64")
    return frame


def load_icb(icb1: str | Path | None = None, icb2: str | Path | None = None) -> ICBData:
    """Load and check both levels (the shipped files by default).

    Raises :class:`ICBDataError` on a missing file or column, a malformed
    value, or an actor whose crisis is not in the system-level file.
    """
    path1 = Path(icb1) if icb1 is not None else shipped_path(1)
    path2 = Path(icb2) if icb2 is not None else shipped_path(2)
    crises = _read(path1, ICB1_COLUMNS)
    actors = _read(path2, ICB2_COLUMNS)
    if crises["crisno"].duplicated().any():
        first = int(crises["crisno"][crises["crisno"].duplicated()].iloc[0])
        raise ICBDataError(str(path1), f"crisis number {first} appears twice", column="crisno")
    unknown = sorted(set(actors["crisno"].dropna()) - set(crises["crisno"].dropna()))
    if unknown:
        raise ICBDataError(str(path2), f"crisis {unknown[0]} is not in {path1}",
                           column="crisno")
    return ICBData(crises=crises.sort_values("crisno").reset_index(drop=True),
                   actors=actors.sort_values(["crisno", "cracno"]).reset_index(drop=True),
                   sources=(str(path1), str(path2)))
