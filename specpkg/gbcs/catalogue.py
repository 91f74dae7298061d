"""Message Mapping Catalogue for the new Service Request "Reset Debt Register" (SR-3, TR-6).

One entry per target device and Debt Register (SR-8, SR-9): the Service Request
reference, the GBCS use case and message code, the message category, the
eligible User Roles and the payload the command carries (SR-1, SR-2).

Two kinds of value live here:

* **design inputs** (the constants below): the provisional Service Request
  reference 2.4, the provisional use case codes ECS07b / GCS04b, the
  provisional message codes 0x0F01 / 0x0F02 and the payload of each register.
  Provisional values are listed per entry in ``provisional``;
* **derived values** (SR-3): the message category and the eligible User Roles
  are copied from the existing adjust-debt use cases ECS07 / GCS04 and from
  Service Request 2.3 "Update Debt" by :func:`derive_catalogue`, which reads the
  shared reference folder. ``tools/make_catalogue.py`` runs it and writes the
  committed files under ``data/catalogue``; the test for SR-3 derives again and
  compares.

At run time the package reads only the committed files (:func:`load_catalogue`);
it never needs ``../shared``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from specpkg.errors import ValidationError
from specpkg.gbcs.cosem import CHARGE_CLASS_ID, DEBT_REGISTER_OBIS, ChargeMethod
from specpkg.gbcs.zcl import (
    CHANGE_DEBT,
    PREPAYMENT_CLUSTER,
    DebtAmountType,
    RecoveryFrequency,
    RecoveryMethod,
)
from specpkg.meter.registers import DebtRegister, Device, parse_device, parse_register
from specpkg.paths import DATA_DIR

CATALOGUE_DIR = DATA_DIR / "catalogue"
CATALOGUE_CSV_NAME = "reset_debt_register.csv"
CATALOGUE_META_NAME = "catalogue.json"

#: The version Parse & Correlate code carries with the catalogue (TR-6).
CATALOGUE_VERSION = "0.1.0-provisional"

# --- design inputs -----------------------------------------------------------------

#: The Service Request references: the existing "Update Debt" that adjusts a Debt
#: Register, and the new "Reset Debt Register" (provisional: the next free number).
UPDATE_DEBT = "2.3"
RESET_DEBT_REGISTER = "2.4"
SERVICE_REFERENCE_VARIANT = RESET_DEBT_REGISTER
#: The form of a Service Request reference: "2.4", "1.1.1".
SERVICE_REFERENCE_FORMAT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2}){1,2}")
SERVICE_REQUEST_NAME = "Reset Debt Register"

#: The existing adjust-debt use cases the new ones mirror (SR-3), of SR 2.3 Update Debt.
SOURCE_USE_CASES = {Device.ESME: "ECS07", Device.GSME: "GCS04"}

#: Provisional GBCS use cases: a lettered variant of the use case mirrored, as GBCS
#: does for ECS04a/ECS04b "Adjust Meter Balance" / "Adjust Meter Balance: Reset".
USE_CASES = {
    Device.ESME: ("ECS07b", "Reset Debt Register on the ESME"),
    Device.GSME: ("GCS04b", "Reset Debt Register on the GSME"),
}

#: Provisional message codes, one per use case, in a block (0x0F..) far from every
#: allocated code (0x0001..0x0129, 0x1000, 0x1001), so that a later GBCS
#: allocation in the 0x01.. range cannot meet them by accident.
MESSAGE_CODES = {Device.ESME: 0x0F01, Device.GSME: 0x0F02}

#: GBCS message categories ("Message Type" in gbcs-use-cases.json): a Critical Command
#: to smart metering equipment, and a Non-Critical one. The category decides the DCC's
#: flow (DUIS: a Critical Service Request's Pre-Command goes back to the User to sign;
#: SEC G6 / the specification's section 2: Critical commands are in scope of threshold
#: anomaly detection); :attr:`CatalogueEntry.critical` is what the DCC reads.
CRITICAL_CATEGORY = "SME.C.C"
NON_CRITICAL_CATEGORY = "SME.C.NC"

#: The User Role that is the supplier of each device; SR 2.3's roles narrowed to it.
SUPPLIER_ROLE = {Device.ESME: "IS", Device.GSME: "GS"}

PROVISIONAL_FIELDS = ("service_reference", "service_reference_variant", "use_case", "message_code")

# GSME (SR-1): ZigBee Smart Energy Change Debt, debt amount 0, absolute amount type.
DEBT_AMOUNT_TYPE = {r: int(DebtAmountType.of(r, incremental=False)) for r in DebtRegister}
#: A Change Debt carries every recovery field, and a GSME applies them all (ZSE 1.2
#: Prepayment cluster, Change Debt). The reset keeps each register's recovery method
#: as GCS04 sets it (GBCS GCS04; the RTDS 2.3 GCS04 vectors: the Time Debt Registers
#: time-based, the Payment Debt Register payment-based) and sets the other fields to 0
#: (finding F-2; frequency 0 is hourly in ZigBee). They overwrite the register's
#: settings on the meter, which the electricity reset does not (finding F-50).
RECOVERY_METHOD = {
    DebtRegister.TIME_DEBT_1: RecoveryMethod.TIME_BASED,
    DebtRegister.TIME_DEBT_2: RecoveryMethod.TIME_BASED,
    DebtRegister.PAYMENT_DEBT: RecoveryMethod.PAYMENT_BASED,
}
RESET_FREQUENCY = RecoveryFrequency.HOURLY
RESET_RECOVERY_AMOUNT = 0
RESET_BALANCE_PERCENTAGE = 0
RESET_RECOVERY_START_TIME = 0
RESET_COLLECTION_TIME = 0
# ESME (SR-2): DLMS ACTION set_total_amount_remaining on the Charge object of the register.
CHARGE_OBIS = {r: str(obis) for r, obis in DEBT_REGISTER_OBIS.items()}
RESET_VALUE = 0

#: The reference files :func:`derive_catalogue` reads.
MESSAGE_CODES_FILE = "gbcs-message-codes.tsv"
REFERENCE_FILES = ("duis-request-matrix.json", "gbcs-use-cases.json", MESSAGE_CODES_FILE)


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of the catalogue: what a reset of ``register`` on ``device`` maps to."""

    service_reference: str
    service_reference_variant: str
    service_request_name: str
    device: Device
    register: DebtRegister
    use_case: str
    use_case_name: str
    message_code: int
    message_category: str
    eligible_user_roles: tuple[str, ...]
    protocol: str
    zcl_cluster: int | None
    zcl_command: int | None
    debt_amount_type: int | None
    zcl_recovery_method: int | None
    zcl_frequency: int | None
    zcl_recovery_amount: int | None
    zcl_balance_percentage: int | None
    zcl_recovery_start_time: int | None
    zcl_collection_time: int | None
    dlms_class_id: int | None
    dlms_obis: str | None
    dlms_method: int | None
    value: int
    provisional: tuple[str, ...]
    provenance: str

    @property
    def message_code_hex(self) -> str:
        return f"0x{self.message_code:04X}"

    @property
    def critical(self) -> bool:
        """True for a Critical command (category SME.C.C): the User signs its Pre-Command
        and threshold anomaly detection applies; ValidationError for an unknown category."""
        if self.message_category not in (CRITICAL_CATEGORY, NON_CRITICAL_CATEGORY):
            raise ValidationError("message_category",
                                  f"not a GBCS message category: {self.message_category!r}")
        return self.message_category == CRITICAL_CATEGORY


