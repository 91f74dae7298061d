"""DUIS Reset Debt Register request and Service Response (SR-9, TR-5, TR-7)."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from specpkg.duis.codes import (
    DUIS_CODES,
    DuisError,
    Outcome,
    ResponseCode,
    Stage,
    code_table,
    codes_given_at,
    outcome_of,
    response_code_table,
)
from specpkg.duis.intake import check_request, validate_request
from specpkg.duis.refusals import refusal_examples
from specpkg.duis.reset_request import (
    DEFAULT_CLOCK,
    DEFAULT_DEVICE_IDS,
    DEFAULT_KEYS_DIR,
    SR_NS,
    ResetRequest,
    build_request_tree,
    make_request,
    parse_request_id,
    request_xml,
    sign_tree,
    signature_valid,
)
from specpkg.duis.responses import (
    answered_code,
    error_response,
    format_date_time,
    parse_response,
    service_response,
)
from specpkg.duis.schema import schema_errors
from specpkg.duis.xmldsig import (
    DS_NS,
    SignatureInvalid,
    load_certificate,
    redact_signature_value,
    verify_enveloped,
)
from specpkg.errors import SpecError, ValidationError
from specpkg.meter.registers import DebtRegister, Device, ResetOutcome

Q = f"{{{SR_NS}}}"
COMBOS = [(d, r) for d in Device for r in DebtRegister]


def base_request(register: DebtRegister = DebtRegister.TIME_DEBT_1) -> ResetRequest:
    return make_request(Device.ESME, register, 1001)


def unsigned(register: DebtRegister = DebtRegister.TIME_DEBT_1) -> etree._Element:
    tree = build_request_tree(base_request(register))
    tree.remove(tree.find(f"{{{DS_NS}}}Signature"))  # sign_tree needs no placeholder
    return tree


def body(tree: etree._Element) -> etree._Element:
    return tree.find(f"{Q}Body/{Q}ResetDebtRegister")


def code_of(data: bytes) -> ResponseCode | None:
    return check_request(data).code


# --- valid requests -------------------------------------------------------------------


@pytest.mark.parametrize(("device", "register"), COMBOS, ids=[f"{d}-{r}" for d, r in COMBOS])
def test_round_trip_every_device_and_register(device: Device, register: DebtRegister) -> None:
    request = make_request(device, register, 42)
    xml = request_xml(request)
    accepted = validate_request(xml)
    assert accepted.request == request
    assert accepted.device is device
    assert (accepted.entry.device, accepted.entry.register) == (device, register)
    assert accepted.entry.use_case == ("ECS07b" if device is Device.ESME else "GCS04b")
    assert schema_errors(etree.fromstring(xml)) == []


def test_signing_is_deterministic() -> None:
    assert request_xml(base_request()) == request_xml(base_request())


def test_request_id_forms() -> None:
    r = ResetRequest("90-b3-d5-1f-30-01-00-00", "00DB1234567890A0", 7, "TimeDebtRegister2")
    assert r.request_id == "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:7"
    assert parse_request_id(r.request_id) == ("90B3D51F30010000", "00DB1234567890A0", 7)
    assert r.response_id.startswith("00-DB-12-34-56-78-90-A0:90-B3")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"user_id": "90B3"},
        {"device_id": "zz-DB-12-34-56-78-90-A0"},
        {"counter": -1},
        {"counter": 2**64},
        {"counter": 1.0},
        {"register": "TimeDebtRegister3"},
        {"command_variant": 9},
    ],
)
def test_reset_request_refuses_bad_fields(kwargs: dict) -> None:
    fields = {"user_id": "90B3D51F30010000", "device_id": "00DB1234567890A0", "counter": 1,
              "register": DebtRegister.PAYMENT_DEBT, **kwargs}
    with pytest.raises(ValidationError):
        ResetRequest(**fields)


def test_structure_follows_the_real_sr23_requests(reference) -> None:
    """Same namespace, header elements and signature algorithms as the reference requests."""
    ours = etree.fromstring(request_xml(base_request()))
    for name in ("ECS07_2.3_SUCCESS_REQUEST_DUIS.XML", "GCS04_2.3_SUCCESS_REQUEST_DUIS.XML"):
        real = etree.parse(str(reference / "duis" / name)).getroot()
        assert real.tag == ours.tag
        assert [c.tag for c in real.find(Q + "Header")] == [c.tag for c in ours.find(Q + "Header")]
        assert [etree.QName(c).localname for c in real if isinstance(c.tag, str)] == [
            etree.QName(c).localname for c in ours
        ]
        for path in ("ds:SignedInfo/ds:CanonicalizationMethod", "ds:SignedInfo/ds:SignatureMethod",
                     "ds:SignedInfo/ds:Reference/ds:DigestMethod",
                     "ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform"):
            ns = {"ds": DS_NS}
            real_alg = real.find("ds:Signature", ns).find(path, ns).get("Algorithm")
            assert ours.find("ds:Signature", ns).find(path, ns).get("Algorithm") == real_alg
        assert real.findtext(f"{Q}Header/{Q}CommandVariant") == ours.findtext(
            f"{Q}Header/{Q}CommandVariant")


# --- SR-9: exactly one register ----------------------------------------------------------


def test_sr9_schema_requires_exactly_one_register() -> None:
    for count in (0, 1, 2, 3):
        tree = unsigned()
        reset = body(tree)
        for child in list(reset):
            reset.remove(child)
        for register in list(DebtRegister)[:count]:
            etree.SubElement(reset, Q + register.value)
        tree.append(etree.Element(f"{{{DS_NS}}}Signature"))
        assert (schema_errors(tree) == []) is (count == 1), count


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list(DebtRegister)), max_size=4))
def test_sr9_property_random_register_sets(registers: list[DebtRegister]) -> None:
    """SR-9: a signed request is accepted iff it names exactly one register."""
    tree = unsigned()
    reset = body(tree)
    for child in list(reset):
        reset.remove(child)
    for register in registers:
        etree.SubElement(reset, Q + register.value)
    check = check_request(sign_tree(tree))
    if len(registers) == 1:
        assert check.accepted is not None and check.accepted.request.register is registers[0]
    else:
        expected = ResponseCode.NO_REGISTER if not registers else ResponseCode.SEVERAL_REGISTERS
        assert check.code is expected
        assert parse_response(check.response).code == expected.value


# --- each refusal has its code -----------------------------------------------------------


def _signed(mutate) -> bytes:
    tree = unsigned()
    mutate(tree)
    return sign_tree(tree)


def _no_register(tree):
    body(tree).remove(body(tree)[0])


def _two_registers(tree):
    etree.SubElement(body(tree), Q + "PaymentDebtRegister")


def _unknown_register(tree):
    body(tree).remove(body(tree)[0])
    etree.SubElement(body(tree), Q + "TimeDebtRegister3")


def _foreign_register(tree):
    body(tree)[0].tag = "{urn:other}TimeDebtRegister1"


def _set(path: str, text: str):
    def mutate(tree):
        tree.find(path).text = text
    return mutate


def _wrong_namespace() -> bytes:
    xml = etree.tostring(unsigned()).replace(SR_NS.encode(), b"http://example.invalid/sug")
    return sign_tree(etree.fromstring(xml))


def _tampered() -> bytes:
    return request_xml(base_request()).replace(b"<sr:TimeDebtRegister1/>",
                                               b"<sr:PaymentDebtRegister/>")


def _unsigned_bytes() -> bytes:
    return etree.tostring(unsigned())


def _signed_by_other_key() -> bytes:
    return sign_tree(unsigned(), signer_id="00DB1234567890A0")


def _doctype() -> bytes:
    return request_xml(base_request()).replace(
        b"?>", b'?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)


def _entity_decl_only() -> bytes:
    return request_xml(base_request()).replace(b"<sr:Body>", b"<!ENTITY x 'y'><sr:Body>")


def _too_large() -> bytes:
    padding = b"<!--" + b"x" * 40000 + b"-->"
    return request_xml(base_request()).replace(b"<sr:Body>", padding + b"<sr:Body>")


def _malformed() -> bytes:
    return request_xml(base_request())[:-20]


def _unknown_sender() -> bytes:
    return sign_tree(_with(unsigned(), f"{Q}Header/{Q}RequestID",
                           "11-22-33-44-55-66-77-88:00-DB-12-34-56-78-90-A0:1"),
                     signer_id="90B3D51F30010000")


def _unknown_device() -> bytes:
    return _signed(_set(f"{Q}Header/{Q}RequestID",
                        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-FF:1"))


def _with(tree, path, text):
    tree.find(path).text = text
    return tree


NEGATIVE = {
    "no-register": (lambda: _signed(_no_register), ResponseCode.NO_REGISTER),
    "two-registers": (lambda: _signed(_two_registers), ResponseCode.SEVERAL_REGISTERS),
    "unknown-register": (lambda: _signed(_unknown_register), ResponseCode.UNKNOWN_REGISTER),
    "register-in-other-namespace": (lambda: _signed(_foreign_register),
                                    ResponseCode.UNKNOWN_REGISTER),
    "wrong-namespace": (_wrong_namespace, ResponseCode.WRONG_NAMESPACE),
    "tampered-after-signing": (_tampered, ResponseCode.BAD_SIGNATURE),
    "no-signature": (_unsigned_bytes, ResponseCode.BAD_SIGNATURE),
    "signed-by-another-key": (_signed_by_other_key, ResponseCode.BAD_SIGNATURE),
    "dtd-external-entity": (_doctype, ResponseCode.DTD_FORBIDDEN),
    "entity-declaration": (_entity_decl_only, ResponseCode.DTD_FORBIDDEN),
    "too-large": (_too_large, ResponseCode.TOO_LARGE),
    "malformed": (_malformed, ResponseCode.MALFORMED_XML),
    "wrong-service-reference": (lambda: _signed(_set(f"{Q}Header/{Q}ServiceReference", "2.3")),
                                ResponseCode.WRONG_SERVICE_REFERENCE),
    "wrong-service-reference-variant": (
        lambda: _signed(_set(f"{Q}Header/{Q}ServiceReferenceVariant", "2.3")),
        ResponseCode.WRONG_SERVICE_REFERENCE),
    "request-id-leading-zero": (
        lambda: _signed(_set(f"{Q}Header/{Q}RequestID",
                             "90-b3-d5-1f-30-01-00-00:00-db-12-34-56-78-90-a0:01")),
        ResponseCode.BAD_REQUEST_ID),
    "request-id-no-counter": (
        lambda: _signed(_set(f"{Q}Header/{Q}RequestID",
                             "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0")),
        ResponseCode.BAD_REQUEST_ID),
    "request-id-counter-too-big": (
        lambda: _signed(_set(f"{Q}Header/{Q}RequestID",
                             "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:99999999999999999999")),
        ResponseCode.BAD_REQUEST_ID),
    "command-variant-out-of-range": (lambda: _signed(_set(f"{Q}Header/{Q}CommandVariant", "9")),
                                     ResponseCode.SCHEMA_INVALID),
    "text-in-register-marker": (lambda: _signed(lambda t: setattr(body(t)[0], "text", "500")),
                                ResponseCode.SCHEMA_INVALID),
    "unknown-sender": (_unknown_sender, ResponseCode.UNKNOWN_SENDER),
    "unknown-device": (_unknown_device, ResponseCode.UNKNOWN_DEVICE),
}


@pytest.mark.parametrize("case", list(NEGATIVE))
def test_each_refusal_gives_its_error_response(case: str) -> None:
    make, expected = NEGATIVE[case]
    data = make()
    with pytest.raises(DuisError) as info:
        validate_request(data)
    assert info.value.code is expected, info.value
    assert info.value.reason
    check = check_request(data)
    assert check.accepted is None and check.code is expected
    response = parse_response(check.response)
    assert response.code == expected.value and not response.success
    assert response.date_time == "2019-06-27T12:00:00.000Z"
    assert response.gbcs_payload is None
    assert response.service_reference and response.service_reference_variant


def test_error_response_echoes_request_id_when_it_was_read() -> None:
    response = parse_response(check_request(_signed(_two_registers)).response)
    assert response.request_id == base_request().request_id
    assert response.service_reference == "2.4"
    response = parse_response(check_request(_malformed()).response)
    assert response.request_id is None


def test_wrong_service_reference_is_echoed() -> None:
    data = _signed(_set(f"{Q}Header/{Q}ServiceReference", "2.3"))
    assert parse_response(check_request(data).response).service_reference == "2.3"


def test_response_code_table_matches_the_codes() -> None:
    table = response_code_table()
    assert sorted(row["name"] for row in table) == sorted(c.name for c in ResponseCode)
    assert all(ResponseCode[row["name"]].value == row["code"] for row in table)
    assert all(row["meaning"] for row in table)
    assert {row["source"] for row in table} == {"DUIS", "MA-16"}
    assert {row["code"] for row in table} <= set(DUIS_CODES)
    # a DUIS code read back stands for one row of it
    assert all(code_table()[ResponseCode(row["code"])].code.value == row["code"]
               for row in table)


def test_refusals_sharing_a_duis_code_stay_apart() -> None:
    several, schema = ResponseCode.SEVERAL_REGISTERS, ResponseCode.SCHEMA_INVALID
    assert several == "E12" and schema == "E12" and several != schema
    assert len({several, schema}) == 2 and f"{several}" == "E12"
    assert outcome_of(ResponseCode.RESET_NOT_CONFIRMED) is Outcome.NOT_CONFIRMED
    assert outcome_of("I0") is Outcome.SUCCESS
    with pytest.raises(ValidationError):
        outcome_of(ResponseCode.ACKNOWLEDGED)


# --- signature: tampering with any element fails ------------------------------------------


def _signed_elements(root: etree._Element) -> list[etree._Element]:
    sig = root.find(f"{{{DS_NS}}}Signature")
    return [e for e in root.iter()
            if isinstance(e.tag, str) and e is not sig and sig not in e.iterancestors()]


@pytest.mark.parametrize("register", list(DebtRegister))
def test_tampering_with_any_element_after_signing_fails(register: DebtRegister) -> None:
    xml = request_xml(base_request(register))
    cert = load_certificate(DEFAULT_KEYS_DIR, "90B3D51F30010000")
    count = len(_signed_elements(etree.fromstring(xml)))
    assert count == 9  # Request, Header + 4, Body, ResetDebtRegister, register
    for index in range(count):
        for how in ("attribute", "text"):
            root = etree.fromstring(xml)
            target = _signed_elements(root)[index]
            if how == "attribute":
                target.set("tampered", "1")
            else:
                target.text = (target.text or "") + "0"
            data = etree.tostring(root)
            with pytest.raises(SignatureInvalid):
                verify_enveloped(data, cert, at=DEFAULT_CLOCK)
            if how == "attribute":
                assert code_of(data) is ResponseCode.BAD_SIGNATURE, target.tag


def test_tampering_with_signed_info_fails() -> None:
    xml = request_xml(base_request())
    tampered = xml.replace(b"xmldsig#enveloped-signature", b"xmldsig#enveloped-signaturX")
    assert code_of(tampered) is ResponseCode.BAD_SIGNATURE
    root = etree.fromstring(xml)
    value = root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[5] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    assert code_of(etree.tostring(root)) is ResponseCode.BAD_SIGNATURE


def test_two_signatures_refused() -> None:
    root = etree.fromstring(request_xml(base_request()))
    root.append(copy.deepcopy(root[-1]))
    assert code_of(etree.tostring(root)) is ResponseCode.BAD_SIGNATURE


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fuzzed_requests_give_an_accepted_request_or_a_duis_error(data) -> None:
    xml = bytearray(request_xml(base_request()))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(xml) - 1))
        xml[i] = data.draw(st.integers(0, 255))
    try:
        validate_request(bytes(xml))
    except DuisError as exc:
        assert exc.code in set(ResponseCode) and exc.code is not ResponseCode.SUCCESS


# --- Service Response ---------------------------------------------------------------------

GBCS = bytes.fromhex("dd000000000000")


def test_success_service_response_round_trip() -> None:
    request = base_request(DebtRegister.TIME_DEBT_2)
    xml = service_response(request, GBCS, ResetOutcome(DebtRegister.TIME_DEBT_2, 1500, 0))
    response = parse_response(xml)
    assert response.code == "I0" and response.success
    assert response.gbcs_payload == GBCS
    assert response.request_id == request.request_id
    assert response.response_id == request.response_id
    assert (response.service_reference, response.service_reference_variant) == ("2.4", "2.4")
    assert response.date_time == "2019-06-27T12:00:00.000Z"
    assert b"<sr:GBCSPayload>" + base64.b64encode(GBCS) + b"</sr:GBCSPayload>" in xml
    assert "Debt Register is zero" in response.meaning


def test_unconfirmed_reset_is_i0_carrying_the_devices_answer() -> None:
    """MA-16: DUIS has no code for "the register is not zero"; the device's response
    in GBCSPayload says it, and the DCC's refusal is RESET_NOT_CONFIRMED."""
    request = base_request(DebtRegister.TIME_DEBT_2)
    outcome = ResetOutcome(DebtRegister.TIME_DEBT_2, 1500, 1)
    response = parse_response(service_response(request, GBCS, outcome))
    assert response.code == ResponseCode.RESET_NOT_CONFIRMED == "I0"
    assert response.gbcs_payload == GBCS
    assert answered_code(outcome) is ResponseCode.RESET_NOT_CONFIRMED
    assert answered_code(ResetOutcome(DebtRegister.TIME_DEBT_2, 1500, 0)) is ResponseCode.SUCCESS


