"""The meanings of the ICB codes redline reads, from the version 15 codebooks.

Written from the system-level (ICB1) and actor-level (ICB2) codebooks
[Brecher2023]; only the variables the crisis library, the mapping and the
backtest use. ``WHEN`` says whether a variable is known at the trigger
(``start``) or observed during or after the crisis (``after``): the mapping
and the baselines read only ``start`` variables (the tests check it).
"""

from __future__ import annotations

import pandas as pd

TRIGGERS = {
    1: "verbal act", 2: "political act", 3: "economic act", 4: "external change",
    5: "other non-violent act", 6: "internal challenge to regime or elite",
    7: "non-violent military act", 8: "indirect violent act", 9: "violent act",
}

#: variable -> (label, codes -> meaning); codes missing from a mapping are shown raw.
CODEBOOK: dict[str, tuple[str, dict[int, str]]] = {
    "break": ("Breakpoint (trigger) of the international crisis (ICB1 BREAK)", TRIGGERS),
    "triggr": ("Trigger to the actor's foreign policy crisis (ICB2 TRIGGR)", TRIGGERS),
    "viol": ("Violence in the crisis (VIOL)", {
        1: "no violence", 2: "minor clashes", 3: "serious clashes", 4: "full-scale war"}),
    "forout": ("Form of outcome of the crisis (ICB1 FOROUT)", {
        1: "formal agreement", 2: "semi-formal agreement", 3: "tacit understanding",
        4: "unilateral act", 5: "imposed agreement", 6: "other", 7: "faded"}),
    "outcom": ("Content of the crisis outcome for the actor (ICB2 OUTCOM)", {
        1: "victory", 2: "compromise", 3: "stalemate", 4: "defeat", 5: "other"}),
    "outfor": ("Form of outcome for the actor (ICB2 OUTFOR)", {
        1: "formal agreement", 2: "semi-formal agreement", 3: "tacit understanding",
        4: "unilateral - self", 5: "unilateral - ally", 6: "unilateral - adversary",
        7: "compliance", 8: "imposed - imposer", 9: "imposed - imposee", 10: "spillover",
        11: "other - global organization", 12: "other - ally",
        13: "other - internal or non-state actor", 14: "other - misc.", 15: "faded"}),
    "crismg": ("Principal crisis management technique (ICB2 CRISMG)", {
        1: "negotiation", 2: "adjudication or arbitration", 3: "mediation",
        4: "multiple, not including violence", 5: "non-military pressure",
        6: "non-violent military", 7: "multiple, including violence", 8: "violence"}),
    "majres": ("Major response to the crisis trigger (ICB2 MAJRES)", {
        1: "no response - inaction", 2: "verbal act", 3: "political act", 4: "economic act",
        5: "other non-violent act", 6: "non-violent military act",
        7: "multiple, including non-violent military act", 8: "violent military act",
        9: "multiple, including violent military act"}),
    "trgresra": ("Days from the perception of the trigger to the major response, the trigger "
                 "day counted as day 1 (ICB2 TRGRESRA)", {}),
    "trgterra": ("Days from the perception of the trigger to the termination of the actor's "
                 "crisis, the trigger day counted as day 1 (ICB2 TRGTERRA)", {}),
    "cenvio": ("Centrality of violence in the actor's crisis management (ICB2 CENVIO)", {
        1: "no violence", 2: "violence minor", 3: "violence important",
        4: "violence preeminent"}),
    "sevvio": ("Intensity of the violence the actor employed (ICB2 SEVVIO)", {
        1: "no violence", 2: "minor clashes", 3: "serious clashes", 4: "full-scale war"}),
    "gravty": ("Gravity of the value threatened, for the actor (ICB2 GRAVTY)", {
        0: "economic threat", 1: "limited military threat", 2: "political threat",
        3: "territorial threat", 4: "threat to influence", 5: "threat of grave damage",
        6: "threat to existence", 7: "other"}),
    "southpow": ("Power status of the source of threat (ICB2 SOUTHPOW)", {
        1: "small power", 2: "middle power", 3: "great power", 4: "superpower"}),
    "powsta": ("Power status of the crisis actor (ICB2 POWSTA)", {
        1: "small power", 2: "middle power", 3: "great power", 4: "superpower"}),
    "powdis": ("Power discrepancy: the actor's power score (with tight allies) minus its "
               "principal adversary's, at the onset (ICB2 POWDIS)", {}),
    "nuclear": ("Nuclear capability of the crisis actor when the crisis began (ICB2 NUCLEAR)", {
        1: "no foreseeable capability", 2: "foreseeable capability",
        3: "possession, no second strike", 4: "developed, with second strike"}),
    "regime": ("Political regime of the crisis actor (ICB2 REGIME)", {
        1: "democratic", 2: "civil authoritarian", 3: "military - direct rule",
        4: "military - indirect rule", 5: "military - dual authority"}),
    "allycap": ("Alliance capability of the actor at the time of its crisis (ICB2 ALLYCAP)", {
        1: "non-aligned or neutral", 2: "informal alliance with a superpower or great power",
        3: "formal alliance with a superpower or great power",
        4: "alliance leader (superpower or great power)"}),
    "pc": ("Conflict setting (ICB2 PC)", {
        1: "non-protracted conflict", 2: "protracted conflict",
        3: "long-war protracted conflict"}),
    "cractloc": ("Distance of the actor from the crisis (ICB2 CRACTLOC)", {
        1: "home territory", 2: "sub-region", 3: "same continent", 4: "elsewhere"}),
}

#: When each variable is known: at the trigger (start) or only during/after (after).
WHEN: dict[str, str] = {
    "break": "start", "triggr": "start", "gravty": "start", "southpow": "start",
    "powsta": "start", "powdis": "start", "nuclear": "start", "regime": "start",
    "allycap": "start", "pc": "start", "cractloc": "start",
    "viol": "after", "forout": "after", "outcom": "after", "outfor": "after",
    "crismg": "after", "yrterm": "after", "majres": "after", "trgresra": "after",
    "trgterra": "after", "cenvio": "after", "sevvio": "after",
}


def meaning(variable: str, code: object) -> str:
    """The codebook's words for ``code`` of ``variable`` (the code itself if unknown)."""
    if code is None or pd.isna(code):  # type: ignore[call-overload]
        return "missing"
    try:
        key = int(code)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(code)
    values = CODEBOOK.get(variable, ("", {}))[1]
    return values.get(key, str(key))