@dataclass(frozen=True)
class Catalogue:
    """The catalogue: a version (TR-6) and one entry per device and register."""

    version: str
    entries: tuple[CatalogueEntry, ...]
    meta: tuple[tuple[str, str], ...] = ()

    def entry(self, device: Device | str, register: DebtRegister | str) -> CatalogueEntry:
        dev, reg = parse_device(device), parse_register(register)
        for e in self.entries:
            if e.device is dev and e.register is reg:
                return e
        raise ValidationError("catalogue", f"no entry for {dev.value} {reg.value}")

    def __iter__(self) -> Iterator[CatalogueEntry]:
        return iter(self.entries)

    def rows(self) -> list[dict[str, str]]:
        """The entries as CSV text cells (the committed form)."""
        return [_to_row(e) for e in self.entries]

    def to_frame(self) -> Any:
        """A pandas DataFrame of the rows, for notebooks."""
        import pandas as pd

        return pd.DataFrame(self.rows())


# --- serialisation ---------------------------------------------------------------

COLUMNS = tuple(f.name for f in fields(CatalogueEntry))
_INT_HEX = {"message_code": 4, "zcl_cluster": 4, "zcl_command": 2, "debt_amount_type": 2,
            "zcl_recovery_method": 2, "zcl_frequency": 2}


def _to_row(e: CatalogueEntry) -> dict[str, str]:
    row: dict[str, str] = {}
    for name, value in asdict(e).items():
        if value is None:
            row[name] = ""
        elif name in _INT_HEX:
            row[name] = f"0x{value:0{_INT_HEX[name]}X}"
        elif isinstance(value, tuple):
            row[name] = ";".join(value)
        elif isinstance(value, Device | DebtRegister):
            row[name] = value.value
        else:
            row[name] = str(value)
    return row


def _from_row(row: dict[str, str]) -> CatalogueEntry:
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise ValidationError("catalogue", f"missing columns {missing}")

    def opt_int(name: str) -> int | None:
        text = row[name].strip()
        if not text:
            return None
        try:
            return int(text, 0)
        except ValueError:
            raise ValidationError(name, f"not an integer: {text!r}") from None

    def split(name: str) -> tuple[str, ...]:
        return tuple(p for p in row[name].split(";") if p)

    code = opt_int("message_code")
    value = opt_int("value")
    if code is None or value is None:
        raise ValidationError("catalogue", "message_code and value are required")
    return CatalogueEntry(
        service_reference=row["service_reference"],
        service_reference_variant=row["service_reference_variant"],
        service_request_name=row["service_request_name"],
        device=parse_device(row["device"]),
        register=parse_register(row["register"]),
        use_case=row["use_case"],
        use_case_name=row["use_case_name"],
        message_code=code,
        message_category=row["message_category"],
        eligible_user_roles=split("eligible_user_roles"),
        protocol=row["protocol"],
        zcl_cluster=opt_int("zcl_cluster"),
        zcl_command=opt_int("zcl_command"),
        debt_amount_type=opt_int("debt_amount_type"),
        zcl_recovery_method=opt_int("zcl_recovery_method"),
        zcl_frequency=opt_int("zcl_frequency"),
        zcl_recovery_amount=opt_int("zcl_recovery_amount"),
        zcl_balance_percentage=opt_int("zcl_balance_percentage"),
        zcl_recovery_start_time=opt_int("zcl_recovery_start_time"),
        zcl_collection_time=opt_int("zcl_collection_time"),
        dlms_class_id=opt_int("dlms_class_id"),
        dlms_obis=row["dlms_obis"] or None,
        dlms_method=opt_int("dlms_method"),
        value=value,
        provisional=split("provisional"),
        provenance=row["provenance"],
    )


def catalogue_csv_text(catalogue: Catalogue) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(catalogue.rows())
    return out.getvalue()