@pytest.mark.parametrize(
    ("payload", "outcome"),
    [
        (b"", ResetOutcome(DebtRegister.TIME_DEBT_1, 0, 0)),
        ("dd00", ResetOutcome(DebtRegister.TIME_DEBT_1, 0, 0)),
        (GBCS, ResetOutcome(DebtRegister.PAYMENT_DEBT, 0, 0)),
        (GBCS, True),
    ],
)
def test_service_response_refuses_bad_input(payload, outcome) -> None:
    with pytest.raises(ValidationError):
        service_response(base_request(), payload, outcome)


def test_clock_is_respected_and_must_be_aware() -> None:
    clock = datetime(2020, 1, 2, 3, 4, 5, 678900, tzinfo=timezone(timedelta(hours=1)))
    assert format_date_time(clock) == "2020-01-02T02:04:05.678Z"
    with pytest.raises(ValidationError):
        format_date_time(datetime(2020, 1, 1))
    err = DuisError(ResponseCode.NO_REGISTER, "x")
    later = DEFAULT_CLOCK + timedelta(minutes=1)
    assert parse_response(error_response(err, clock=later)).date_time.startswith(
        later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"))


def test_parses_the_real_duis_responses(reference) -> None:
    ok = parse_response((reference / "duis" / "example-response-I0.xml").read_bytes())
    assert ok.success and ok.gbcs_payload and ok.gbcs_payload[0] == 0xDD
    err = parse_response((reference / "duis" / "example-response-E65.xml").read_bytes())
    assert err.code == "E65" and err.gbcs_payload is None and not err.success


@pytest.mark.parametrize(
    "doc",
    [
        b"<a/>",
        b"<!DOCTYPE a><a/>",
        b'<sr:Response xmlns:sr="' + SR_NS.encode() + b'" schemaVersion="5.4"/>',
        service_response(base_request(), GBCS, ResetOutcome(DebtRegister.TIME_DEBT_1, 0, 0))
        .replace(b"AQ", b"!!").replace(base64.b64encode(GBCS), b"***"),
    ],
)
def test_parse_response_refuses_invalid(doc: bytes) -> None:
    with pytest.raises(SpecError):
        parse_response(doc)


def test_default_devices_are_in_the_inventory() -> None:
    assert set(DEFAULT_DEVICE_IDS) == set(Device)


@pytest.mark.parametrize(("device", "register"), COMBOS, ids=[f"{d}-{r}" for d, r in COMBOS])
def test_refusal_examples_give_their_codes(device: Device, register: DebtRegister) -> None:
    examples = refusal_examples(make_request(device, register, 3))
    assert {e.expected for e in examples} == codes_given_at(Stage.INTAKE)
    for example in examples:
        assert code_of(example.data) is example.expected, example.case


def test_signature_valid_and_redaction() -> None:
    xml = request_xml(base_request())
    assert signature_valid(xml)
    assert not signature_valid(_tampered()) and not signature_valid(b"<a/>")
    shown = redact_signature_value(xml)
    assert "[signature value: 64 bytes, base64]" in shown
    value = etree.fromstring(xml).findtext(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignatureValue")
    assert value not in shown and "DigestValue" in shown


@pytest.mark.parametrize("node", [etree.Comment(" the register to reset "),
                                  etree.ProcessingInstruction("note", "reset")])
def test_comments_and_processing_instructions_are_refused_even_when_signed(node) -> None:
    """A signature does not cover comments or PIs (UNSIGNED_CONTENT), even one signed with the
    request."""
    def mutate(tree):
        body(tree).insert(0, node)
    assert code_of(_signed(mutate)) is ResponseCode.UNSIGNED_CONTENT


def test_make_request_parses_names() -> None:
    assert make_request("gsme", "PaymentDebtRegister", 1).device_id == "00DB1234567890A1"
    with pytest.raises(ValidationError):
        make_request("CHF", "PaymentDebtRegister", 1)


@pytest.mark.parametrize("mutate", [_no_register, _unknown_register])
def test_sr9_a_register_refusal_echoes_the_request_id(mutate) -> None:
    """SR-9: the error response to a request naming no register, or an unknown one,
    still echoes the RequestID it could read, at the time of the check."""
    clock = datetime(2019, 7, 1, 9, 30, tzinfo=UTC)
    check = check_request(_signed(mutate), clock=clock)
    assert check.error.request_id == base_request().request_id
    parsed = parse_response(check.response)
    assert parsed.request_id == base_request().request_id
    assert parsed.date_time == format_date_time(clock)


ECHOED = ["no-register", "two-registers", "unknown-register", "register-in-other-namespace",
          "tampered-after-signing", "no-signature", "signed-by-another-key",
          "wrong-service-reference", "command-variant-out-of-range", "text-in-register-marker",
          "unknown-sender", "unknown-device"]


@pytest.mark.parametrize("case", ECHOED)
def test_sr9_every_refusal_after_the_request_id_was_read_echoes_it(case: str) -> None:
    """SR-9, TR-5: once the RequestID could be read, the error response echoes it,
    whichever check refused the request."""
    make, expected = NEGATIVE[case]
    data = make()
    sent = etree.fromstring(data).findtext(f"{Q}Header/{Q}RequestID")
    check = check_request(data)
    assert check.code is expected and check.error.request_id == sent
    assert parse_response(check.response).request_id == sent


@pytest.mark.parametrize("variant", [1, 8])
def test_the_accepted_request_carries_the_signed_command_variant(variant: int) -> None:
    request = make_request(Device.GSME, DebtRegister.PAYMENT_DEBT, 7, command_variant=variant)
    accepted = validate_request(request_xml(request))
    assert accepted.request.command_variant == variant
    assert accepted.request == request


# --- what a refusal after the parse echoes and says ----------------------------------


def test_sr9_values_are_read_only_from_the_document_the_signature_covers(monkeypatch) -> None:
    """SR-9: a verifier that hands back another document than the one read (a
    signature-wrapping attack: another RequestID, or another root) is refused as a bad
    signature, echoing the RequestID that was read."""
    import specpkg.duis.intake as intake

    data = request_xml(base_request())
    real = intake.verify_enveloped
    for swap in (_set(f"{Q}Header/{Q}RequestID",
                      "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:2"),
                 lambda signed: setattr(signed, "tag", Q + "Response")):
        def wrapped(*args, swap=swap, **kwargs):
            signed = copy.deepcopy(real(*args, **kwargs))
            swap(signed)
            return signed
        monkeypatch.setattr(intake, "verify_enveloped", wrapped)
        with pytest.raises(DuisError) as info:
            validate_request(data)
        assert info.value.code is ResponseCode.BAD_SIGNATURE and info.value.reason
        assert info.value.request_id == base_request().request_id


def test_sr9_a_certificate_not_naming_the_sender_is_refused_echoing_the_request() -> None:
    """A request whose registered certificate names another party is refused (CERTIFICATE_REFUSED),
    and
    the response still names the request."""
    other = load_certificate(DEFAULT_KEYS_DIR, "00DB1234567890A0")
    with pytest.raises(DuisError) as info:
        validate_request(request_xml(base_request()), certificate=other)
    assert info.value.code is ResponseCode.CERTIFICATE_REFUSED
    assert info.value.request_id == base_request().request_id


@pytest.mark.parametrize(("reference", "variant", "echoed"), [
    ("2.3", "2.3", ("2.3", "2.3")), ("two", "2.4", ("2.4", "2.4")), ("2.4", "x.y", ("2.4", "2.4"))])
def test_an_error_response_echoes_a_well_formed_service_reference_and_variant_only(
        reference: str, variant: str, echoed: tuple[str, str]) -> None:
    """The response echoes the request's ServiceReference and ServiceReferenceVariant when
    they are well-formed, else those of Reset Debt Register (2.4), so it stays valid."""
    def mutate(tree):
        _set(f"{Q}Header/{Q}ServiceReference", reference)(tree)
        _set(f"{Q}Header/{Q}ServiceReferenceVariant", variant)(tree)
    with pytest.raises(DuisError) as info:
        validate_request(_signed(mutate))
    assert info.value.code is ResponseCode.WRONG_SERVICE_REFERENCE
    assert (info.value.service_reference, info.value.service_reference_variant) == echoed


def test_a_missing_service_reference_is_refused_as_empty() -> None:
    """WRONG_SERVICE_REFERENCE: a request without a ServiceReference is refused, and the reason
    shows the
    reference it read as empty (it claims no value the request did not hold)."""
    def drop(tree):
        header = tree.find(f"{Q}Header")
        header.remove(header.find(f"{Q}ServiceReference"))
    with pytest.raises(DuisError) as info:
        validate_request(_signed(drop))
    assert info.value.code is ResponseCode.WRONG_SERVICE_REFERENCE
    assert "ServiceReference ''" in info.value.reason


def test_sr9_several_registers_are_refused_naming_each_of_them() -> None:
    """SR-9 (UNKNOWN_REGISTER): the refusal of a request naming more than one register lists the
    registers it named, in order."""
    def three(tree):
        etree.SubElement(body(tree), Q + "PaymentDebtRegister")
        etree.SubElement(body(tree), Q + "TimeDebtRegister2")
    with pytest.raises(DuisError) as info:
        validate_request(_signed(three))
    assert info.value.code is ResponseCode.SEVERAL_REGISTERS
    named = info.value.reason.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert named == ["TimeDebtRegister1", "PaymentDebtRegister", "TimeDebtRegister2"]
