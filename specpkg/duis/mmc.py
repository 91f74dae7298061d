"""Parse and Correlate under a Message Mapping Catalogue: what the catalogue is for (TR-6).

The DCC's own description of Parse and Correlate
(https://www.smartdcc.co.uk/our-smart-network/network-products-services/parse-and-correlate/,
provided under SEC Section H11 "Parse and Correlate Software") gives the software
two jobs, and the Message Mapping Catalogue (MMC) and its MMC Schema say how:

* **Parse** converts "the relevant content of all Service Responses and Device
  Alerts sent from Smart Metering Devices from the HAN format into a standard XML
  format" for the User's systems: here :meth:`ParseAndCorrelate.parse` turns a
  GBCS reset response (success or failure) or the alert of a meter from before the
  Release into an MMC output document in the DUIS ``ResponseAndAlert`` namespace
  (the ``ra:`` namespace a DUIS Service Response declares,
  ``../shared/reference/duis/example-response-I0.xml``);
* **Correlate** lets the User confirm that the command the DCC returned (the
  Pre-Command) is "substantively identical" to the Service Request it sent,
  before signing it: :meth:`ParseAndCorrelate.correlate`.

Both read the catalogue the software was *built against*: the message code of
each use case, its use case name and its payload. That catalogue travels with
the software as its own :class:`Mapping`, with its own version; the DCC's
catalogue is another file with a version of its own. They correspond only when
they say the same (:meth:`ParseAndCorrelate.check_catalogue`): a test pack whose
Parse and Correlate was built against another catalogue than the one it ships
is refused (:mod:`specpkg.testing.testpack`), and a parser built for another
catalogue cannot parse or correlate the reset messages it produces.

The output's element names are this workbook's placeholders: the MMC of the
Release would define them for the new use cases (finding F-45). The alert of a
meter that does not know the reset (SR-4) is a GBCS Generic Non Critical Alert
(0x1001 in ``gbcs-message-codes.tsv``) whose body the workbook defines, as GBCS's
public tables give no alert code for it (F-45).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from specpkg.duis.reset_request import PARSE_AND_CORRELATE_VERSION, ResetRequest, device_of
from specpkg.errors import DecodeError, SpecError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.catalogue import Catalogue
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.gbcs.security import entity_id
from specpkg.meter.registers import DebtRegister, Device, parse_device, parse_register

#: The DUIS namespace of parsed responses and alerts (declared as ``ra`` by DUIS responses).
RA_NS = "http://www.dccinterface.co.uk/ResponseAndAlert"
_RA = f"{{{RA_NS}}}"
#: GBCS "Generic Non Critical Alert" (gbcs-message-codes.tsv).
GENERIC_NON_CRITICAL_ALERT = 0x1001
#: F-45: the alert code a meter from before the Release puts first in the body of that
#: alert when it does not know a command's message code (the workbook's placeholder),
#: followed by the message code it did not execute.
ALERT_USE_CASE_NOT_SUPPORTED = 0x8F00


class MmcMismatch(SpecError):
    """Parse and Correlate and a catalogue (or a message) that do not correspond (TR-6)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class MappedUseCase:
    """One line of the catalogue as Parse and Correlate carries it."""

    device: Device
    register: DebtRegister
    message_code: int
    use_case: str
    service_reference_variant: str

    def as_dict(self) -> dict[str, str]:
        return {"device": self.device.value, "register": self.register.value,
                "message_code": f"0x{self.message_code:04X}", "use_case": self.use_case,
                "service_reference_variant": self.service_reference_variant}


def _said(row: MappedUseCase | None) -> str:
    if row is None:
        return "nothing"
    return (f"{row.use_case} 0x{row.message_code:04X} "
            f"(Service Request {row.service_reference_variant})")


def _mapped(catalogue: Catalogue) -> tuple[MappedUseCase, ...]:
    return tuple(MappedUseCase(e.device, e.register, e.message_code, e.use_case,
                               e.service_reference_variant) for e in catalogue)