def catalogue_meta_text(catalogue: Catalogue) -> str:
    meta = {"catalogue_version": catalogue.version, **dict(catalogue.meta)}
    return json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_catalogue(catalogue: Catalogue, directory: Path = CATALOGUE_DIR) -> list[Path]:
    """Write the catalogue files; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / CATALOGUE_CSV_NAME
    meta_path = directory / CATALOGUE_META_NAME
    csv_path.write_text(catalogue_csv_text(catalogue), encoding="utf-8")
    meta_path.write_text(catalogue_meta_text(catalogue), encoding="utf-8")
    return [csv_path, meta_path]


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """The committed catalogue (the only catalogue source at run time; TR-6)."""
    meta_path = directory / CATALOGUE_META_NAME
    csv_path = directory / CATALOGUE_CSV_NAME
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    version = meta.pop("catalogue_version", None)
    if not isinstance(version, str) or not version:
        raise ValidationError("catalogue_version", f"missing in {meta_path.name}")
    with csv_path.open(encoding="utf-8", newline="") as fh:
        entries = tuple(_from_row(row) for row in csv.DictReader(fh))
    return Catalogue(version, entries, tuple(sorted((k, str(v)) for k, v in meta.items())))


# --- derivation from the reference (SR-3) -------------------------------------------


def _read_reference(reference: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict]:
    for name in REFERENCE_FILES:
        if not (reference / name).is_file():
            raise ValidationError("reference", f"{name} not found in the reference folder")
    matrix = json.loads((reference / "duis-request-matrix.json").read_text(encoding="utf-8"))
    use_cases = json.loads((reference / "gbcs-use-cases.json").read_text(encoding="utf-8"))
    return matrix, use_cases, read_message_codes(reference / MESSAGE_CODES_FILE)


def read_message_codes(path: Path) -> dict[int, str]:
    """Message code -> use case ("ECS07 Manage Debt on the ESME") from the GBCS
    message code table (a header line, then ``0x001E<TAB>name`` lines)."""
    codes: dict[int, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines[1:], 2):
        if line.strip():
            code, _, name = line.partition("\t")
            try:
                codes[int(code, 16)] = name.strip()
            except ValueError:
                reason = f"line {number}: not a message code: {code!r}"
                raise ValidationError(path.name, reason) from None
    return codes


def _one(rows: list[dict[str, Any]], key: str, value: str, what: str) -> dict[str, Any]:
    found = [r for r in rows if str(r.get(key, "")).strip() == value]
    if len(found) != 1:
        raise ValidationError(
            "reference", f"expected one {what} with {key} {value}, got {len(found)}"
        )
    return found[0]


def derive_catalogue(reference: Path) -> Catalogue:
    """Build the catalogue from the design inputs and the reference folder (SR-3).

    Derived: the message category of each entry is the Message Type of the use
    case it mirrors (ECS07, GCS04), which must agree with SR 2.3 being Critical;
    the eligible User Roles are SR 2.3's roles narrowed to the device's supplier.
    Checked: SR 2.4 is free, and no provisional use case or message code is taken.
    """
    matrix, use_cases, codes = _read_reference(reference)
    taken_refs = {str(r.get("Service Reference", "")).strip() for r in matrix} | {
        str(r.get("Service Reference Variant", "")).strip() for r in matrix
    }
    for ref in (RESET_DEBT_REGISTER, SERVICE_REFERENCE_VARIANT):
        if ref in taken_refs:
            raise ValidationError("service_reference", f"{ref} is already used in the matrix")
    source_sr = _one(
        matrix, "Service Reference Variant", UPDATE_DEBT, "Service Request"
    )
    critical = str(source_sr.get("Critical", "")).strip() == "Yes"
    source_roles = [str(r) for r in source_sr.get("Eligible User Roles", [])]

    known_use_cases = {str(u.get("Code", "")).strip() for u in use_cases}
    known_use_cases |= {name.split(" ", 1)[0] for name in codes.values()}

    entries = []
    for device in Device:
        source = _one(use_cases, "Code", SOURCE_USE_CASES[device], "use case")
        if str(source.get("Service Reference", "")).strip() != UPDATE_DEBT:
            raise ValidationError("reference", f"{SOURCE_USE_CASES[device]} is not for SR 2.3")
        category = str(source.get("Message Type", "")).strip()
        if (category == CRITICAL_CATEGORY) != critical:
            raise ValidationError(
                "message_category",
                f"{SOURCE_USE_CASES[device]} is {category} but SR 2.3 Critical={critical}",
            )
        roles = tuple(r for r in source_roles if r == SUPPLIER_ROLE[device])
        if not roles:
            raise ValidationError("eligible_user_roles", f"SR 2.3 has no role for {device.value}")
        use_case, use_case_name = USE_CASES[device]
        if use_case in known_use_cases:
            raise ValidationError("use_case", f"{use_case} is already a GBCS use case")
        if MESSAGE_CODES[device] in codes:
            raise ValidationError("message_code", f"0x{MESSAGE_CODES[device]:04X} is taken")
        provenance = (
            f"message_category from gbcs-use-cases.json {SOURCE_USE_CASES[device]} Message Type; "
            f"eligible_user_roles from duis-request-matrix.json SR {UPDATE_DEBT} "
            f"Eligible User Roles {'/'.join(source_roles)} narrowed to {SUPPLIER_ROLE[device]}"
        )
        for register in DebtRegister:
            gsme = device is Device.GSME
            entries.append(
                CatalogueEntry(
                    service_reference=RESET_DEBT_REGISTER,
                    service_reference_variant=SERVICE_REFERENCE_VARIANT,
                    service_request_name=SERVICE_REQUEST_NAME,
                    device=device,
                    register=register,
                    use_case=use_case,
                    use_case_name=use_case_name,
                    message_code=MESSAGE_CODES[device],
                    message_category=category,
                    eligible_user_roles=roles,
                    protocol="ZCL" if gsme else "DLMS",
                    zcl_cluster=PREPAYMENT_CLUSTER if gsme else None,
                    zcl_command=CHANGE_DEBT if gsme else None,
                    debt_amount_type=DEBT_AMOUNT_TYPE[register] if gsme else None,
                    zcl_recovery_method=int(RECOVERY_METHOD[register]) if gsme else None,
                    zcl_frequency=int(RESET_FREQUENCY) if gsme else None,
                    zcl_recovery_amount=RESET_RECOVERY_AMOUNT if gsme else None,
                    zcl_balance_percentage=RESET_BALANCE_PERCENTAGE if gsme else None,
                    zcl_recovery_start_time=RESET_RECOVERY_START_TIME if gsme else None,
                    zcl_collection_time=RESET_COLLECTION_TIME if gsme else None,
                    dlms_class_id=None if gsme else CHARGE_CLASS_ID,
                    dlms_obis=None if gsme else CHARGE_OBIS[register],
                    dlms_method=None if gsme else int(ChargeMethod.SET_TOTAL_AMOUNT_REMAINING),
                    value=RESET_VALUE,
                    provisional=PROVISIONAL_FIELDS,
                    provenance=provenance,
                )
            )
    meta = {
        "service_reference": RESET_DEBT_REGISTER,
        "service_request_name": SERVICE_REQUEST_NAME,
        "generated_by": "tools/make_catalogue.py",
        "derived_from": ", ".join(REFERENCE_FILES),
        "status": "provisional: service reference, use case codes and message codes are "
        "proposals of this workbook, not allocated by DCC or the GBCS",
    }
    return Catalogue(CATALOGUE_VERSION, tuple(entries), tuple(sorted(meta.items())))
