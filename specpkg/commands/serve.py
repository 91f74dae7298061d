"""``specpkg serve``: the SECMP0002 test service over the DCC's HTTP interface (issue 20)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "serve"
HELP = ("Serve the Reset Debt Register over DCC Boxed's HTTP paths (/api/v1/serviceT, "
        "serviceS, serviceD) on the workbook's DCC model.")
DEFAULT_RECEIVER = "http://127.0.0.1:8080/smartdcc/duis"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8079,
                        help="port (default 8079, as DCC Boxed; 0: a free port)")
    parser.add_argument("--config", type=Path, default=None,
                        help="TOML configuration (default: the built-in one, see "
                             "--print-config)")
    parser.add_argument("--keys", type=Path, action="append", default=[],
                        help="a key store folder to add (may be given several times)")
    parser.add_argument("--receiver", default=DEFAULT_RECEIVER,
                        help="Receive Response Service address of every User the "
                             f"configuration gives none (default {DEFAULT_RECEIVER})")
    parser.add_argument("--database", type=Path, default=None,
                        help="the SQLite store (default: the configuration's)")
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request")
    parser.add_argument("--print-config", action="store_true",
                        help="print the built-in configuration and exit")


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import logging

    import uvicorn

    from specpkg.service.app import build_app
    from specpkg.service.config import DEFAULT_TOML, load_config
    from specpkg.service.core import Service
    from specpkg.service.runner import listening_socket

    if args.print_config:
        sys.stdout.write(DEFAULT_TOML)
        return 0
    config = load_config(args.config).with_keys(args.keys).with_receiver(args.receiver)
    if args.database is not None:
        config = dataclasses.replace(config, database=args.database)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    service = Service(config)
    sock = listening_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]

    def say(text: str) -> None:
        print(f"specpkg serve: {text}", file=sys.stderr, flush=True)

    say(f"DCC test service on http://{host}:{port} (store {config.database}, "
        f"{service.replayed} journal entries replayed)")
    say(f"responses are signed by the DCC certificate {service.signer_id} "
        f"({service.keys_dir / (service.signer_id.lower() + '-ds.pem')}): validate with it")
    for user in config.users:
        state = service.refused_users.get(user.user_id, "admitted")
        say(f"User {user.user_id} ({user.role}): {state}; receiver {user.receiver}")
    for device in config.devices:
        where = f" on Test CH {device.comms_hub}, {device.version}, {device.mode}" \
            if device.is_meter else ""
        say(f"device {device.device_id} {device.device_type}{where}")
    server = uvicorn.Server(uvicorn.Config(build_app(service), log_level="info",
                                           access_log=args.access_log))
    try:
        server.run(sockets=[sock])
    finally:
        service.close()
    return 0
