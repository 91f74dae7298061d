"""Write data/testing/user_roles.csv from the shared reference (TR-4).

    python tools/make_testing_data.py

Reads ``duis-request-matrix.json`` from the reference folder and writes one row
per User Role that occurs in it: its code, its DUIS name and whether it is
eligible to send Service Request 2.3 ("Update Debt"), the Service Request the
new reset command extends. The package then runs without the reference;
``tests/test_testenv.py`` compares the file with the reference when present.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from specpkg.paths import DATA_DIR, require_reference

SERVICE_REFERENCE = "2.3"
OUT = DATA_DIR / "testing" / "user_roles.csv"
# DUIS User Role codes and their names (not in the matrix file, which has codes only).
ROLE_NAMES = {
    "IS": "Import Supplier",
    "ES": "Export Supplier",
    "GS": "Gas Supplier",
    "ED": "Electricity Distributor",
    "GT": "Gas Transporter",
    "RSA": "Registered Supplier Agent",
    "OU": "Other User",
}
ORDER = list(ROLE_NAMES)


def rows_from_matrix(matrix: list[dict]) -> list[dict[str, str]]:
    """One row per role in the matrix, eligibility for SR 2.3 from its row(s)."""
    roles = {role for entry in matrix for role in entry["Eligible User Roles"]}
    unknown = roles - set(ROLE_NAMES)
    if unknown:
        raise SystemExit(f"roles without a name here: {sorted(unknown)}")
    entries = [e for e in matrix if e["Service Reference"] == SERVICE_REFERENCE]
    if not entries:
        raise SystemExit(f"Service Reference {SERVICE_REFERENCE} not in the matrix")
    eligible = {role for e in entries for role in e["Eligible User Roles"]}
    name = entries[0]["Service Request Name"]
    return [
        {
            "role": role,
            "name": ROLE_NAMES[role],
            "service_reference": SERVICE_REFERENCE,
            "service_request_name": name,
            "eligible": "yes" if role in eligible else "no",
        }
        for role in sorted(roles, key=ORDER.index)
    ]


def main() -> int:
    matrix = json.loads((require_reference() / "duis-request-matrix.json").read_text())
    rows = rows_from_matrix(matrix)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {OUT.relative_to(DATA_DIR.parent)} ({len(rows)} roles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
