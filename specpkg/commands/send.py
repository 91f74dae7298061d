"""``specpkg send``: a User System that sends one reset to a DCC test service over HTTP."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "send"
HELP = ("Send one Reset Debt Register over HTTP (command variants 4 then 5), correlate and "
        "sign the Pre-Command, and wait at a local receiver for the Service Response.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from specpkg.duis.reset_request import DEFAULT_USER_ID
    from specpkg.duis.responses import DCC_SIGNER_ID
    from specpkg.paths import PKI_DIR

    parser.add_argument("--device", required=True, help="ESME or GSME")
    parser.add_argument("--register", required=True,
                        help="TimeDebtRegister1, TimeDebtRegister2 or PaymentDebtRegister")
    parser.add_argument("--to", required=True, help="the DCC's base URL, e.g. "
                                                    "http://127.0.0.1:8079")
    parser.add_argument("--user-id", default=DEFAULT_USER_ID, help="User ID (16 hex digits)")
    parser.add_argument("--device-id", default=None,
                        help="Device ID (default: the test ESME or GSME)")
    parser.add_argument("--counter", type=int, default=None,
                        help="first RequestID counter (default: milliseconds since 1970)")
    parser.add_argument("--keys", type=Path, default=PKI_DIR,
                        help="the User's keys and the DCC's certificate")
    parser.add_argument("--dcc-signer", default=DCC_SIGNER_ID,
                        help="entity id of the DCC certificate the responses are signed with")
    parser.add_argument("--listen", default="127.0.0.1:8080",
                        help="HOST:PORT of this User's receiver (its path /smartdcc/duis)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for the asynchronous Service Response")
    parser.add_argument("--show", action="store_true", help="print every message")


def run(args: argparse.Namespace) -> int:
    from specpkg.duis.codes import ResponseCode
    from specpkg.errors import ValidationError
    from specpkg.meter.registers import parse_device, parse_register
    from specpkg.service.client import Receiver, UserSystem

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise ValidationError("listen", f"give HOST:PORT, got {args.listen!r}")
    device, register = parse_device(args.device), parse_register(args.register)
    receiver = Receiver(keys_dir=args.keys, dcc_signer=args.dcc_signer).start(host, int(port))
    user = UserSystem(args.user_id, args.to, receiver, keys_dir=args.keys,
                      dcc_signer=args.dcc_signer, counter=args.counter, timeout=args.timeout)
    try:
        exchange = user.reset(device, register, args.device_id)
    finally:
        user.close()
        receiver.stop()
    for label, data in exchange.messages:
        print(f"{label}: {len(data)} bytes")
        if args.show:
            print(data.decode("utf-8", "replace"))
    for alert in exchange.alerts:
        print(f"DCC Alert: quarantined, event {alert.quarantine_ref}: release or reject it "
              f"at {args.to}/admin/quarantine/{exchange.request_id}/release|reject")
    print(f"{exchange.request_id}: {exchange.code or 'no Service Response yet'} "
          f"({exchange.outcome or 'pending'})")
    return 0 if exchange.code == ResponseCode.SUCCESS.value else 1
