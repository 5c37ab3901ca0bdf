"""A flat HTML form read as one of the API's request models, and that model's validation
errors put back beside the form's fields.

A form field is named after its place in the API body, parts joined by `__`
(`bank_account__account_number` is `bank_account.account_number`), so the same pydantic
model checks the page and the REST call, and an error's `loc` names the field to mark."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.pages.task_forms import FormErrors

SEP = "__"
M = TypeVar("M", bound=BaseModel)

# pydantic error types shown with the page's own (translated) words
_OWN_WORDS = {
    "missing": "error.required",
    "int_parsing": "error.integer",
    "int_from_float": "error.integer",
    "date_parsing": "error.date",
    "date_from_datetime_parsing": "error.date",
    "date_from_datetime_inexact": "error.date",
}


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """The API body of the form's fields. A blank field is left out, so the model names what
    is missing (or takes its default); a group of fields is always there, so each missing
    field of a required group is named on its own."""
    body: dict[str, Any] = {}
    for name, raw in values.items():
        *groups, leaf = name.split(SEP)
        node = body
        for group in groups:
            node = node.setdefault(group, {})
        value = raw.strip() if isinstance(raw, str) else raw
        if value not in ("", None):
            node[leaf] = value
    return body


def field_name(loc: Sequence[str | int], fields: Collection[str]) -> str:
    """The form field at `loc` (a leading "body" dropped), or its nearest enclosing group
    that is a field; "" when none is (the error then heads the form)."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"]:
        parts = parts[1:]
    while parts:
        name = SEP.join(parts)
        if name in fields:
            return name
        parts = parts[:-1]
    return ""


def errors_of(err: ValidationError, fields: Collection[str], t: Callable[[str], str]) -> FormErrors:
    """Each error beside its field. A model-level check says which field it is about by
    starting its message with the field's name ("notice_date: ...")."""
    errs = FormErrors()
    for e in err.errors():
        loc: list[str | int] = list(e["loc"])
        msg = str(e["msg"]).removeprefix("Value error, ")
        head, colon, rest = msg.partition(": ")
        if colon and SEP.join([*map(str, loc), head]) in fields:
            loc, msg = [*loc, head], rest
        words = _OWN_WORDS.get(e["type"])
        errs.add(field_name(loc, fields), t(words) if words else msg)
    return errs


def read_form(
    model: type[M], form: BaseModel, t: Callable[[str], str], *, exclude: Collection[str] = ()
) -> tuple[M | None, dict[str, str], FormErrors]:
    """(the validated model or None, the values to show again, the errors by field)."""
    values = form.model_dump(exclude={"csrf_token", *exclude})
    try:
        return model.model_validate(nest(values)), values, FormErrors()
    except ValidationError as err:
        return None, values, errors_of(err, values.keys(), t)