@dataclass(frozen=True)
class ParseAndCorrelate:
    """Parse and Correlate of ``version``, built against catalogue ``catalogue_version``
    whose entries it carries in ``mapping``."""

    version: str
    catalogue_version: str
    mapping: tuple[MappedUseCase, ...]

    @classmethod
    def built_against(cls, catalogue: Catalogue,
                      version: str = PARSE_AND_CORRELATE_VERSION) -> ParseAndCorrelate:
        """The software as the DCC builds it from ``catalogue``, labelled ``version``."""
        return cls(version, catalogue.version, _mapped(catalogue))

    # --- the file that travels with the software (the test pack's parse_and_correlate.json)

    def as_dict(self) -> dict[str, Any]:
        return {"parse_and_correlate_version": self.version,
                "catalogue_version": self.catalogue_version,
                "mapping": [m.as_dict() for m in self.mapping]}

    @classmethod
    def from_dict(cls, data: Any) -> ParseAndCorrelate:
        if not isinstance(data, dict):
            raise ValidationError("parse_and_correlate", "not a JSON object")
        version, built = data.get("parse_and_correlate_version"), data.get("catalogue_version")
        rows = data.get("mapping")
        if not isinstance(version, str) or not version or not isinstance(built, str) or not built:
            raise ValidationError("parse_and_correlate", "its version and catalogue_version "
                                                         "must be non-empty strings")
        if not isinstance(rows, list) or not rows:
            raise ValidationError("parse_and_correlate", "its mapping lists no use case")
        mapping = []
        for row in rows:
            if not isinstance(row, dict):
                raise ValidationError("parse_and_correlate", f"a mapping row is {row!r}")
            try:
                mapping.append(MappedUseCase(
                    parse_device(row.get("device")), parse_register(row.get("register")),
                    int(str(row.get("message_code")), 0), str(row.get("use_case")),
                    str(row.get("service_reference_variant"))))
            except ValueError:
                raise ValidationError("parse_and_correlate",
                                      f"a mapping row is not readable: {row!r}") from None
        return cls(version, built, tuple(mapping))

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"

    # --- correspondence (TR-6)

    def check_catalogue(self, catalogue: Catalogue) -> None:
        """MmcMismatch unless ``catalogue`` is the one this software was built against:
        the same version and, entry by entry, the same message codes and use cases."""
        if catalogue.version != self.catalogue_version:
            raise MmcMismatch("message_mapping_catalogue_version",
                              f"Parse and Correlate {self.version} was built against catalogue "
                              f"{self.catalogue_version}, the catalogue is {catalogue.version}")
        theirs = {(m.device, m.register): m for m in _mapped(catalogue)}
        ours = {(m.device, m.register): m for m in self.mapping}
        for key in sorted(theirs.keys() | ours.keys()):
            if theirs.get(key) != ours.get(key):
                raise MmcMismatch("mapping", f"{key[0].value} {key[1].value}: the catalogue "
                                             f"maps it to {_said(theirs.get(key))}, Parse and "
                                             f"Correlate to {_said(ours.get(key))}")

    def _entry(self, device: Device, register: DebtRegister) -> MappedUseCase:
        for row in self.mapping:
            if row.device is device and row.register is register:
                return row
        raise MmcMismatch("mapping", f"no use case for {device.value} {register.value}")

    def _use_case(self, message_code: int) -> str:
        names = {row.use_case for row in self.mapping if row.message_code == message_code}
        if len(names) != 1:
            raise MmcMismatch("message_code", f"0x{message_code:04X} is not a use case of "
                                              f"catalogue {self.catalogue_version}")
        return names.pop()

    # --- Correlate

    def correlate(self, request: ResetRequest, pre_command: bytes,
                  inventory: Mapping[str, str] | None = None) -> GeneralSigning:
        """The decoded Pre-Command if it is substantively the ``request``: a command
        from the User to the device, with the request's counter, the message code
        the catalogue gives the device's reset of that register, and one operation
        setting that register to zero. MmcMismatch names the first difference."""
        try:
            apdu = messages.decode(pre_command)
        except DecodeError as exc:
            raise MmcMismatch("pre_command", str(exc)) from None
        if not isinstance(apdu, GeneralSigning) or apdu.signature is not None:
            raise MmcMismatch("pre_command", "not an unsigned general-signing APDU")
        entry = self._entry(device_of(request.device_id, inventory), request.register)
        expected = {
            "cra": (apdu.cra, Cra.COMMAND),
            "originator": (apdu.originator_id, entity_id(request.user_id).upper()),
            "recipient": (apdu.recipient_id, entity_id(request.device_id).upper()),
            "counter": (apdu.originator_counter, request.counter),
            "message_code": (apdu.message_code, entry.message_code),
        }
        for name, (found, wanted) in expected.items():
            if found != wanted:
                raise MmcMismatch(name, f"Pre-Command has {found!r}, the request {wanted!r}")
        try:
            register = reset_messages.reset_register_of(apdu)
        except ValidationError as exc:
            raise MmcMismatch("payload", exc.reason) from None
        if register is not request.register:
            raise MmcMismatch("register", f"Pre-Command resets {register.value}, the request "
                                          f"names {request.register.value}")
        return apdu

    # --- Parse

    def parse(self, message: bytes, *, request_id: str = "") -> bytes:
        """The MMC output (UTF-8 XML) of a device's reset response or alert."""
        try:
            apdu = messages.apdu_of(messages.decode(message))
        except DecodeError as exc:
            raise MmcMismatch("message", str(exc)) from None
        root = etree.Element(_RA + "MMCOutput", nsmap={"ra": RA_NS})
        header = etree.SubElement(root, _RA + "Header")
        for name, value in (("RequestID", request_id),
                            ("CatalogueVersion", self.catalogue_version),
                            ("ParseAndCorrelateVersion", self.version),
                            ("DeviceID", apdu.originator_id),
                            ("OriginatorCounter", str(apdu.originator_counter))):
            if value:
                etree.SubElement(header, _RA + name).text = value
        body = etree.SubElement(root, _RA + "Body")
        if apdu.cra is Cra.RESPONSE:
            use_case = self._use_case(apdu.message_code)
            results = messages.response_results(apdu)
            if not results:
                raise MmcMismatch("message", f"a {use_case} response reports no result")
            answer = etree.SubElement(body, _RA + "ResetDebtRegisterRsp", UseCase=use_case,
                                      MessageCode=f"0x{apdu.message_code:04X}")
            etree.SubElement(answer, _RA + "Result").text = (
                "success" if reset_messages.response_success(apdu) else "failure")
            for result in results:
                etree.SubElement(answer, _RA + "Status").text = result
        elif apdu.cra is Cra.ALERT and apdu.message_code == GENERIC_NON_CRITICAL_ALERT:
            code, refused = _alert_body(apdu.payload)
            alert = etree.SubElement(body, _RA + "DeviceAlert",
                                     AlertCode=f"0x{code:04X}")
            etree.SubElement(alert, _RA + "CommandNotExecuted",
                             UseCase=self._use_case(refused)).text = f"0x{refused:04X}"
        else:
            raise MmcMismatch("message", f"no MMC output for a {apdu.cra.name.lower()} "
                                         f"0x{apdu.message_code:04X}")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _alert_body(payload: Any) -> tuple[int, int]:
    if not isinstance(payload, bytes) or len(payload) != 4:
        raise MmcMismatch("message", "the alert's body is not an alert code and a message code")
    return int.from_bytes(payload[:2], "big"), int.from_bytes(payload[2:], "big")


