"""Devices on the Users' test SMSs: their own meters and the DCC's stubs (TR-8, TR-9)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest
from envkit import DAY, ESME_ID, GSME_ID, U1, U2, esme, gsme, make_env

from specpkg.errors import ValidationError
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import Device
from specpkg.meter.simulation import example_meter
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.meters import MeterStub
from specpkg.system.variants import (
    PRE_RELEASE,
    RELEASE,
    ChVariant,
    MeterVersion,
    TestCommsHub,
    ch_combinations,
    load_ch_variants,
)
from specpkg.testing.devices import (
    DeviceClass,
    DeviceOrigin,
    DeviceType,
    MeterStubFactory,
    TestDevice,
    han_devices,
)
from specpkg.testing.environment import TestEnvironment, TestUser
from specpkg.testing.scenarios import SR23_VALUES, update_debt


def setup_user(env: TestEnvironment, user_id: str = U1, role: str = "IS") -> str:
    env.register_user(TestUser(user_id, "Supplier", role))
    return env.issue_comms_hub(user_id, env.comms_hubs[0].code, DAY).sms_id


class CountingFactory(MeterStubFactory):
    """The DCC's stub factory, counting the stubs it makes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.made: list[str] = []

    def __call__(self, device: TestDevice) -> MeterStub:
        self.made.append(device.device_id)
        return super().__call__(device)


class AcmeEsme(MeterStub):
    """A User's own ESME: its own firmware, its own answers (it logs every command)."""

    firmware = "ACME-ESME 4.2.1"


def acme(version: MeterVersion, device_id: str = ESME_ID) -> AcmeEsme:
    """The User commissioned its own meter: it trusts the User as its Supplier."""
    return AcmeEsme(device_id, Device.ESME, example_meter("ESME"), Keys(PKI_DIR), version,
                    supplier=U1)


# ----------------------------------------------------------------- TR-8 what a Device is


@pytest.mark.parametrize(("device_class", "kind"), [
    ("PPMID", "Type 1"), ("HCALCS", "Type 1"), ("IHD", "Type 2"), ("CAD", "Type 2"),
    ("ESME", "Smart Meter"), ("GSME", "Smart Meter"),
])
def test_tr8_type_1_holds_credentials_type_2_none_and_a_meter_is_neither(device_class, kind):
    """SEC Section A: Type 1 and Type 2 Devices are the HAN Devices other than the smart
    meters (and the CHF and GPF); Type 1 hold Device Security Credentials, Type 2 none.
    The environment enforces it: a Device of the wrong credentials is refused, naming
    its kind."""
    version = RELEASE if kind == "Smart Meter" else None
    holds = kind != "Type 2"
    device = TestDevice("0011223344556677", device_class, holds, version)
    assert device.device_type.value == kind
    with pytest.raises(ValidationError) as info:
        TestDevice("0011223344556677", device_class, not holds, version)
    assert info.value.field == "has_security_credentials"
    assert f"is a {kind} Device" in info.value.reason


def test_tr8_han_devices_table_takes_each_kind_from_the_model():
    """data/han/han_devices.csv types no Device kind: the model adds it, the CHF and GPF
    as neither Type 1 nor Type 2, like the meters (disagreement 5 of issue 19)."""
    kinds = {row["device"]: row["device_type"] for row in han_devices()}
    assert kinds["CHF"] == kinds["GPF"] == DeviceType.COMMS_HUB.value
    assert {d for d, k in kinds.items() if k == DeviceType.TYPE_1.value} == {"PPMID", "HCALCS"}
    assert {d for d, k in kinds.items() if k == DeviceType.TYPE_2.value} == {"IHD", "CAD"}
    assert {c.value: c.device_type.value for c in DeviceClass}.items() <= kinds.items()


