"""Interoperability with the DCC's own DUIS tools, both ways (issue 20; TR-1, TR-5).

The DCC's signing tool (npm ``@smartdcc/duis-sign-wrap``, the DCC Boxed signing
tool) checks every DUIS message against the DUIS schema, here V5.1 with Service
Request 2.4 added from the workbook's own schema, then its signature:

* every document the workbook signs (requests of both command variants, Service
  Responses, every error response, the Pre-Command reply, the acknowledgement and
  each DCC Alert of a quarantine) passes it, with the signer's certificate;
* what the tool signs with a User's key, and a request written by the DCC's DUIS
  library (``constructDuis``, lower-case EUIs), the workbook's DCC accepts and
  answers, and the answer passes the tool;
* a document tampered after signing fails it, and the DCC refuses a request the tool
  signed with another User's key.

The tools are installed by :func:`specpkg.testing.signtool.ensure_tools` (Debian's
Java and Node as root, the pinned npm packages); the test skips with the reason where
that cannot be done, and fails instead under SPECPKG_REQUIRE_REFERENCE=1.
"""

from __future__ import annotations

import os

import pytest

from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.reset_request import SCHEMA_VERSION, build_request_tree, make_request, request_xml
from specpkg.duis.responses import DCC_SIGNER_ID, error_response, sign_response
from specpkg.duis.xmldsig import DS_NS
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.service import messages
from specpkg.system.flow import make_testbed
from specpkg.testing import signtool

SUPPLIER = "90B3D51F30010000"
OTHER_SUPPLIER = "90B3D51F30020000"


def cert(entity: str):
    return PKI_DIR / f"{entity.lower()}-ds.pem"


def key(entity: str):
    return PKI_DIR / f"{entity.lower()}-ds.key"


@pytest.fixture(scope="module")
def tool() -> None:
    reason = signtool.ensure_tools()
    if reason:
        if os.environ.get("SPECPKG_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"the DCC's DUIS tools: {reason} and SPECPKG_REQUIRE_REFERENCE=1",
                        pytrace=False)
        pytest.skip(f"the DCC's DUIS tools: {reason}")


def unsigned(request) -> bytes:
    from lxml import etree

    root = build_request_tree(request)
    for placeholder in root.findall(f"{{{DS_NS}}}Signature"):
        root.remove(placeholder)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def assert_passes(xml: bytes, signer: str) -> None:
    run = signtool.validate(xml, cert(signer))
    assert run.ok, f"{run.verdict}: {run.log[-800:]}"
    assert "passed xsd validation" in run.log and "passed signature check" in run.log


@pytest.mark.parametrize("device", list(Device))
@pytest.mark.parametrize("register", list(DebtRegister))
def test_every_request_the_workbook_signs_passes_the_dcc_tool(tool, device, register) -> None:
    request = make_request(device, register, 1000 + len(register.value))
    assert_passes(request_xml(request), SUPPLIER)
    signed = messages.signed_pre_command_request(request.request_id, bytes(range(120)),
                                                 keys_dir=PKI_DIR, user_id=SUPPLIER)
    assert_passes(signed, SUPPLIER)


def test_every_message_the_dcc_writes_passes_the_dcc_tool(tool) -> None:
    bed = make_testbed()
    result = bed.run("ESME", "TimeDebtRegister1")
    assert result.response_code == "I0"
    documents = {"Service Response": result.service_response}
    rid = result.request.request_id
    sign = {"keys_dir": PKI_DIR, "signer_id": DCC_SIGNER_ID}
    documents["Pre-Command reply"] = messages.pre_command_response(rid, result.pre_command,
                                                                   **sign)
    documents["acknowledgement"] = messages.acknowledgement(rid, **sign)
    for cause in messages.BREACH_ELEMENTS:
        documents[f"DCC Alert ({cause})"] = messages.quarantine_alert(rid, 7, cause, **sign)
    for code in ResponseCode:
        if code.value.startswith("E"):
            documents[f"error {code.value} {code.name}"] = sign_response(
                error_response(DuisError(code, "refused", request_id=rid)))
    failed = {}
    for name, document in documents.items():
        run = signtool.validate(document, cert(DCC_SIGNER_ID))
        if not run.ok:
            failed[name] = run.log[-400:]
    assert failed == {}
    assert len(documents) > 8


def test_what_the_tool_signs_the_dcc_accepts_and_answers(tool) -> None:
    bed = make_testbed()
    request = make_request(Device.GSME, DebtRegister.PAYMENT_DEBT, 5000)
    xml = signtool.sign(unsigned(request), cert(SUPPLIER), key(SUPPLIER))
    result = bed.run_xml(xml)
    assert (result.response_code, result.received.code) == ("I0", "I0")
    assert bed.stub("GSME").state.payment_debt == 0
    assert_passes(result.service_response, DCC_SIGNER_ID)


def test_a_request_the_dcc_duis_library_writes_in_lower_case_is_accepted(tool) -> None:
    bed = make_testbed()
    target = bed.stub("ESME").device_id
    lower = "-".join(target[i:i + 2] for i in range(0, 16, 2)).lower()
    xml = signtool.construct_request("90-b3-d5-1f-30-01-00-00", lower, 6001,
                                     "TimeDebtRegister2", service=RESET_DEBT_REGISTER,
                                     version=SCHEMA_VERSION)
    assert f"{lower}:6001".encode() in xml
    result = bed.run_xml(signtool.sign(xml, cert(SUPPLIER), key(SUPPLIER)))
    assert result.response_code == "I0"
    assert result.received.request_id == f"90-b3-d5-1f-30-01-00-00:{lower}:6001"
    assert_passes(result.service_response, DCC_SIGNER_ID)


def test_a_document_tampered_after_signing_fails_the_tool(tool) -> None:
    signed = request_xml(make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 7000))
    tampered = signed.replace(b"TimeDebtRegister1", b"TimeDebtRegister2")
    run = signtool.validate(tampered, cert(SUPPLIER))
    assert (run.returncode, run.verdict) == (10, "validation failed")
    assert not signtool.validate(signed, cert(OTHER_SUPPLIER)).ok


def test_the_dcc_refuses_what_the_tool_signed_with_another_users_key(tool) -> None:
    bed = make_testbed()
    request = make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 8000)
    xml = signtool.sign(unsigned(request), cert(OTHER_SUPPLIER), key(OTHER_SUPPLIER))
    assert signtool.validate(xml, cert(OTHER_SUPPLIER)).ok  # the tool signed it
    result = bed.run_xml(xml)
    assert result.response_code == ResponseCode.BAD_SIGNATURE.value
    assert bed.stub("ESME").state.time_debt_1 != 0


def test_a_schema_without_the_places_the_reset_joins_is_refused() -> None:
    """The extension adds SR 2.4 only where DUIS has its anchors; a schema without them,
    or one that already defines the reset's types, is refused, naming what is missing."""
    from specpkg.duis.schema import with_reset_debt_register
    from specpkg.errors import ValidationError

    bare = (b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            b'targetNamespace="http://www.dccinterface.co.uk/ServiceUserGateway"/>')
    with pytest.raises(ValidationError, match="ServiceReference"):
        with_reset_debt_register(bare)