def not_supported_alert(command: GeneralSigning, counter: int) -> bytes:
    """The alert a meter from before the Release raises for ``command`` (SR-4, F-45):
    a Generic Non Critical Alert naming the message code it does not know."""
    body = (ALERT_USE_CASE_NOT_SUPPORTED.to_bytes(2, "big")
            + command.message_code.to_bytes(2, "big"))
    return messages.encode_apdu(GeneralSigning(
        Cra.ALERT, counter, command.recipient, command.originator,
        GENERIC_NON_CRITICAL_ALERT, body, signature=b""))


@dataclass(frozen=True)
class ParsedOutput:
    """An MMC output read back: what the User's systems act on."""

    kind: str  # "response" or "alert"
    use_case: str
    result: str  # "success", "failure" or the alert code
    catalogue_version: str


def read_output(data: bytes) -> ParsedOutput:
    """Read an MMC output :meth:`ParseAndCorrelate.parse` wrote."""
    from specpkg.duis.xmlsafe import parse_xml

    root = parse_xml(data)
    if root.tag != _RA + "MMCOutput":
        raise ValidationError("mmc_output", f"root is {root.tag}, not ra:MMCOutput")
    version = root.findtext(f"{_RA}Header/{_RA}CatalogueVersion") or ""
    answer = root.find(f"{_RA}Body/{_RA}ResetDebtRegisterRsp")
    if answer is not None:
        return ParsedOutput("response", answer.get("UseCase", ""),
                            answer.findtext(_RA + "Result") or "", version)
    alert = root.find(f"{_RA}Body/{_RA}DeviceAlert")
    if alert is None:
        raise ValidationError("mmc_output", "neither a response nor an alert")
    refused = alert.find(_RA + "CommandNotExecuted")
    return ParsedOutput("alert", refused.get("UseCase", "") if refused is not None else "",
                        alert.get("AlertCode", ""), version)
