"""A catalogue of faulty requests, one per intake refusal (SR-9).

Every variant that gets past the signature check is properly signed, so the code
shows the fault itself and not a broken signature; notebooks and reviewers use it
to see how the DCC answers each kind of fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from specpkg.duis.codes import ResponseCode
from specpkg.duis.reset_request import (
    _Q,
    DEFAULT_KEYS_DIR,
    TEST_OTHER_DEVICES,
    ResetRequest,
    build_request_tree,
    hyphenated,
    request_xml,
    sign_tree,
)
from specpkg.duis.xmldsig import (
    DS_NS,
)
from specpkg.duis.xmlsafe import MAX_BYTES
from specpkg.gbcs.security import ACB_ENTITY_ID
from specpkg.meter.registers import (
    DebtRegister,
)

# --- a catalogue of refusals, for notebooks and reviewers -----------------------------------


@dataclass(frozen=True)
class RefusalExample:
    """A faulty request and the response code the DCC answers it with."""

    case: str
    data: bytes
    expected: ResponseCode


def _unsigned(request: ResetRequest, request_id: str) -> etree._Element:
    """The request document, unsigned, with another RequestID."""
    tree = build_request_tree(request)
    tree.remove(tree.find(f"{{{DS_NS}}}Signature"))
    tree.find(f"{_Q}Header/{_Q}RequestID").text = request_id
    return tree


def refusal_examples(
    request: ResetRequest, *, keys_dir: Path = DEFAULT_KEYS_DIR
) -> list[RefusalExample]:
    """One faulty variant of ``request`` per intake refusal (SR-9 and intake).

    Every variant that gets past the signature check is properly signed, so the
    code shows the fault itself and not a broken signature.
    """

    def signed(mutate) -> bytes:
        tree = build_request_tree(request)
        tree.remove(tree.find(f"{{{DS_NS}}}Signature"))
        mutate(tree)
        return sign_tree(tree, keys_dir=keys_dir, signer_id=request.user_id)

    def reset_of(tree: etree._Element) -> etree._Element:
        return tree.find(f"{_Q}Body/{_Q}ResetDebtRegister")

    def no_register(tree):
        reset_of(tree).remove(reset_of(tree)[0])

    def two_registers(tree):
        other = next(r for r in DebtRegister if r is not request.register)
        etree.SubElement(reset_of(tree), _Q + other.value)

    def unknown_register(tree):
        reset_of(tree)[0].tag = _Q + "TimeDebtRegister3"

    def header_text(name: str, text: str):
        def mutate(tree):
            tree.find(f"{_Q}Header/{_Q}{name}").text = text
        return mutate

    def wrong_namespace(tree):
        for element in tree.iter():
            if isinstance(element.tag, str) and element.tag.startswith(_Q):
                element.tag = "{http://example.invalid/ServiceUserGateway}" + etree.QName(
                    element
                ).localname

    good = request_xml(request, keys_dir=keys_dir)
    other_device = "00-DB-12-34-56-78-90-FF"
    hub_device = hyphenated(next(i for i, kind in TEST_OTHER_DEVICES.items() if kind == "CHF"))
    acb = hyphenated(ACB_ENTITY_ID)
    unknown_user = "11-22-33-44-55-66-77-88"
    ids = request.request_id.split(":")
    code = ResponseCode
    return [
        RefusalExample("larger than the size cap", good.replace(
            b"<sr:Body>", b"<!--" + b"x" * MAX_BYTES + b"--><sr:Body>"), code.TOO_LARGE),
        RefusalExample("DOCTYPE with an external entity", good.replace(
            b"?>", b'?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1),
            code.DTD_FORBIDDEN),
        RefusalExample("not well-formed (truncated)", good[: len(good) // 2], code.MALFORMED_XML),
        RefusalExample("wrong namespace", signed(wrong_namespace), code.WRONG_NAMESPACE),
        RefusalExample("CommandVariant 9", signed(header_text("CommandVariant", "9")),
                       code.SCHEMA_INVALID),
        RefusalExample("ServiceReference 2.3 (Update Debt)",
                       signed(header_text("ServiceReference", "2.3")),
                       code.WRONG_SERVICE_REFERENCE),
        RefusalExample("RequestID without counter",
                       signed(header_text("RequestID", ":".join(ids[:2]))), code.BAD_REQUEST_ID),
        RefusalExample("no register", signed(no_register), code.NO_REGISTER),
        RefusalExample("two registers", signed(two_registers), code.SEVERAL_REGISTERS),
        RefusalExample("unknown register TimeDebtRegister3", signed(unknown_register),
                       code.UNKNOWN_REGISTER),
        RefusalExample("register changed after signing", good.replace(
            f"<sr:{request.register.value}/>".encode(),
            f"<sr:{next(r for r in DebtRegister if r is not request.register).value}/>".encode()),
            code.BAD_SIGNATURE),
        RefusalExample("sender without a certificate", signed(header_text(
            "RequestID", f"{unknown_user}:{ids[1]}:{ids[2]}")), code.UNKNOWN_SENDER),
        RefusalExample("a comment inside the signed RequestID counter", good.replace(
            f":{request.counter}</sr:RequestID>".encode(),
            f":{str(request.counter)[:1]}<!---->{str(request.counter)[1:]}</sr:RequestID>"
            .encode()), code.UNSIGNED_CONTENT),
        RefusalExample("signed by the ACB, whose certificate is not a Supplier's",
                       sign_tree(_unsigned(request, f"{acb}:{ids[1]}:{ids[2]}"),
                                 keys_dir=keys_dir, signer_id=acb), code.CERTIFICATE_REFUSED),
        RefusalExample("device the DCC does not know", signed(header_text(
            "RequestID", f"{ids[0]}:{other_device}:{ids[2]}")), code.UNKNOWN_DEVICE),
        RefusalExample("device not an ESME or GSME (its Communications Hub)", signed(header_text(
            "RequestID", f"{ids[0]}:{hub_device}:{ids[2]}")), code.WRONG_DEVICE_TYPE),
    ]


#: Where each signed value of a request sits in its text, for :func:`integrity_examples`.
_SIGNED_VALUES = {  # (text to find, offset after it; a negative offset counts back from it)
    "the RequestID counter": ("</sr:RequestID>", -2),
    "the CommandVariant": ("<sr:CommandVariant>", 0),
    "the ServiceReference": ("<sr:ServiceReference>", 2),
    "the body, before the register": ("<sr:ResetDebtRegister>", 0),
}


def integrity_examples(request: ResetRequest, *,
                       keys_dir: Path = DEFAULT_KEYS_DIR) -> list[RefusalExample]:
    """The signed request with a comment or a processing instruction put inside each
    value the DCC acts on (issue 11). The signature still verifies (canonical XML drops
    comments), but a reader of the raw text would see another value: every one is
    refused (UNSIGNED_CONTENT) before anything is read."""
    good = request_xml(request, keys_dir=keys_dir)
    text = good.decode()
    out = []
    for name, (marker, offset) in _SIGNED_VALUES.items():
        if marker not in text:
            continue
        at = text.index(marker) + (len(marker) + offset if offset >= 0 else offset)
        for kind, node in (("comment", "<!---->"), ("processing instruction", "<?x?>")):
            out.append(RefusalExample(f"a {kind} inside {name}",
                                      (text[:at] + node + text[at:]).encode(),
                                      ResponseCode.UNSIGNED_CONTENT))
    return out
