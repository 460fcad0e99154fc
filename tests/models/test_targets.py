"""Target-class mapping: keyword rule, ACLED actors, UCDP sides and violence types, GTD target types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.targets import (
    GTD_TARGET_TYPE,
    TARGET_CLASSES,
    acled_actor_class,
    acled_target_classes,
    gtd_target_classes,
    keyword_class,
    ucdp_target_classes,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Suicide bomber hits army checkpoint in Gao", "security_forces"),
    ("Gunmen kidnap two aid workers near Menaka", "international"),
    ("IED strikes a MINUSMA convoy", "international"),
    ("Militants shoot the mayor of Boni", "government"),
    ("Boko Haram raid kills 12 villagers", "civilians"),
    ("Army kills 20 Abu Sayyaf militants", "security_forces"),  # the army is named first in precedence
    ("Clashes between rival militias", "non_state"),
    ("Explosion heard overnight", "unknown"),
    ("", "unknown"),
])
def test_keyword_class(text: str, expected: str) -> None:
    assert keyword_class(text) == expected


def test_keyword_rule_does_not_read_the_verb_is_as_islamic_state() -> None:
    assert keyword_class("It is reported that a blast occurred") == "unknown"
    assert keyword_class("Islamic State fighters ambushed") == "non_state"


@pytest.mark.parametrize(("actor", "inter", "assoc", "iso3", "expected"), [
    ("Military Forces of Mali (2013-)", 1.0, "", "MLI", "security_forces"),
    ("Military Forces of France", 8.0, "", "MLI", "international"),
    ("Military Forces of France", 1.0, "", "MLI", "international"),  # a foreign state's forces
    ("Military Forces of Niger (2011-)", 1.0, "", "NER", "security_forces"),
    ("MINUSMA: United Nations Multidimensional Integrated Stabilization Mission in Mali (2013-)",
     8.0, "", "MLI", "international"),
    ("Government of Mali (2013-)", 1.0, "", "MLI", "government"),
    ("Civilians (Mali)", 7.0, "", "MLI", "civilians"),
    ("Civilians (Mali)", 7.0, "Government of Mali (2013-)", "MLI", "government"),
    ("Civilians (International)", 7.0, "", "MLI", "international"),
    ("Civilians (Mali)", 7.0, "Aid Workers (Mali)", "MLI", "international"),
    ("JNIM: Group for Support of Islam and Muslims", 2.0, "", "MLI", "non_state"),
    ("Fulani Ethnic Militia (Mali)", 4.0, "", "MLI", "non_state"),
    ("Protesters (Mali)", 6.0, "", "MLI", "civilians"),
])
def test_acled_actor_class(actor: str, inter: float, assoc: str, iso3: str, expected: str) -> None:
    assert acled_actor_class(actor, inter, assoc, iso3) == expected


def test_acled_rows_without_target_actor_fall_back_to_notes() -> None:
    out = acled_target_classes(
        actor=pd.Series(["", "", "Civilians (Mali)"]),
        inter=pd.Series([np.nan, 0.0, 7.0]),
        assoc=pd.Series(["", "", ""]),
        notes=pd.Series(["An IED hit a FAMa patrol near Douentza.", "A blast, no details.",
                         "Soldiers were mentioned but civilians were the target."]),
        iso3=pd.Series(["MLI", "MLI", "MLI"]),
    )
    # inter2 0 (no actor) with an empty name also reads the notes
    assert list(out) == ["security_forces", "unknown", "civilians"]


def test_ucdp_target_classes_by_violence_type_side_and_headline() -> None:
    out = ucdp_target_classes(
        violence=pd.Series([1, 1, 1, 1, 2, 3, 3, 9]),
        side_a=pd.Series(["Government of Iraq", "Government of United States of America",
                          "Government of Iraq", "Government of Philippines", "Fulani", "IS", "IS", "IS"]),
        headline=pd.Series(["IS attacks army post", "Drone strike in North Waziristan",
                            "Gunmen kill provincial governor", "NPA ambush; troops repel rebels",
                            "Herders and farmers clash", "IS executes 12 villagers",
                            "Gunmen abduct foreign aid workers", "odd"]),
        iso3=pd.Series(["IRQ", "PAK", "IRQ", "PHL", "NGA", "IRQ", "IRQ", "IRQ"]),
    )
    assert list(out) == ["security_forces", "international", "government", "security_forces",
                         "non_state", "civilians", "international", "unknown"]


def test_ucdp_coalition_sides_of_the_own_government_are_not_foreign() -> None:
    out = ucdp_target_classes(pd.Series([1]), pd.Series(["Government of Iraq, Government of Iran"]),
                              pd.Series([""]), pd.Series(["IRQ"]))
    assert list(out) == ["security_forces"]


def test_gtd_target_types_cover_the_codebook_and_unknown_values() -> None:
    out = gtd_target_classes(pd.Series(["Military", "Police", "Private Citizens & Property",
                                        "Government (Diplomatic)", "NGO", "Government (General)",
                                        "Terrorists/Non-State Militia", "Unknown", "Something new"]))
    assert list(out) == ["security_forces", "security_forces", "civilians", "international",
                         "international", "government", "non_state", "unknown", "unknown"]
    assert set(GTD_TARGET_TYPE.values()) <= set(TARGET_CLASSES)
