"""Who the test service trusts and what it serves: one TOML file (issue 20).

Trust is configuration, not code. The file names the key store folders (the
Users' XML and GBCS signing certificates and the DCC's own keys, named
``<entity id>-ds.pem`` / ``-ka.pem`` as in ``data/pki``), the Users with their
User Roles and Receive Response Service addresses, and their devices: which
meter, on a Test Communications Hub of which HAN x WAN variant, of which meter
version and payment mode. :data:`DEFAULT_TOML` works out of the box: the test
Import Supplier with the test ESME and the test Gas Supplier with the test GSME,
the DCC's other test devices, the project's test-only PKI.

Example::

    [service]
    database = "build/service/state.sqlite"   # the service's only store
    keys = ["data/pki"]                       # key store folders, later ones add to
    clock = "2019-06-27T12:00:00Z"            # the DCC model's clock at start
    clock_step_seconds = 10                   # advanced per Signed Pre-Command
    signer = "90B3D51F30000003"               # the DCC's XML signing identity

    [delivery]
    first_retry_seconds = 0.2
    max_retry_seconds = 5.0
    max_attempts = 12

    [[users]]
    id = "90B3D51F30010000"
    role = "IS"
    receiver = "http://127.0.0.1:8080/smartdcc/duis"

    [[devices]]
    id = "00DB1234567890A0"
    type = "ESME"
    user = "90B3D51F30010000"
    comms_hub = "HAN-2.4/WAN-N-LRR"
    version = "release"
    mode = "prepayment"

    [[thresholds]]          # optional; otherwise data/thresholds.csv
    user = "90B3D51F30010000"
    service_reference = "2.4"
    kind = "volume"
    window_seconds = 3600
    limit = 500
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from specpkg.anomaly.thresholds import Threshold
from specpkg.duis.reset_request import DEFAULT_CLOCK, TEST_METERS, TEST_OTHER_DEVICES
from specpkg.duis.responses import DCC_SIGNER_ID
from specpkg.errors import ValidationError
from specpkg.gbcs.security import entity_id
from specpkg.meter.registers import Device, PaymentMode
from specpkg.paths import PKI_DIR
from specpkg.system.variants import METER_VERSIONS, ch_combinations
from specpkg.testing.roles import parse_role
from specpkg.testing.testrun import ROLE_USER_IDS

#: DCC Boxed's default path of a User's Receive Response Service.
RECEIVER_PATH = "/smartdcc/duis"
DEFAULT_PORT = 8079
DEFAULT_DATABASE = Path("build") / "service" / "state.sqlite"


@dataclass(frozen=True)
class UserConfig:
    user_id: str
    role: str
    receiver: str | None = None


@dataclass(frozen=True)
class DeviceConfig:
    device_id: str
    device_type: str
    user_id: str | None = None
    comms_hub: str = ""
    version: str = "release"
    mode: str = "prepayment"

    @property
    def is_meter(self) -> bool:
        return self.device_type in {d.value for d in Device}


@dataclass(frozen=True)
class DeliveryConfig:
    first_retry_seconds: float = 0.2
    max_retry_seconds: float = 5.0
    max_attempts: int = 12
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class ServiceConfig:
    users: tuple[UserConfig, ...]
    devices: tuple[DeviceConfig, ...]
    keys: tuple[Path, ...] = (PKI_DIR,)
    database: Path = DEFAULT_DATABASE
    clock: datetime = DEFAULT_CLOCK
    clock_step_seconds: int = 10
    signer_id: str = DCC_SIGNER_ID
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    thresholds: tuple[Threshold, ...] | None = None

    def user(self, user_id: str) -> UserConfig | None:
        key = entity_id(user_id).upper()
        return next((u for u in self.users if u.user_id == key), None)

    def with_receiver(self, url: str) -> ServiceConfig:
        """Every User without a Receive Response Service address gets ``url``."""
        users = tuple(u if u.receiver else replace(u, receiver=url) for u in self.users)
        return replace(self, users=users)

    def with_database(self, path: Path) -> ServiceConfig:
        return replace(self, database=Path(path))

    def with_keys(self, folders: list[Path]) -> ServiceConfig:
        """The key store folders given on the command line, added after the file's."""
        return replace(self, keys=tuple(dict.fromkeys((*self.keys, *map(Path, folders)))))


