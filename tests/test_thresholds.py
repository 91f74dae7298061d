"""The ADT table Users set (TR-10): validation, set/replace, CSV round trip."""

from __future__ import annotations

import pytest

from specpkg.anomaly.thresholds import (
    THRESHOLDS_CSV,
    Threshold,
    ThresholdKind,
    ThresholdTable,
    parse_kind,
    threshold_from_row,
)
from specpkg.errors import ValidationError

USER = "90B3D51F30010000"
OTHER = "90B3D51F30010001"


def test_project_table_loads() -> None:
    table = ThresholdTable.load(THRESHOLDS_CSV)
    assert len(table) > 0
    assert all(t.kind in ThresholdKind for t in table)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"user_id": "not a user"}, "user_id"),
        ({"user_id": ""}, "user_id"),
        ({"user_id": 42}, "user_id"),
        ({"service_reference": "2"}, "service_reference"),
        ({"kind": "rate"}, "kind"),
        ({"window_seconds": 0}, "window_seconds"),
        ({"window_seconds": 10**9}, "window_seconds"),
        ({"window_seconds": 60.0}, "window_seconds"),
        ({"limit": -1}, "limit"),
        ({"limit": 1.5}, "limit"),
        ({"limit": True}, "limit"),
        ({"kind": "data_value", "window_seconds": 60}, "window_seconds"),
    ],
)
def test_bad_threshold_names_the_field(changes: dict, field: str) -> None:
    values = {"user_id": USER, "service_reference": "2.4", "kind": "volume",
              "window_seconds": 3600, "limit": 10} | changes
    with pytest.raises(ValidationError) as err:
        Threshold(**values)
    assert err.value.field == field


def test_user_id_is_kept_as_given_and_test_names_are_allowed() -> None:
    assert Threshold(USER.lower(), "2.4", "volume", 60, 1).user_id == USER.lower()
    assert Threshold("U1", "2.4", "volume", 60, 1).user_id == "U1"


@pytest.mark.parametrize("spelling", ["volume", "VOLUME", "user volume", "User Volume"])
def test_kind_spellings(spelling: str) -> None:
    assert Threshold(USER, "2.4", spelling, 60, 1).kind is ThresholdKind.VOLUME


def test_set_replaces_same_identity_and_keeps_others() -> None:
    table = ThresholdTable([Threshold(USER, "2.4", "volume", 3600, 10)])
    table = table.set(Threshold(USER, "2.4", "volume", 3600, 20))
    table = table.set(Threshold(USER, "2.4", "volume", 60, 2))
    assert [(t.window_seconds, t.limit) for t in table] == [(60, 2), (3600, 20)]
    assert len(table.remove(USER, "2.4", "volume", 60)) == 1
    with pytest.raises(ValidationError) as err:
        table.remove(USER, "2.4", "data_value")
    assert err.value.field == "threshold"


def test_duplicate_identity_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        ThresholdTable([Threshold(USER, "2.4", "volume", 60, 1)] * 2)
    assert err.value.field == "threshold"


def test_replace_user_touches_only_that_user() -> None:
    table = ThresholdTable([Threshold(USER, "2.4", "volume", 60, 1),
                            Threshold(OTHER, "2.4", "volume", 60, 1)])
    table = table.replace_user(USER, [Threshold(USER, "2.4", "data_value", 0, 0)])
    assert [(t.user_id, t.kind) for t in table] == [
        (USER, ThresholdKind.DATA_VALUE), (OTHER, ThresholdKind.VOLUME)]
    with pytest.raises(ValidationError) as err:
        table.replace_user(USER, [Threshold(OTHER, "2.4", "volume", 60, 1)])
    assert err.value.field == "user_id"


@pytest.mark.parametrize(
    ("cell", "value", "field"),
    [("limit", "ten", "limit"), ("limit", "-1", "limit"), ("window_seconds", "", "window_seconds"),
     ("kind", "speed", "kind"), ("user_id", "Z Z", "user_id")],
)
def test_bad_csv_cell_names_field_and_line(tmp_path, cell: str, value: str, field: str) -> None:
    path = tmp_path / "thresholds.csv"
    row = {"user_id": USER, "service_reference": "2.4", "kind": "volume",
           "window_seconds": "60", "limit": "1"} | {cell: value}
    path.write_text("user_id,service_reference,kind,window_seconds,limit\n"
                    + ",".join(row.values()) + "\n")
    with pytest.raises(ValidationError) as err:
        ThresholdTable.load(path)
    assert err.value.field == field
    assert "line 2" in err.value.reason


def test_missing_column_is_named(tmp_path) -> None:
    path = tmp_path / "thresholds.csv"
    path.write_text("user_id,service_reference,kind,window_seconds\n")
    with pytest.raises(ValidationError) as err:
        ThresholdTable.load(path)
    assert err.value.field == "limit" and "thresholds.csv" in err.value.reason


def test_row_helper_accepts_text() -> None:
    t = threshold_from_row({"user_id": USER, "service_reference": "2.4", "kind": "VOLUME",
                            "window_seconds": "60", "limit": "3"})
    assert (t.kind, t.window_seconds, t.limit) == (ThresholdKind.VOLUME, 60, 3)


def test_tr10_table_as_a_frame_and_rows_round_trip(tmp_path) -> None:
    """TR-10: the table a User sees has the CSV's columns; writing it and loading it
    again gives the same table."""
    table = ThresholdTable([Threshold(USER, "2.4", "volume", 3600, 5),
                            Threshold(USER, "2.4", "data_value", 0, 0),
                            Threshold(OTHER, "1.1.1", "volume", 60, 2)])
    frame = table.to_frame()
    assert list(frame.columns) == ["user_id", "service_reference", "kind", "window_seconds",
                                   "limit"]
    assert frame.iloc[0].to_dict() == {"user_id": USER, "service_reference": "2.4",
                                       "kind": "volume", "window_seconds": 3600, "limit": 5}
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    assert ThresholdTable.load(path) == table
    assert table != ThresholdTable(list(table)[:2]) and table != list(table)
    assert list(ThresholdTable().to_frame().columns) == list(frame.columns)


def test_tr10_set_and_remove_refuse_what_is_not_there() -> None:
    table = ThresholdTable([Threshold(USER, "2.4", "volume", 60, 1),
                            Threshold(USER, "2.4", "data_value", 0, 0)])
    with pytest.raises(ValidationError) as err:
        table.set({"user_id": USER})  # type: ignore[arg-type]
    assert err.value.field == "threshold" and isinstance(err.value.reason, str)
    assert list(table.remove(USER, "2.4", "data_value")) == [Threshold(USER, "2.4", "volume",
                                                                       60, 1)]
    with pytest.raises(ValidationError) as err:
        table.remove(USER, "2.4", "volume", 61)
    assert err.value.field == "threshold" and "61" in err.value.reason
    with pytest.raises(ValidationError) as err:
        table.replace_user(OTHER, [Threshold(USER, "2.4", "volume", 60, 1)])
    assert err.value.field == "user_id" and USER in err.value.reason


def test_tr10_csv_cells_are_trimmed_and_blank_ones_refused_with_their_line(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("user_id,service_reference,kind,window_seconds,limit\n"
                    f" {USER} , 2.4 , volume , 60 , 3 \n", encoding="utf-8")
    assert list(ThresholdTable.load(path)) == [Threshold(USER, "2.4", "volume", 60, 3)]
    path.write_text("user_id,service_reference,kind,window_seconds,limit\n"
                    f"{USER},2.4,volume,60,3\n{USER},  ,volume,60,3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        ThresholdTable.load(path)
    assert err.value.field == "service_reference" and "line 3" in err.value.reason
    with pytest.raises(ValidationError) as err:
        threshold_from_row({"user_id": USER, "service_reference": "2.4", "kind": "volume",
                            "window_seconds": None, "limit": 1})
    assert (err.value.field, err.value.reason) == ("window_seconds", "empty at row")
    assert threshold_from_row({"user_id": USER, "service_reference": "2.4",
                               "kind": "volume", "window_seconds": 60, "limit": 2}).limit == 2


def test_sr12_the_dccs_own_thresholds_are_listed_apart_from_the_users() -> None:
    table = ThresholdTable([Threshold("DCC", "2.4", "volume", 3600, 100),
                            Threshold(USER, "1.1.1", "volume", 60, 2)])
    assert table.dcc_services() == ["2.4"]
    assert table.users() == [USER] and table.pairs() == [(USER, "1.1.1")]


def _refusal(call, *args, **kwargs) -> ValidationError:
    """The ValidationError ``call`` raises; it must say why in words."""
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value.reason, str) and caught.value.reason
    return caught.value


@pytest.mark.parametrize(("kind", "window", "limit"), [
    ("volume", 1, 0), ("volume", 31 * 24 * 3600, 2**31 - 1), ("data_value", 0, 2**31 - 1)])
def test_tr10_a_threshold_holds_its_boundary_values(kind: str, window: int, limit: int) -> None:
    """TR-10: a volume window of 1 s up to 31 days, a data value window of 0, a limit of
    0..2**31-1 are all accepted as given."""
    threshold = Threshold(USER, "2.4", kind, window, limit)
    assert (threshold.window_seconds, threshold.limit) == (window, limit)


@pytest.mark.parametrize(("kind", "window", "limit", "field"), [
    ("volume", 60, 2**31, "limit"), ("data_value", -1, 0, "window_seconds"),
    ("data_value", 1, 0, "window_seconds"), ("volume", 31 * 24 * 3600 + 1, 1, "window_seconds")])
def test_tr10_a_threshold_past_its_bounds_is_refused_naming_the_field(
        kind: str, window: int, limit: int, field: str) -> None:
    assert _refusal(Threshold, USER, "2.4", kind, window, limit).field == field


@pytest.mark.parametrize(("changes", "field"), [
    ({"user_id": "no spaces"}, "user_id"), ({"service_reference": "2"}, "service_reference"),
    ({"kind": "rate"}, "kind")])
def test_tr10_a_refused_threshold_says_why(changes: dict, field: str) -> None:
    values = {"user_id": USER, "service_reference": "2.4", "kind": "volume",
              "window_seconds": 60, "limit": 1} | changes
    assert _refusal(Threshold, **values).field == field


def test_tr10_an_unknown_kind_is_refused_listing_exactly_the_kinds() -> None:
    """The refusal of a kind lists the kinds a User may set, each of them accepted."""
    listed = _refusal(Threshold, USER, "2.4", "rate", 60, 1).reason
    names = listed.rsplit("expected one of ", 1)[1].split(", ")
    assert [parse_kind(name) for name in names] == list(ThresholdKind)


def test_tr10_a_table_holds_only_thresholds_each_identity_once() -> None:
    """A table is built of Thresholds only, one per identity; both refusals say why."""
    assert _refusal(ThresholdTable, [("U1", "2.4")]).field == "threshold"
    twice = [Threshold(USER, "2.4", "volume", 60, 1), Threshold(USER, "2.4", "volume", 60, 2)]
    assert _refusal(ThresholdTable, twice).field == "threshold"


def _volume_thresholds(user: str, count: int) -> list[Threshold]:
    return [Threshold(user, "2.4", "volume", window, 1) for window in range(1, count + 1)]


def test_tr10_at_most_64_thresholds_per_user_and_service_request() -> None:
    """A User may set 64 thresholds on one Service Request (one bit each in the
    evaluation mask), another User 64 more; a 65th for the same pair is refused."""
    table = ThresholdTable(_volume_thresholds(USER, 64) + _volume_thresholds(OTHER, 64))
    assert len(table.for_request(USER, "2.4")) == 64 and len(table) == 128
    error = _refusal(ThresholdTable, _volume_thresholds(USER, 65))
    assert error.field == "threshold"
    assert _refusal(table.set, Threshold(USER, "2.4", "volume", 65, 1)).field == "threshold"


def test_tr10_a_users_volume_thresholds_come_before_its_data_value_threshold() -> None:
    table = ThresholdTable([Threshold(USER, "2.4", "data_value", 0, 0),
                            Threshold(USER, "2.4", "volume", 7200, 1),
                            Threshold(USER, "2.4", "volume", 60, 1)])
    assert [(t.kind, t.window_seconds) for t in table] == [
        (ThresholdKind.VOLUME, 60), (ThresholdKind.VOLUME, 7200), (ThresholdKind.DATA_VALUE, 0)]


def test_describe_mask_names_each_threshold_the_mask_picks_in_one_line() -> None:
    """TR-10: a quarantine's reason names every threshold it went over, '; ' between."""
    hour = Threshold(USER, "2.4", "volume", 3600, 10)
    day = Threshold(USER, "2.4", "volume", 86_400, 50)
    table = ThresholdTable([hour, day])
    applicable = table.for_request(USER, "2.4")
    both = table.describe_mask(USER, "2.4", 0b11)
    assert both == "; ".join(t.describe() for t in applicable)
    assert both == ("volume: more than 10 x 2.4 in 3600 s; volume: more than 50 x 2.4 in "
                    "86400 s")
    assert table.describe_mask(USER, "2.4", 0b10) == applicable[1].describe()
