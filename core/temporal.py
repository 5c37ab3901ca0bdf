"""Connecting to Temporal with the project's data converter (dates, Decimals, dataclasses,
through pydantic), its type adapters built once per process.

The SDK gives every workflow instance a payload converter of its own, and pydantic's converter
caches its `TypeAdapter`s per converter: every new ClaimWorkflow instance (at each
continue-as-new, and again after eviction from the worker's cache) rebuilt the adapter of
`ClaimInput` and its ~15 nested dataclasses, 13-45 ms each time. One process-wide cache makes
that once (bench/README.md, "Month cycle": the boundary of 500 cases from 107 s to 19 s). The
JSON on the wire is the same, so histories replay unchanged."""

from __future__ import annotations

import functools
from typing import Any

import temporalio.api.common.v1
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

ADAPTERS = 1024  # distinct types the process decodes: a few hundred at most


@functools.lru_cache(maxsize=ADAPTERS)
def type_adapter(hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(hint)


class SharedAdapterJSONConverter(PydanticJSONPlainPayloadConverter):
    """pydantic's JSON payload converter, decoding through the process-wide adapters."""

    def from_payload(
        self, payload: temporalio.api.common.v1.Payload, type_hint: type | None = None
    ) -> Any:
        hint = type_hint if type_hint is not None else Any
        try:
            adapter = type_adapter(hint)
        except TypeError:
            try:
                hash(hint)
            except TypeError:  # an unhashable hint: no cache
                adapter = TypeAdapter(hint)
            else:
                raise
        return adapter.validate_json(payload.data)


# The encodings, built once: the SDK makes a DataConverter (so a PayloadConverter) for every
# workflow activation, and building the pydantic JSON converter each time (its serializer, its
# adapter cache) was ~5% of the worker's Python CPU on an idle month's stack (py-spy --gil,
# bench/README.md session 6). They hold no per-use state: the adapters are process-wide, the
# serializer and the others stateless.
_ENCODINGS = tuple(
    SharedAdapterJSONConverter() if isinstance(c, JSONPlainPayloadConverter) else c
    for c in DefaultPayloadConverter.default_encoding_payload_converters
)


class PayloadConverter(CompositePayloadConverter):
    """The SDK's default encodings with the JSON one replaced, as pydantic's converter does."""

    def __init__(self) -> None:
        super().__init__(*_ENCODINGS)


# Unencrypted: what the Temporal server stores is read with it (tests), and core/codec.py puts
# its encryption underneath it. Clients and workers connect with core.codec.data_converter.
PLAIN_CONVERTER = DataConverter(payload_converter_class=PayloadConverter)


async def connect(address: str, namespace: str, data_converter: DataConverter) -> Client:
    """A client of the system: `data_converter` is core.codec.data_converter(PAYLOAD_KEYS)."""
    return await Client.connect(address, namespace=namespace, data_converter=data_converter)