@pytest.mark.parametrize(
    ("device_class", "credentials", "version", "field"),
    [
        ("ESME", False, RELEASE, "has_security_credentials"),
        ("PPMID", False, None, "has_security_credentials"),
        ("IHD", True, None, "has_security_credentials"),
        ("ESME", True, None, "meter_version"),
        ("IHD", False, RELEASE, "meter_version"),
        ("CHF", True, None, "device_class"),
        ("GPF", True, None, "device_class"),
    ],
)
def test_tr8_wrong_device_descriptions_refused(device_class, credentials, version, field):
    with pytest.raises(ValidationError) as info:
        TestDevice("0011223344556677", device_class, credentials, version)
    assert info.value.field == field


def test_tr8_bad_device_id_refused():
    with pytest.raises(ValidationError):
        TestDevice("00-11", DeviceClass.IHD, False)


@pytest.mark.parametrize(("make", "field"), [
    (lambda: TestDevice(ESME_ID, "ESME", True, RELEASE, "v1", acme(RELEASE)), "meter_version"),
    (lambda: TestDevice(ESME_ID, "ESME", True, firmware="v1", meter=object()), "meter"),
    (lambda: TestDevice(GSME_ID, "ESME", True, firmware="v1", meter=acme(RELEASE)), "meter"),
    (lambda: TestDevice(ESME_ID, "GSME", True, firmware="v1", meter=acme(RELEASE)), "meter"),
    (lambda: TestDevice(ESME_ID, "ESME", True, meter=acme(RELEASE)), "firmware"),
    (lambda: TestDevice("0011223344556677", "IHD", False, meter=acme(RELEASE)), "meter_version"),
])
def test_tr8_a_users_own_meter_must_be_the_device_it_is_added_as(make, field):
    with pytest.raises(ValidationError) as info:
        make()
    assert info.value.field == field


# ----------------------------------------------------------------- TR-8 adding Devices


def test_tr8_user_adds_type_1_and_type_2_devices():
    env = make_env()
    sms = setup_user(env)
    env.add_device(U1, sms, esme(), DAY)
    env.add_device(U1, sms, TestDevice("0011223344556677", "PPMID", True), DAY)
    env.add_device(U1, sms, TestDevice("0011223344556678", "IHD", False), DAY)
    system = env.systems[sms]
    assert [d.device_type for d in system.devices] == [
        DeviceType.SMART_METER, DeviceType.TYPE_1, DeviceType.TYPE_2]
    assert set(system.stubs) == {ESME_ID} and set(system.hub.devices) == {ESME_ID}


@pytest.mark.parametrize(("version", "code"), [(PRE_RELEASE, "E921"), (RELEASE, "I0")])
def test_tr8_a_users_own_meter_answers_as_it_is(version, code):
    """TR-8 vs TR-9b: the meter a User brings is wired to the CH and the DCC as it is:
    the DCC makes no stub for it, and its own firmware decides the answer."""
    factory = CountingFactory()
    env = make_env(stub_factory=factory)
    sms = setup_user(env)
    own = acme(version)
    device = TestDevice(ESME_ID, "ESME", True, firmware=own.firmware, meter=own)
    env.add_device(U1, sms, device, DAY)
    assert factory.made == [] and device.origin is DeviceOrigin.USER
    assert env.stub(ESME_ID) is own and env.systems[sms].hub.devices == {ESME_ID: Device.ESME}
    assert env.dcc.registrations[ESME_ID].supplier_id == U1
    result = env.testbed(U1, sms).run("ESME", "TimeDebtRegister1")
    assert result.response_code == code
    assert own.log and (own.state.time_debt_1 == 0) is (code == "I0")


def test_tr8_own_meters_and_the_dccs_stubs_side_by_side():
    factory = CountingFactory()
    env = make_env(stub_factory=factory)
    mine = setup_user(env)
    own = acme(RELEASE)
    env.add_device(U1, mine, TestDevice(ESME_ID, "ESME", True, firmware="v4", meter=own), DAY)
    stubbed = setup_user(env, U2, "GS")
    env.add_device(U2, stubbed, gsme(PRE_RELEASE), DAY)
    assert factory.made == [GSME_ID]
    assert [d.origin for s in env.systems.values() for d in s.devices] == [
        DeviceOrigin.USER, DeviceOrigin.DCC_STUB]
    assert env.stub(GSME_ID).meter_version == PRE_RELEASE and env.stub(ESME_ID) is own