def _default_toml() -> str:
    hub = ch_combinations()[0].code
    roles = {"ESME": "IS", "GSME": "GS"}
    lines = ["[service]", f'database = "{DEFAULT_DATABASE.as_posix()}"', ""]
    for role in ("IS", "GS"):
        lines += ["[[users]]", f'id = "{ROLE_USER_IDS[parse_role(role)]}"', f'role = "{role}"', ""]
    for device_id, device in TEST_METERS.items():
        user = ROLE_USER_IDS[parse_role(roles[device.value])]
        lines += ["[[devices]]", f'id = "{device_id}"', f'type = "{device.value}"',
                  f'user = "{user}"', f'comms_hub = "{hub}"', ""]
    for device_id, kind in TEST_OTHER_DEVICES.items():
        lines += ["[[devices]]", f'id = "{device_id}"', f'type = "{kind}"', ""]
    return "\n".join(lines)


#: The configuration that works out of the box (written by ``specpkg serve --print-config``).
DEFAULT_TOML = _default_toml()


def _table(data: dict, name: str) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ValidationError(name, "must be a table")
    return value


def parse_config(text: str, *, base: Path | None = None) -> ServiceConfig:
    """A configuration from TOML text; relative paths are taken from ``base``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError("config", f"not valid TOML: {exc}") from None
    base = base or Path.cwd()
    service = _table(data, "service")
    users = tuple(_user(u) for u in data.get("users", []))
    if not users:
        raise ValidationError("users", "configure at least one User")
    devices = tuple(_device(d) for d in data.get("devices", []))
    known = {u.user_id for u in users}
    for device in devices:
        if device.is_meter and device.user_id not in known:
            raise ValidationError("devices", f"meter {device.device_id} names no configured "
                                             f"User ({device.user_id})")
    keys = tuple((base / k) for k in service.get("keys", [])) or (PKI_DIR,)
    thresholds = None
    if "thresholds" in data:
        thresholds = tuple(Threshold(entity_id(t["user"]).upper(), str(t["service_reference"]),
                                     t["kind"], int(t.get("window_seconds", 0)), int(t["limit"]))
                           for t in data["thresholds"])
    clock = service.get("clock", DEFAULT_CLOCK)
    if isinstance(clock, str):
        clock = datetime.fromisoformat(clock.replace("Z", "+00:00"))
    if not isinstance(clock, datetime) or clock.tzinfo is None:
        raise ValidationError("clock", "give a date and time with its offset, e.g. ...Z")
    delivery = DeliveryConfig(**_table(data, "delivery"))
    return ServiceConfig(users, devices, keys, base / service.get("database", DEFAULT_DATABASE),
                         clock, int(service.get("clock_step_seconds", 10)),
                         entity_id(service.get("signer", DCC_SIGNER_ID)).upper(),
                         delivery, thresholds)


def _user(row: dict) -> UserConfig:
    try:
        return UserConfig(entity_id(row["id"]).upper(), parse_role(row["role"]).value,
                          row.get("receiver"))
    except KeyError as exc:
        raise ValidationError("users", f"a User needs {exc.args[0]!r}") from None


def _device(row: dict) -> DeviceConfig:
    try:
        device = DeviceConfig(entity_id(row["id"]).upper(), str(row["type"]),
                              entity_id(row["user"]).upper() if row.get("user") else None,
                              row.get("comms_hub", ch_combinations()[0].code),
                              row.get("version", "release"), row.get("mode", "prepayment"))
    except KeyError as exc:
        raise ValidationError("devices", f"a device needs {exc.args[0]!r}") from None
    if device.is_meter:
        if device.comms_hub not in {c.code for c in ch_combinations()}:
            raise ValidationError("comms_hub", f"no Test CH variant {device.comms_hub!r}")
        if device.version not in {v.stage.value for v in METER_VERSIONS}:
            raise ValidationError("version", f"no meter version {device.version!r}")
        if device.mode not in {m.value for m in PaymentMode}:
            raise ValidationError("mode", f"no payment mode {device.mode!r}")
    return device


def load_config(path: Path | None = None) -> ServiceConfig:
    """The configuration in ``path``, or the default one."""
    if path is None:
        return parse_config(DEFAULT_TOML)
    path = Path(path)
    if not path.is_file():
        raise ValidationError("config", f"no such file: {path}")
    return parse_config(path.read_text(encoding="utf-8"), base=path.parent)
