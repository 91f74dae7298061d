"""Export the new use cases' messages for other tools (issue 4, golden vectors).

For every device x register, files named like the reference test data set:

* ``<USECASE>_<SR>_<REG>_SUCCESS_REQUEST_DUIS.XML``: the signed DUIS request;
* ``..._SUCCESS_PRECOMMAND_GBCS.HEX``, ``..._COMMAND_GBCS.HEX`` (signed by the
  Supplier, MAC'd with the ACB key) and ``..._RESPONSE_GBCS.HEX`` (signed by the
  device, success);
* the same with ``ERROR`` for a request whose reset the meter could not carry
  out (the next counter; the response reports failure).

Every Pre-Command is issued at ``issued_at`` (default: the workbook's fixed clock,
as the DCC's), which the GSME resets carry as their issuer event id, like GCS04 (F-3).

A response needs the device's ds private key: where the key folder has none
(the shared reference keys hold only the devices' certificates) the response
files are left out and ``MANIFEST.csv`` says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from specpkg.duis import reset_request
from specpkg.errors import ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.security import ACB_ENTITY_ID, Keys, entity_id
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import DATA_DIR, output_folder

GOLDEN_DIR = DATA_DIR / "golden"
SHORT = {DebtRegister.TIME_DEBT_1: "TDR1", DebtRegister.TIME_DEBT_2: "TDR2",
         DebtRegister.PAYMENT_DEBT: "PDR"}
DEFAULT_IDS = {"supplier": reset_request.DEFAULT_USER_ID, "acb": ACB_ENTITY_ID.upper(),
               **reset_request.DEFAULT_DEVICE_IDS}
FIRST_COUNTER = 5_000


@dataclass(frozen=True)
class Identities:
    supplier: str = DEFAULT_IDS["supplier"]
    acb: str = DEFAULT_IDS["acb"]
    esme: str = DEFAULT_IDS[Device.ESME]
    gsme: str = DEFAULT_IDS[Device.GSME]

    def __post_init__(self) -> None:
        for name in ("supplier", "acb", "esme", "gsme"):
            object.__setattr__(self, name, entity_id(getattr(self, name)).upper())

    def device(self, device: Device) -> str:
        return self.esme if device is Device.ESME else self.gsme


def _hex(data: bytes) -> str:
    return data.hex().upper() + "\n"


def export(keys_dir: Path, out: Path, ids: Identities | None = None,
           force: bool = False,
           issued_at: datetime = reset_request.DEFAULT_CLOCK) -> list[dict[str, str]]:
    """Write the files; return the manifest rows (one per file or skipped file). A
    non-empty ``out`` is refused unless ``force``."""
    ids = ids or Identities()
    keys = Keys(keys_dir)
    supplier_key = keys.private_key(ids.supplier, "ds")
    acb_key = keys.private_key(ids.acb, "ka")
    if supplier_key is None or acb_key is None:
        raise ValidationError("keys", f"{keys_dir} needs the Supplier ds key and the ACB ka key")
    output_folder(out, force)
    rows: list[dict[str, str]] = []
    counter = FIRST_COUNTER
    for device in Device:
        device_id = ids.device(device)
        device_ka = keys.public_key(device_id, "ka")
        if device_ka is None:
            raise ValidationError("keys", f"no ka certificate for {device.value} {device_id}")
        device_ds = keys.private_key(device_id, "ds")
        for register in DebtRegister:
            entry = reset_messages.entry(device, register)
            for variant, success in (("SUCCESS", True), ("ERROR", False)):
                stem = f"{entry.use_case}_{entry.service_reference}_{SHORT[register]}_{variant}"
                request = reset_request.make_request(device, register, counter,
                                                     user_id=ids.supplier, device_id=device_id)
                pre = reset_messages.pre_command(device, register, ids.supplier, device_id,
                                                 counter, issued_at)
                command = messages.protect(pre, keys, ids.supplier, ids.acb)
                files = {
                    f"{stem}_REQUEST_DUIS.XML": reset_request.request_xml(request,
                                                                          keys_dir=keys_dir),
                    f"{stem}_PRECOMMAND_GBCS.HEX": _hex(messages.encode_apdu(pre)).encode(),
                    f"{stem}_COMMAND_GBCS.HEX": _hex(messages.encode(command)).encode(),
                }
                if device_ds is not None:
                    response = reset_messages.device_response(pre, success)
                    signed_response = messages.encode_apdu(messages.sign_apdu(response,
                                                                              device_ds))
                    files[f"{stem}_RESPONSE_GBCS.HEX"] = _hex(signed_response).encode()
                for name, data in files.items():
                    (out / name).write_bytes(data)
                    rows.append({"file": name, "device": device.value, "register": register.value,
                                 "variant": variant, "counter": str(counter), "note": ""})
                if device_ds is None:
                    rows.append({"file": f"{stem}_RESPONSE_GBCS.HEX", "device": device.value,
                                 "register": register.value, "variant": variant,
                                 "counter": str(counter),
                                 "note": f"not written: no ds private key for {device_id}"})
                counter += 1
    with (out / "MANIFEST.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows
