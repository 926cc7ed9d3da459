"""Body validation without a server: strict JSON types, pointers, order of codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.errors import Problem
from gateway.http.request import MoveRequest, parse_body, pointer

FLAGS = ("insert_leads", "update_leads", "delete_leads")


def parse(body: Any, flags: tuple[str, ...] = FLAGS, max_leads: int = 500) -> MoveRequest:
    return parse_body(json.dumps(body).encode(), flags, max_leads)


def problem(body: Any, **kwargs: Any) -> Problem:
    with pytest.raises(Problem) as info:
        parse(body, **kwargs)
    return info.value


def test_a_valid_body() -> None:
    got = parse(
        {
            "insert_leads": True,
            "update_leads": False,
            "delete_leads": True,
            "lead_ids": [3, 1, 4294967295],
        }
    )
    assert got == MoveRequest((3, 1, 4294967295), True, False, True)


def test_dearchive_flags() -> None:
    got = parse(
        {"insert_leads": True, "delete_leads": False, "lead_ids": [1]},
        flags=("insert_leads", "delete_leads"),
    )
    assert got == MoveRequest((1,), True, False, False)
    assert (
        problem(
            {"insert_leads": True, "delete_leads": False, "update_leads": True, "lead_ids": [1]},
            flags=("insert_leads", "delete_leads"),
        ).code
        == "unknown_field"
    )


@pytest.mark.parametrize("item", [True, False, 1.0, "1", None, 0, -1, 2**32, 2**70, [1], {}])
def test_python_bool_and_friends_are_not_ids(item: Any) -> None:
    got = problem(
        {"insert_leads": True, "update_leads": True, "delete_leads": True, "lead_ids": [item]}
    )
    assert got.code == "invalid_lead_ids"
    assert got.extra["lead_ids"] == [item]


@pytest.mark.parametrize("flag_value", [1, 0, "true", "false", None])
def test_a_boolean_is_not_1_or_true_string(flag_value: Any) -> None:
    got = problem(
        {"insert_leads": flag_value, "update_leads": True, "delete_leads": True, "lead_ids": [1]}
    )
    assert got.code == "invalid_insert_leads"


def test_pointer_escapes() -> None:
    assert pointer("lead_ids", 3) == "#/lead_ids/3"
    assert pointer("a/b~c") == "#/a~1b~0c"
    assert pointer("with space") == "#/with%20space"


def test_too_many_uses_the_configured_limit() -> None:
    got = problem(
        {"insert_leads": True, "update_leads": True, "delete_leads": True, "lead_ids": [1, 2, 3]},
        max_leads=2,
    )
    assert (got.code, got.message) == ("too_many_lead_ids", "lead_ids cannot exceed 2 values")


def test_invalid_items_win_over_too_many() -> None:
    got = problem(
        {"insert_leads": True, "update_leads": True, "delete_leads": True, "lead_ids": [1, 2, "x"]},
        max_leads=2,
    )
    assert got.code == "invalid_lead_ids"
    assert [e["detail"] for e in got.extra["errors"]][1] == "3 values, at most 2"