def test_tr8_wrong_combinations_refused():
    env = make_env()
    sms_is = setup_user(env, U1, "IS")
    sms_gs = setup_user(env, U2, "GS")
    env.add_device(U1, sms_is, esme(), DAY)
    with pytest.raises(ValidationError, match="already has a ESME"):
        env.add_device(U1, sms_is, esme(device_id="00DB1234567890B0"), DAY)
    with pytest.raises(ValidationError, match=f"not a test SMS of {U2}"):
        env.add_device(U2, sms_is, TestDevice("0011223344556678", "IHD", False), DAY)
    with pytest.raises(ValidationError, match="already in use"):
        env.add_device(U2, sms_gs, TestDevice(ESME_ID, "PPMID", True), DAY)
    env.add_device(U2, sms_gs, gsme(), DAY)
    assert [d.device_class for d in env.systems[sms_gs].devices] == [DeviceClass.GSME]


@pytest.mark.parametrize(("user", "role", "own", "other"), [
    (U2, "GS", gsme(), esme()), (U1, "IS", esme(), gsme())])
def test_tr8_a_supplier_adds_the_other_fuels_meter_only_to_its_dual_fuel_sms(user, role, own,
                                                                           other):
    """Decided: a Supplier may add the other fuel's meter only beside its own (a dual-fuel
    premises); the DCC then refuses it a reset of that meter (E915, SR-3) and resets its
    own (I0)."""
    env = make_env()
    sms = setup_user(env, user, role)
    with pytest.raises(ValidationError, match="dual-fuel test SMS that already holds"):
        env.add_device(user, sms, other, DAY)
    env.add_device(user, sms, own, DAY)
    env.add_device(user, sms, other, DAY)
    assert env.dcc.registrations[other.device_id].role == role
    bed = env.testbed(user, sms)
    assert bed.run(other.device_class.value, "TimeDebtRegister1").response_code == "E915"
    assert bed.run(own.device_class.value, "TimeDebtRegister1").response_code == "I0"


@pytest.mark.parametrize(("role", "user", "code"), [
    ("ES", "90B3D51F30030000", "E915"), ("ED", "90B3D51F30040000", "E919"),
    ("GT", "90B3D51F30050000", "E919"), ("RSA", "90B3D51F30060000", "E919"),
    ("OU", "90B3D51F30070000", "E919")])
def test_f8_ma6_other_roles_let_in_are_refused_by_the_dcc(role, user, code):
    """With MA-6 (open to all roles) a User of another role adds any meter and sends a
    reset: the DCC refuses it, by access control (E915, an Export Supplier's Supplier
    certificate) or at intake (E919, not a Supplier certificate)."""
    env = make_env(model=Assumptions(open_to_all_roles=True))
    sms = setup_user(env, user, role)
    env.add_device(user, sms, esme(), DAY)
    result = env.testbed(user, sms).run("ESME", "TimeDebtRegister1")
    assert result.response_code == code and result.before is None


# ----------------------------------------------------------------- TR-9a Test CHs


def test_tr9a_a_test_ch_for_every_han_wan_combination():
    variants = load_ch_variants()
    hans = {v.code for v in variants if v.kind == "HAN"}
    wans = {v.code for v in variants if v.kind == "WAN"}
    assert len(hans) >= 2 and len(wans) >= 2
    hubs = ch_combinations(variants)
    assert {(h.han.code, h.wan.code) for h in hubs} == {(a, b) for a in hans for b in wans}
    assert all(v.source and v.timing_source for v in variants)
    assert any(h.uncertain for h in hubs)


