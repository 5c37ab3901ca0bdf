"""Keyed hashes of identity numbers, so the raw number never appears in a workflow ID, URL,
log line or search attribute (issue: case intake)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from domain.identifiers import case_id_for


class IdentityKeys:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def case_id(self, national_id: str, separation_date: date) -> str:
        return case_id_for(national_id, separation_date, self._key)

    def search_hash(self, national_id: str) -> str:
        """Hash used to find cases by a full identity number without storing it in clear."""
        msg = b"search|" + national_id.strip().upper().encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()
