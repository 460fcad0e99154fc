"""Small hand-written labelled texts for the method-classifier tests (no dataset rows)."""

from __future__ import annotations

import itertools

PLACES = ("Gao", "Kidal", "Mopti", "Menaka", "Timbuktu", "Ansongo", "Douentza", "Boni")
WHO = ("militants", "gunmen", "an armed group", "jihadists")
TEMPLATES = {
    "bombing": ("An IED exploded under a vehicle near {p}, {w} are suspected.",
                "A roadside bomb hit a truck on the road to {p}.",
                "An explosive device planted by {w} detonated in {p}."),
    "kidnapping": ("{w} abducted two traders near {p}.",
                   "A village chief was kidnapped by {w} in {p}.",
                   "{w} took three herders hostage near {p}."),
    "armed_clash": ("Soldiers and {w} exchanged fire near {p}, a firefight followed.",
                    "{w} clashed with the army at a camp in {p}.",
                    "Fighting between troops and {w} broke out in {p}."),
}


def labelled_texts() -> tuple[list[str], list[str]]:
    """72 texts per label (3 templates x 8 places x 3 actors), with their labels."""
    texts: list[str] = []
    labels: list[str] = []
    for label, templates in TEMPLATES.items():
        for t, p, w in itertools.product(templates, PLACES, WHO[:3]):
            texts.append(t.format(p=p, w=w).capitalize())
            labels.append(label)
    return texts, labels