def test_tr9a_each_variant_carries_what_matters_to_a_reset():
    """HAN variants say how often a GSME wakes; WAN variants their round-trip target;
    both their one-way transit. A row with the other kind's property is refused."""
    for hub in ch_combinations():
        assert hub.gsme_wake_interval.total_seconds() > 0
        assert hub.round_trip_target.total_seconds() > 0
        assert 2 * (hub.wan.one_way + hub.han.one_way) <= hub.round_trip_target
    han = next(v for v in load_ch_variants() if v.kind == "HAN")
    for change, field in [({"round_trip_target_s": 25}, "round_trip_target_s"),
                          ({"gsme_wake_interval_s": None}, "gsme_wake_interval_s"),
                          ({"one_way_ms": -1}, "one_way_ms"), ({"kind": "LAN"}, "kind")]:
        with pytest.raises(ValidationError) as info:
            dataclasses.replace(han, **change)
        assert info.value.field.endswith(field)
    with pytest.raises(ValidationError):
        TestCommsHub(han, han)


def test_tr9a_unknown_ch_variant_refused():
    env = make_env()
    env.register_user(TestUser(U1, "Supplier", "IS"))
    with pytest.raises(ValidationError):
        env.issue_comms_hub(U1, "HAN-5G/WAN-MOON", DAY)
    assert isinstance(env.comms_hubs[0].han, ChVariant)


# ----------------------------------------------------------------- TR-9b the DCC's stubs


class CountingStub(MeterStub):
    """A meter stub that records the versions made."""

    made: ClassVar[list[str]] = []

    def __post_init__(self):
        super().__post_init__()
        CountingStub.made.append(self.meter_version.stage.value)


def test_tr9b_stub_factory_makes_a_stub_of_each_meter_version():
    CountingStub.made = []
    env = make_env(stub_factory=MeterStubFactory(stub_class=CountingStub))
    sms = setup_user(env)
    env.add_device(U1, sms, esme(PRE_RELEASE), DAY)
    sms2 = env.issue_comms_hub(U1, env.comms_hubs[1].code, DAY).sms_id
    env.add_device(U1, sms2, esme(RELEASE, "00DB1234567890B0"), DAY)
    assert CountingStub.made == ["pre-release", "release"]
    stub = env.systems[sms].stubs[ESME_ID]
    assert isinstance(stub, CountingStub) and not stub.meter_version.supports_reset
    assert env.stub("00-DB-12-34-56-78-90-A0") is stub
    assert env.stub("00DB1234567890B0").meter_version == RELEASE
    with pytest.raises(ValidationError):
        env.stub("FFFFFFFFFFFFFFFF")


@pytest.mark.parametrize("device", list(Device))
def test_tr9b_stubs_emulate_their_version_on_old_and_new_commands(device):
    """A stub of the version before the Release runs Service Request 2.3 (ECS07/GCS04)
    and answers the reset "not supported" (E921, registers kept); one of the Release
    version runs both."""
    answers = {}
    for version in (PRE_RELEASE, RELEASE):
        env = make_env()
        user, role, meter = (U1, "IS", esme(version)) if device is Device.ESME else (
            U2, "GS", gsme(version))
        sms = setup_user(env, user, role)
        env.add_device(user, sms, meter, DAY)
        bed = env.testbed(user, sms)
        old = update_debt(bed, device, SR23_VALUES[device])
        reset = bed.run(device, "PaymentDebtRegister")
        kept = reset.after.payment_debt == reset.before.payment_debt > 0
        answers[version.stage.value] = (old.adjusted and old.response_signed,
                                        reset.response_code, kept)
    assert answers == {"pre-release": (True, "E921", True), "release": (True, "I0", False)}


def test_tr9b_factory_returning_wrong_stub_is_caught():
    class Wrong(MeterStubFactory):
        def __call__(self, device):
            return super().__call__(dataclasses.replace(device, device_id="FFFFFFFFFFFFFFFF"))

    env = make_env(stub_factory=Wrong())
    sms = setup_user(env)
    with pytest.raises(Exception, match="another device"):
        env.add_device(U1, sms, esme(), DAY)
