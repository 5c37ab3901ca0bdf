"""The data converter: the same JSON as pydantic's own converter (histories replay), and one
set of type adapters per process however many payload converters the SDK makes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from temporalio.contrib.pydantic import pydantic_data_converter

from core.temporal import PLAIN_CONVERTER, PayloadConverter, type_adapter
from payloads.case_io import ClaimInput
from payloads.case_state import CaseState
from tests.utils import factories as f


def _claim() -> ClaimInput:
    nid, sep = f.national_id(), date(2026, 11, 1)
    state = CaseState(case_id="abc", status="in_review", region_code="220100")
    state.intake.employer_report = f.employer_report(nid, sep)
    state.intake.registration = f.registration(nid, sep)
    return ClaimInput(case_id="abc", state=state)


def test_payloads_are_pydantics_own_both_ways() -> None:
    ours = PLAIN_CONVERTER.payload_converter_class()
    theirs = pydantic_data_converter.payload_converter_class()
    value = _claim()
    payload = ours.to_payloads([value])[0]
    assert payload == theirs.to_payloads([value])[0]
    assert ours.from_payloads([payload], [ClaimInput])[0] == value
    assert theirs.from_payloads([payload], [ClaimInput])[0] == value
    money = ours.to_payloads([Decimal("755.00")])[0]
    assert ours.from_payloads([money], [Decimal])[0] == Decimal("755.00")


def test_each_new_converter_reuses_the_process_adapters() -> None:
    """The SDK makes a payload converter per workflow instance: the ClaimInput adapter (a
    deep tree of dataclasses) is built once, not once per instance."""
    payload = PLAIN_CONVERTER.payload_converter_class().to_payloads([_claim()])[0]
    PLAIN_CONVERTER.payload_converter_class().from_payloads([payload], [ClaimInput])
    before = type_adapter.cache_info()
    for _ in range(5):  # five workflow instances' converters
        PLAIN_CONVERTER.payload_converter_class().from_payloads([payload], [ClaimInput])
    after = type_adapter.cache_info()
    assert after.misses == before.misses and after.hits >= before.hits + 5


def test_each_new_converter_shares_the_process_encodings() -> None:
    """The SDK makes a data converter per workflow activation: the JSON encoding is built
    once per process, and a new converter's payloads are the same bytes, read back the same."""
    one, two = PayloadConverter(), PayloadConverter()
    assert one is not two
    assert one.converters[b"json/plain"] is two.converters[b"json/plain"]
    value = _claim()
    payload = one.to_payloads([value])[0]
    assert payload == two.to_payloads([value])[0]
    assert two.from_payloads([payload], [ClaimInput])[0] == value
