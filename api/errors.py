"""Error answers in FastAPI's shape, so a client finds the field in `detail[].loc`."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import HTTPException

from api.services import ActionError


def field_error(loc: Sequence[str | int], msg: str) -> HTTPException:
    """A 422 naming one field, shaped like FastAPI's own validation errors."""
    return HTTPException(
        status_code=422, detail=[{"loc": list(loc), "msg": msg, "type": "value_error"}]
    )


def http_error(err: ActionError) -> HTTPException:
    """A refused action as the REST answer: a 422 naming the field when one is at fault."""
    if err.loc and err.status == 422:
        return field_error(err.loc, err.message)
    return HTTPException(err.status, err.message)
