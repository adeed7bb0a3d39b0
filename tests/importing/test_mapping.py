"""Field mappings: what fills each field, how values translate, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeground.importing.mapping import (
    FieldMap,
    FieldMapping,
    ImportKind,
    MappingError,
    check_targets,
    load_mapping,
    payload,
    preset,
    presets,
)

EMS_BUILDING = {"nam": "Unknown", "grading": "Completely Destroyed", "settl_type": "Residential"}


def test_copernicus_preset_translates_grades_and_sets_the_kind_per_layer() -> None:
    ems = preset("copernicus-ems")
    buildings = ems.for_layer("EMSR190_12ARQUATA_02GRADING_v1_13000_settlements_poly_grading")
    roads = ems.for_layer("EMSR190_12ARQUATA_02GRADING_v1_13000_transportation_line_grading")
    assert payload(ImportKind.ASSETS, buildings, EMS_BUILDING) == {
        "name": "Unknown",
        "kind": "building",
        "damage_grade": "destroyed",
    }
    road = payload(ImportKind.ASSETS, roads, {"grading": "Not Affected", "nam": "SS4"})
    assert road["kind"] == "road"
    assert road["damage_grade"] == "not_affected"


def test_a_grade_without_a_translation_is_refused_by_name() -> None:
    buildings = preset("copernicus-ems").for_layer("settlements_poly_grading")
    with pytest.raises(MappingError, match="'Possibly damaged'"):
        payload(ImportKind.ASSETS, buildings, {**EMS_BUILDING, "grading": "Possibly damaged"})


def test_colombia_preset_keeps_the_source_code_and_the_year() -> None:
    fmap = preset("colombia-descontamina").for_layer("2004")
    fields = payload(
        ImportKind.EVENTS,
        fmap,
        {"TIPO_EVENTO": "8", "AÑO": "2004", "DEPARTAMENTO": "BOGOTA DC", "MUNICIPIO": "Bogotá DC"},
    )
    assert fields == {
        "event_type": "suspected_hazard",
        "source_type": "8 Sospecha de campo minado",
        "year": 2004,
        "admin_unit": "BOGOTA DC",
        "place": "Bogotá DC",
    }


def test_unmapped_fields_take_the_attribute_of_the_same_name_in_any_case() -> None:
    fields = payload(
        ImportKind.HAZARD_AREAS, FieldMap(), {"Name": "North field", "HAZARD_TYPE": "cha"}
    )
    assert fields == {"name": "North field", "hazard_type": "CHA"}


@pytest.mark.parametrize(
    ("kind", "properties", "message"),
    [
        (ImportKind.EVENTS, {"event_type": "accident", "year": "about 2004"}, "not a whole number"),
        (ImportKind.EVENTS, {"event_type": "accident", "date": "04/05/2004"}, "not a date"),
        (ImportKind.EVENTS, {"event_type": "explosion"}, "not one of"),
        (ImportKind.ASSETS, {"name": True}, "not text"),
    ],
)
def test_values_of_the_wrong_type_are_refused(
    kind: ImportKind, properties: dict[str, object], message: str
) -> None:
    with pytest.raises(MappingError, match=message):
        payload(kind, FieldMap(), properties)


def test_a_refusal_names_the_field_and_where_its_value_came_from() -> None:
    by_attribute = FieldMap(fields={"hazard_type": "TYPE"})
    with pytest.raises(MappingError, match=r"^field 'hazard_type' from attribute 'TYPE': 'XYZ' "):
        payload(ImportKind.HAZARD_AREAS, by_attribute, {"TYPE": "XYZ"})
    by_constant = FieldMap(constants={"hazard_type": "xyz"})
    with pytest.raises(MappingError, match=r"^field 'hazard_type' from constant: 'xyz' "):
        payload(ImportKind.HAZARD_AREAS, by_constant, {})


@pytest.mark.parametrize("text", ["SHA", "sha", " Sha ", "sHA"])
def test_a_choice_is_read_in_any_case_as_the_value_itself(text: str) -> None:
    assert payload(ImportKind.HAZARD_AREAS, FieldMap(), {"hazard_type": text}) == {
        "hazard_type": "SHA"
    }


def test_a_mapping_to_a_field_the_kind_lacks_is_refused() -> None:
    with pytest.raises(MappingError, match="no field 'grade'"):
        check_targets(ImportKind.ASSETS, FieldMapping(FieldMap(fields={"grade": "grading"})))


def test_command_line_options_win_over_the_preset() -> None:
    chosen = preset("copernicus-ems").with_options({"name": "txt"}, {"state": "rebuilt"})
    fmap = chosen.for_layer("settlements_poly_grading")
    fields = payload(ImportKind.ASSETS, fmap, {**EMS_BUILDING, "txt": "School"})
    assert fields["name"] == "School"
    assert fields["state"] == "rebuilt"
    assert fields["kind"] == "building"


def test_mapping_files_read_as_toml_and_malformed_ones_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "m.toml"
    good.write_text('[fields]\nname = "NOMBRE"\n[values.hazard_type]\nSospecha = "SHA"\n')
    mapping = load_mapping(good)
    assert payload(
        ImportKind.HAZARD_AREAS, mapping.base, {"NOMBRE": "Vereda 3", "hazard_type": "Sospecha"}
    ) == {"name": "Vereda 3", "hazard_type": "SHA"}
    bad = tmp_path / "bad.toml"
    bad.write_text("[fields\nname = 1\n")
    with pytest.raises(MappingError, match="not valid"):
        load_mapping(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[fields]\nname = 1\n")
    with pytest.raises(MappingError, match="attribute name"):
        load_mapping(wrong)


def test_presets_are_shipped() -> None:
    assert {"copernicus-ems", "colombia-descontamina"} <= set(presets())
