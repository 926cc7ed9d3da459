"""Body parsing and validation: raw bytes → a typed :class:`MoveRequest`, or a :class:`Problem`
listing every fault found (``errors[]`` with RFC 6901 pointers), named after the first one in
the contract's order. Knows nothing of HTTP or the database."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gateway.contract import MAX_LEAD_ID, MAX_PHONE_TEXT
from gateway.errors import BODY_CHECK_ORDER, Code, Problem, is_code


@dataclass(frozen=True)
class MoveRequest:
    lead_ids: tuple[int, ...]
    insert: bool
    update: bool
    delete: bool


@dataclass(frozen=True)
class JsonNumber:
    """A number of the body beyond a float's range (``1e400`` would be an infinity, which
    JSON cannot write back): kept as its text, so that it is refused as an invalid lead id
    and echoed as it was sent."""

    text: str


@dataclass(frozen=True)
class Fault:
    code: Code
    pointer: str
    detail: str


def pointer(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer in its URI fragment form: ``#/lead_ids/3``."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    # a lone surrogate (JSON allows "\\ud800") is percent-encoded as its UTF-8-style bytes
    return "#" + "".join(
        "/" + quote(p, safe="!$&'()*+,;=:@-._~", errors="surrogatepass") for p in escaped
    )


def parse_body(raw: bytes, flags: tuple[str, ...], max_leads: int) -> MoveRequest:
    """Validate a request body. ``flags`` are the boolean keys this route takes, in order."""
    body = _load_object(raw)
    faults: list[Fault] = []
    for flag in flags:
        value = body.get(flag)
        if not isinstance(value, bool):
            state = (
                "is missing" if flag not in body else f"must be true or false, not {_kind(value)}"
            )
            code = f"invalid_{flag}"
            assert is_code(code), code  # every flag of a route has its code in the catalogue
            faults.append(Fault(code, pointer(flag), f"{flag} {state}"))

    raw_ids = body.get("lead_ids")
    bad_items: list[Any] = []
    repeated: list[int] = []
    if raw_ids is None or raw_ids == []:
        state = "is missing" if "lead_ids" not in body else "is empty"
        faults.append(Fault("missing_lead_ids", pointer("lead_ids"), f"lead_ids {state}"))
    elif not isinstance(raw_ids, list):
        bad_items = [raw_ids]
        faults.append(
            Fault(
                "invalid_lead_ids",
                pointer("lead_ids"),
                f"lead_ids must be a list, not {_kind(raw_ids)}",
            )
        )
    else:
        for i, item in enumerate(raw_ids):
            if not _is_lead_id(item):
                bad_items.append(item)
                faults.append(
                    Fault(
                        "invalid_lead_ids",
                        pointer("lead_ids", i),
                        f"{_short(item)} is not an integer in 1..{MAX_LEAD_ID}",
                    )
                )
        if len(raw_ids) > max_leads:
            faults.append(
                Fault(
                    "too_many_lead_ids",
                    pointer("lead_ids"),
                    f"{len(raw_ids)} values, at most {max_leads}",
                )
            )
        counts = Counter(item for item in raw_ids if _is_lead_id(item))
        seen: set[int] = set()
        for i, item in enumerate(raw_ids):
            if _is_lead_id(item) and counts[item] > 1:
                if item in seen:
                    faults.append(
                        Fault(
                            "duplicate_lead_ids",
                            pointer("lead_ids", i),
                            f"{item} appears more than once",
                        )
                    )
                    if item not in repeated:
                        repeated.append(item)
                seen.add(item)

    for key in body:
        if key not in flags and key != "lead_ids":
            faults.append(Fault("unknown_field", pointer(key), f"{_short(key)} is not a field"))

    if faults:
        faults.sort(key=lambda f: BODY_CHECK_ORDER.index(f.code))  # stable: positions kept
        first = faults[0].code
        extra: dict[str, Any] = {}
        if first == "invalid_lead_ids":
            extra["lead_ids"] = bad_items
        elif first == "duplicate_lead_ids":
            extra["lead_ids"] = repeated
        extra["errors"] = [{"pointer": f.pointer, "detail": f.detail} for f in faults]
        raise Problem(first, extra=extra, params={"max_leads": max_leads})

    assert isinstance(raw_ids, list)
    return MoveRequest(
        lead_ids=tuple(raw_ids),
        insert=body["insert_leads"],
        update=body.get("update_leads") is True,
        delete=body["delete_leads"],
    )


def _load_object(raw: bytes) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(pairs)

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        body = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=no_duplicates,
            parse_constant=no_constants,
            parse_float=_float,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        detail = "the body is not valid JSON"
        if "duplicate key" in str(exc):
            detail = "the body repeats a key"
        raise Problem(
            "malformed_json", extra={"errors": [{"pointer": "#", "detail": detail}]}
        ) from None
    if not isinstance(body, dict):
        raise Problem(
            "malformed_json",
            extra={
                "errors": [{"pointer": "#", "detail": f"the body is {_kind(body)}, not an object"}]
            },
        )
    return body


def _float(text: str) -> float | JsonNumber:
    value = float(text)
    return value if math.isfinite(value) else JsonNumber(text)


def to_json(value: Any, ensure_ascii: bool = True, separators: tuple[str, str] = (",", ":")) -> str:
    """JSON text of a parsed body's values (or of an answer holding them): a
    :class:`JsonNumber` as its text; with ``ensure_ascii`` a lone surrogate as its escape."""
    try:
        return json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=False, separators=separators)
    except TypeError:
        pass
    if isinstance(value, JsonNumber):
        return value.text
    item, key = separators
    if isinstance(value, dict):
        return (
            "{"
            + item.join(
                to_json(str(k), ensure_ascii, separators)
                + key
                + to_json(v, ensure_ascii, separators)
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + item.join(to_json(v, ensure_ascii, separators) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} is not JSON")


def parse_lookup_body(raw: bytes) -> str:
    """``{"phone_number": "..."}`` → the number as sent (the database keeps its digits)."""
    body = _load_object(raw)
    faults: list[Fault] = []
    phone = body.get("phone_number")
    if not isinstance(phone, str) or len(phone) > MAX_PHONE_TEXT:
        if "phone_number" not in body:
            state = "is missing"
        elif isinstance(phone, str):
            state = f"is longer than {MAX_PHONE_TEXT} characters"
        else:
            state = f"must be a string, not {_kind(phone)}"
        faults.append(
            Fault("invalid_phone_number", pointer("phone_number"), f"phone_number {state}")
        )
    for key in body:
        if key != "phone_number":
            faults.append(Fault("unknown_field", pointer(key), f"{_short(key)} is not a field"))
    if faults:
        errors = [{"pointer": f.pointer, "detail": f.detail} for f in faults]
        raise Problem(faults[0].code, extra={"errors": errors})
    assert isinstance(phone, str)
    return phone


def _is_lead_id(item: Any) -> bool:
    return type(item) is int and 1 <= item <= MAX_LEAD_ID


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {
        int: "a number",
        float: "a number",
        JsonNumber: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = to_json(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= 40 else text[:37] + "..."
