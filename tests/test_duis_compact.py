"""Every signed DUIS message is compact, as the DCC's signing tool writes them (issue 20)."""

from __future__ import annotations

import pytest
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner

from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.intake import check_request, validate_request
from specpkg.duis.reset_request import (
    DEFAULT_KEYS_DIR,
    DEFAULT_USER_ID,
    build_request_tree,
    make_request,
    request_xml,
    sign_tree,
)
from specpkg.duis.responses import (
    error_response,
    read_signed_response,
    service_response,
    sign_response,
)
from specpkg.duis.xmldsig import (
    _key_info,
    compact,
    load_certificate,
    load_private_key,
    pretty_view,
)
from specpkg.meter.registers import DebtRegister, Device, ResetOutcome


def whitespace_between_elements(data: bytes) -> list[str]:
    """The elements of ``data`` that hold whitespace-only text or tail (indentation)."""
    root = etree.fromstring(data)
    return [etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)
            and ((len(e) and e.text is not None and not e.text.strip())
                 or (e.tail is not None and not e.tail.strip()))]


def signed_documents() -> dict[str, bytes]:
    request = make_request(Device.GSME, DebtRegister.PAYMENT_DEBT, 1001)
    outcome = ResetOutcome(DebtRegister.PAYMENT_DEBT, 100, 0)
    response = service_response(request, b"\xdd\x00", outcome)
    error = error_response(DuisError(ResponseCode.SEVERAL_REGISTERS, "two",
                                     request_id=request.request_id))
    return {"request": request_xml(request), "service response": sign_response(response),
            "error response": sign_response(error)}


@pytest.mark.parametrize("kind", ["request", "service response", "error response"])
def test_every_signed_message_is_compact(kind: str) -> None:
    data = signed_documents()[kind]
    assert whitespace_between_elements(data) == []
    assert b"\n" not in data[data.index(b"<sr:"):]


def test_an_indented_tree_is_signed_compact_and_the_tree_is_left_as_it_was() -> None:
    tree = build_request_tree(make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 7))
    etree.indent(tree, space="  ")
    before = etree.tostring(tree)
    signed = sign_tree(tree)
    assert whitespace_between_elements(signed) == [] and etree.tostring(tree) == before
    assert validate_request(signed).request.counter == 7


def test_compact_keeps_values_that_are_spaces() -> None:
    root = etree.fromstring(b"<a>\n  <b> </b>\n  <c>x</c>\n</a>")
    assert etree.tostring(compact(root)) == b"<a><b> </b><c>x</c></a>"


def test_a_request_signed_indented_is_still_accepted() -> None:
    """A document signed with its indentation verifies too: the DCC checks what came."""
    tree = build_request_tree(make_request(Device.ESME, DebtRegister.TIME_DEBT_2, 9))
    etree.indent(tree, space="    ")
    key = load_private_key(DEFAULT_KEYS_DIR, DEFAULT_USER_ID)
    cert = load_certificate(DEFAULT_KEYS_DIR, DEFAULT_USER_ID)
    signer = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256,
                       digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    indented = etree.tostring(signer.sign(tree, key=key, key_info=_key_info(cert),
                                          exclude_c14n_transform_element=False))
    assert whitespace_between_elements(indented) != []
    assert check_request(indented).accepted is not None


def test_pretty_view_is_indented_and_unsigned_or_redacted() -> None:
    data = signed_documents()["service response"]
    view = pretty_view(data)
    assert "\n  <sr:Header>" in view and "SignatureValue" not in view
    assert "ds:Signature left out" in view
    shown = pretty_view(data, signature=True)
    assert "[signature value: 64 bytes, base64]" in shown and "<ds:SignedInfo>" in shown
    assert read_signed_response(data).code == "I0"  # the view changed nothing sent


# --- lower-case hex, as the DUIS schema allows and the DCC's DUIS library writes ------------

def lower_case_request(counter: int = 1001) -> tuple[bytes, str]:
    request = make_request(Device.ESME, DebtRegister.TIME_DEBT_1, counter)
    tree = build_request_tree(request)
    written = request.request_id.lower()
    tree.find(f"{Q}Header/{Q}RequestID").text = written
    return sign_tree(tree), written


Q = "{http://www.dccinterface.co.uk/ServiceUserGateway}"


def test_a_lower_case_request_id_is_accepted_and_echoed_as_written() -> None:
    data, written = lower_case_request()
    accepted = validate_request(data).request
    assert accepted.request_id == written.upper() and accepted.echo_id == written
    assert accepted.user_id == DEFAULT_USER_ID  # the identity, whatever the case
    response = service_response(accepted, b"\xdd\x00",
                                ResetOutcome(DebtRegister.TIME_DEBT_1, 5, 0))
    parsed = read_signed_response(sign_response(response))
    assert parsed.request_id == written
    assert parsed.response_id == ":".join([written.split(":")[1], written.split(":")[0],
                                           written.split(":")[2]])


def test_a_refused_lower_case_request_echoes_its_request_id_as_written() -> None:
    data, written = lower_case_request()
    refused = data.replace(b"<sr:TimeDebtRegister1/>",
                           b"<sr:TimeDebtRegister1/><sr:TimeDebtRegister2/>")
    tree = etree.fromstring(refused)
    tree.remove(tree[-1])
    check = check_request(sign_tree(tree))
    assert check.error is not None and check.error.code is ResponseCode.SEVERAL_REGISTERS
    from specpkg.duis.responses import parse_response
    assert parse_response(check.response).request_id == written


def test_the_dcc_takes_the_signed_pre_command_under_its_request_id_in_either_case() -> None:
    from specpkg.system.flow import make_testbed
    bed = make_testbed()
    data, written = lower_case_request(counter=5000)
    accepted = bed.dcc.accept(data)
    pre = bed.dcc.pre_command(accepted)
    signed = bed.user.sign(bed.user.correlate(accepted.request, pre))
    assert bed.dcc.command(written, signed)  # the lower-case RequestID finds the request


@pytest.mark.parametrize("text", ["90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:01",
                                  "90B3D51F30010000:00-DB-12-34-56-78-90-A0:1",
                                  "90-b3-d5-1f-30-01-00-00:00-db-12-34-56-78-90-a0:x"])
def test_request_ids_outside_the_duis_pattern_are_refused(text: str) -> None:
    from specpkg.duis.reset_request import parse_request_id
    with pytest.raises(DuisError) as info:
        parse_request_id(text)
    assert info.value.code is ResponseCode.BAD_REQUEST_ID
