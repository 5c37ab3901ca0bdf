"""Finding cases, shared by the REST routes and the staff pages: by claimant name or case ID
(may go in a URL), or by a full identity number (only ever in a request body: it is matched
through its keyed hash and never stored, shown or logged in clear)."""

from __future__ import annotations

import re

from api.runtime import Runtime
from api.services import ActionError
from domain.identifiers import InvalidIdentifier, validate_national_id

# the shape of an identity number, valid or mistyped: neither may travel in a URL
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9Xx]$")


def looks_like_national_id(text: str) -> bool:
    """18 characters shaped like an identity number (spaces ignored), checksum or not."""
    return bool(_ID_SHAPE.match("".join(text.split())))


def name_or_case_id(q: str, loc: list[str]) -> str:
    """A search for a claimant name or a case ID prefix, stripped. An identity number is
    refused (ActionError 422 at `loc`): it belongs in a search body, never a URL."""
    q = q.strip()
    if looks_like_national_id(q):
        raise ActionError(
            422, "identity numbers never go in a URL: use POST /api/v1/cases/search", loc
        )
    return q


def national_id_hash(runtime: Runtime, national_id: str, loc: list[str]) -> str:
    """The keyed hash a person's cases are found by (422 at `loc` when it is not a valid
    identity number)."""
    try:
        nid = validate_national_id(national_id)
    except InvalidIdentifier as err:
        raise ActionError(422, str(err), loc) from err
    return runtime.keys.search_hash(nid)
