"""XML in and out for the pyiso20022 dataclasses: xsdata for binding, lxml for safe parsing."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from lxml import etree
from xsdata.exceptions import ParserError
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDate, XmlDateTime

from iso20022.errors import MessageError

T = TypeVar("T")

CURRENCY = "CNY"
CENT = Decimal("0.01")
MAX_ID = 35  # Max35Text: message, payment-information and end-to-end IDs
MAX_TEXT = 140  # Max140Text: names, unstructured remittance

# No DTDs, no entities, no network, libxml2's size limits kept (no huge_tree): a message is
# data, never instructions to fetch more.
_SAFE = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_PARSER = XmlParser(
    config=ParserConfig(fail_on_unknown_properties=True, fail_on_converter_warnings=True),
    handler=LxmlEventHandler,
)
_SERIALIZER = XmlSerializer(config=SerializerConfig(xml_declaration=True, encoding="UTF-8"))


def to_xml(document: Any, namespace: str) -> bytes:
    """Render a pyiso20022 `Document` with the message namespace as the default one."""
    return _SERIALIZER.render(document, ns_map={None: namespace}).encode("utf-8")


def extended(rendered: bytes, parent_tag: str, extend: Callable[[etree._Element], None]) -> bytes:
    """`rendered` (from `to_xml`) with `extend` adding elements at the end of its first
    `parent_tag` element; the declaration kept byte for byte."""
    root = etree.fromstring(rendered, _SAFE)
    parent = next(root.iter(parent_tag))
    extend(parent)
    declaration, _, _ = rendered.partition(b"?>")
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return declaration + b"?>\n" + body


def safe_tree(xml: bytes) -> etree._Element:
    """`xml` parsed as `from_xml` parses it (no DTDs, no entities, no network); raises
    lxml's XMLSyntaxError when malformed."""
    return etree.fromstring(xml, _SAFE)


def from_xml(xml: bytes, namespace: str, document_class: type[T], kind: str) -> T:
    """Parse `xml` into `document_class`, refusing malformed XML and foreign namespaces."""
    if not isinstance(xml, bytes | bytearray) or not xml.strip():
        raise MessageError(f"empty {kind} message")
    try:
        root = etree.fromstring(bytes(xml), _SAFE)
    except etree.XMLSyntaxError as exc:
        raise MessageError(f"malformed XML: {exc}") from None
    return from_tree(root, namespace, document_class, kind)


def iterparse(xml: bytes, tag: str, kind: str) -> Any:
    """`end` events of `tag` elements, parsed as safely as `from_xml` parses (no DTDs, no
    entities, no network); the tree so far is at the iterator's `.root` after it."""
    if not isinstance(xml, bytes | bytearray) or not xml.strip():
        raise MessageError(f"empty {kind} message")
    return etree.iterparse(
        io.BytesIO(bytes(xml)),
        events=("end",),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,  # libxml2's limits (text nodes, depth) stay on for what we receive
        remove_comments=True,
    )


def from_tree(root: etree._Element, namespace: str, document_class: type[T], kind: str) -> T:
    """Bind a parsed tree to `document_class`, refusing foreign namespaces and elements."""
    qname = etree.QName(root)
    if qname.namespace != namespace:
        raise MessageError(
            f"wrong namespace {qname.namespace or '(none)'!r}: expected {namespace!r} ({kind})"
        )
    if qname.localname != "Document":
        raise MessageError(f"root element is {qname.localname!r}, expected 'Document'")
    try:
        return _PARSER.parse(root, document_class)
    except (ParserError, TypeError, ValueError) as exc:
        raise MessageError(f"not a valid {kind} message: {exc}") from None


def amount(value: Decimal, what: str) -> Decimal:
    """A positive amount in yuan with at most 2 places, returned with exactly 2."""
    try:
        value = Decimal(value)
        cents = value.quantize(CENT) if value.is_finite() else None
    except (InvalidOperation, TypeError, ValueError):
        cents = None
    if cents is None:
        raise MessageError(f"{what}: {value!r} is not an amount")
    if value <= 0:
        raise MessageError(f"{what}: amount {value} must be greater than 0")
    if cents != value:
        raise MessageError(f"{what}: amount {value} has more than 2 decimal places")
    if len(cents.as_tuple().digits) > 18:
        raise MessageError(f"{what}: amount {value} has more than 18 digits")
    return cents


def money(value: Decimal) -> Decimal:
    """Any amount (a balance may be negative) with exactly 2 places."""
    return Decimal(value).quantize(CENT)


def currency(ccy: str | None, what: str) -> None:
    if ccy != CURRENCY:
        raise MessageError(f"{what}: currency {ccy!r}, only {CURRENCY} is accepted")


def identifier(value: str | None, what: str, limit: int = MAX_ID) -> str:
    if not value or not value.strip():
        raise MessageError(f"{what} is missing")
    if len(value) > limit:
        raise MessageError(f"{what} {value[:40]!r}… is longer than {limit} characters")
    return value


def text(value: str | None, what: str, limit: int = MAX_TEXT) -> str:
    value = value or ""
    if len(value) > limit:
        raise MessageError(f"{what} is longer than {limit} characters")
    return value


def xml_datetime(value: datetime) -> XmlDateTime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return XmlDateTime.from_datetime(value)


def py_datetime(value: XmlDateTime | None, what: str) -> datetime:
    if value is None:
        raise MessageError(f"{what} is missing")
    result = value.to_datetime()
    return result if result.tzinfo is not None else result.replace(tzinfo=UTC)


def xml_date(value: date) -> XmlDate:
    return XmlDate.from_date(value)


def py_date(value: XmlDate | None, what: str) -> date:
    if value is None:
        raise MessageError(f"{what} is missing")
    return value.to_date()


def count(value: str | None, what: str) -> int:
    if value is None or not value.isdigit():
        raise MessageError(f"{what} {value!r} is not a number of transactions")
    return int(value)
