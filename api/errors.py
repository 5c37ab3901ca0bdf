"""Error answers in FastAPI's shape, so a client finds the field in `detail[].loc`."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

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


# FastAPI's answer to a body it could not read at all (not UTF-8, a broken form): a 400 that no
# route documents; here it is the 422 naming the body that every route with a body documents
BODY_NOT_PARSED = "There was an error parsing the body"


async def body_not_parsed(request: Request, exc: Exception) -> Response:
    """A 400 "error parsing the body" as a 422 at `body`; every other HTTPException as usual."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == BODY_NOT_PARSED:
        detail = [{"loc": ["body"], "msg": "the body cannot be read", "type": "body_unreadable"}]
        return JSONResponse({"detail": detail}, 422)
    return await http_exception_handler(request, exc)
