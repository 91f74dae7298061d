"""The test service over HTTP: full Critical flows per second, latency, and the crypto limit.

    python -m benchmarks.bench_service [--seconds S] [--users 1,16,64] [--load N]

A flow is what a User System does for one reset: command variant 4 to
``/api/v1/serviceT``, correlate and sign the Pre-Command, command variant 5 to
``/api/v1/serviceS`` (I99), and the asynchronous Service Response received and
checked at its receiver. The service runs as ``specpkg serve`` in its own process
(a configuration the benchmark writes: one test Supplier and one ESME per concurrent
User, keys issued by the project's test CA into a temporary key store folder added
with ``--keys``); the Users are threads of this process, each with its own counter.

Printed: flows/s and p50/p99 latency at each number of concurrent Users (target:
>= 200 flows/s with p99 < 100 ms at 16 Users); the ECDSA signatures and
verifications one flow needs (counted in process, all parties: User, DCC, meter) and
the limit they set, from ``openssl speed ecdsap256`` measured in the same run; with
``--load N`` a run of N flows mixing successes, refusals, quarantines, releases and
rejects, checked so that every request has exactly one outcome. Figures only: no
timed test asserts them.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specpkg.duis.codes import ResponseCode
from specpkg.paths import PKI_DIR, REPO_DIR
from specpkg.service.client import XML_HEADERS, Receiver, UserSystem
from specpkg.system.variants import ch_combinations

BENCH_USER = "90B3D51F3100{:04X}"
BENCH_ESME = "00DB12345679{:04X}"
TARGET_FLOWS, TARGET_P99_MS = 200, 100


def issue_keys(folder: Path, users: int) -> None:
    """A test Supplier and an ESME per bench User, certified by the project's test CA."""
    spec = importlib.util.spec_from_file_location("make_test_pki",
                                                  REPO_DIR / "tools" / "make_test_pki.py")
    pki = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pki)
    ca = serialization.load_pem_private_key((PKI_DIR / "test-ca.key").read_bytes(), None)
    for n in range(users):
        supplier = BENCH_USER.format(n).lower()
        pki.ROLES[supplier] = 0x02
        for entity in (supplier, BENCH_ESME.format(n).lower()):
            for usage in ("ds", "ka"):
                key = ec.generate_private_key(ec.SECP256R1())
                (folder / f"{entity}-{usage}.key").write_bytes(key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption()))
                cert = pki._certificate(entity, usage, key, ca, pki.CA_NAME)
                (folder / f"{entity}-{usage}.pem").write_bytes(
                    cert.public_bytes(serialization.Encoding.PEM))


def write_config(path: Path, users: int, keys: Path, database: Path, receiver: str) -> None:
    hubs = [c.code for c in ch_combinations()]
    lines = ["[service]", f'database = "{database}"',
             f'keys = ["{PKI_DIR}", "{keys}"]', "clock_step_seconds = 1", "",
             "[delivery]", "first_retry_seconds = 0.05", "max_retry_seconds = 1.0",
             "max_attempts = 50", ""]
    for n in range(users):
        lines += ["[[users]]", f'id = "{BENCH_USER.format(n)}"', 'role = "IS"',
                  f'receiver = "{receiver}"', "",
                  "[[devices]]", f'id = "{BENCH_ESME.format(n)}"', 'type = "ESME"',
                  f'user = "{BENCH_USER.format(n)}"', f'comms_hub = "{hubs[n % len(hubs)]}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def openssl_speed(seconds: int = 3) -> tuple[float, float] | None:
    """ECDSA P-256 (sign/s, verify/s) by ``openssl speed`` on this machine, one core."""
    if shutil.which("openssl") is None:
        return None
    done = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "ecdsap256"],
                          capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if "nistp256" in line:
            fields = re.split(r"\s+", line.strip())
            return float(fields[-2]), float(fields[-1])
    return None


def crypto_per_flow(flows: int = 20) -> Counter:
    """ECDSA operations of one flow, every party counted (service in process)."""
    import dataclasses

    import signxml

    from specpkg.duis import reset_request, xmldsig
    from specpkg.gbcs import security
    from specpkg.service.app import start
    from specpkg.service.config import load_config

    counts: Counter = Counter()
    spent: Counter = Counter()
    sign, verify, key_sign = security.sign, security.verify, xmldsig._DeterministicKey.sign

    class CountingVerifier(signxml.XMLVerifier):
        def verify(self, *args, **kwargs):
            counts["XML verify"] += 1
            began = time.perf_counter()
            try:
                return super().verify(*args, **kwargs)
            finally:
                spent["XML verify"] += time.perf_counter() - began

    def gbcs_sign(*args):
        counts["GBCS sign"] += 1
        return sign(*args)

    def gbcs_verify(*args):
        counts["GBCS verify"] += 1
        return verify(*args)

    def xml_sign(self, *args, **kwargs):
        counts["XML sign"] += 1
        return key_sign(self, *args, **kwargs)

    real_sign_enveloped = xmldsig.sign_enveloped

    def sign_enveloped(*args, **kwargs):
        began = time.perf_counter()
        try:
            return real_sign_enveloped(*args, **kwargs)
        finally:
            spent["XML sign"] += time.perf_counter() - began

    with tempfile.TemporaryDirectory() as tmp:
        receiver = Receiver().start()
        config = dataclasses.replace(load_config(), database=Path(tmp) / "c.sqlite")
        service, server = start(config.with_receiver(receiver.url))
        user = UserSystem("90B3D51F30010000", server.url, receiver, counter=1)
        security.sign, security.verify = gbcs_sign, gbcs_verify
        xmldsig._DeterministicKey.sign, xmldsig.XMLVerifier = xml_sign, CountingVerifier
        reset_request.sign_enveloped = sign_enveloped
        try:
            for n in range(flows):
                assert user.reset("ESME", ("TimeDebtRegister1", "PaymentDebtRegister")[n % 2],
                                  "00DB1234567890A0").code == ResponseCode.SUCCESS.value
        finally:
            security.sign, security.verify = sign, verify
            xmldsig._DeterministicKey.sign, xmldsig.XMLVerifier = key_sign, signxml.XMLVerifier
            reset_request.sign_enveloped = real_sign_enveloped
            user.close()
            server.stop()
            service.close()
            receiver.stop()
    for name in ("XML sign", "XML verify"):
        print(f"   {name}: {spent[name] / counts[name] * 1000:.2f} ms each (signxml, whole "
              "document: c14n, digest, ECDSA)")
    return Counter({k: v / flows for k, v in counts.items()})


class Bench:
    """The service in its own process, and the Users' shared receiver here."""

    def __init__(self, users: int, tmp: Path) -> None:
        self.users = users
        keys = tmp / "keys"
        keys.mkdir()
        issue_keys(keys, users)
        self.keys = tmp / "store"
        self.receiver = Receiver(keys_dir=_merged(keys, self.keys)).start()
        config = tmp / "service.toml"
        write_config(config, users, keys, tmp / "state.sqlite", self.receiver.url)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "specpkg", "serve", "--port", "0", "--config", str(config)],
            stderr=subprocess.PIPE, text=True, cwd=REPO_DIR)
        line = ""
        while "startup complete" not in line:
            line = self.process.stderr.readline()
            match = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
            if match:
                self.url = match.group(1)
            if self.process.poll() is not None:
                raise SystemExit("the service did not start")
        threading.Thread(target=self.process.stderr.read, daemon=True).start()
        self.clients = [UserSystem(BENCH_USER.format(n), self.url, self.receiver,
                                   keys_dir=self.keys, counter=1) for n in range(users)]

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.process.terminate()
        self.process.wait(30)
        self.receiver.stop()

    def run(self, sessions: int, seconds: float) -> tuple[int, list[float], float]:
        """``sessions`` Users each doing flows for ``seconds``: (flows, latencies, elapsed)."""
        latencies: list[float] = []
        bad: list[str] = []
        stop = time.perf_counter() + seconds

        def session(n: int) -> None:
            client = self.clients[n]
            while time.perf_counter() < stop:
                began = time.perf_counter()
                exchange = client.reset("ESME", "TimeDebtRegister1", BENCH_ESME.format(n))
                latencies.append(time.perf_counter() - began)
                if exchange.code != ResponseCode.SUCCESS.value:
                    bad.append(f"{exchange.request_id}: {exchange.code}")

        began = time.perf_counter()
        threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if bad:
            raise SystemExit(f"{len(bad)} flows did not succeed, e.g. {bad[0]}")
        return len(latencies), latencies, time.perf_counter() - began

    def load(self, flows: int) -> Counter:
        """``flows`` requests of mixed kinds; every one must end in exactly one outcome."""
        quarantining = [n for n in range(self.users) if n % 8 == 7]
        admin = httpx.Client(base_url=self.url, timeout=30)
        for n in quarantining:
            admin.put(f"/admin/thresholds/{BENCH_USER.format(n)}", json=[
                {"service_reference": "2.4", "kind": "volume", "window_seconds": 1,
                 "limit": 0}]).raise_for_status()
        outcomes: Counter = Counter()
        lock = threading.Lock()
        done = iter(range(flows))

        def one(n: int, i: int) -> str:
            client = self.clients[n]
            if i % 20 == 3:  # a tampered request: refused synchronously
                _, xml = client.user.request("ESME", "TimeDebtRegister2",
                                                   BENCH_ESME.format(n))
                xml = xml.replace(b"TimeDebtRegister2", b"TimeDebtRegister1")
                reply = admin.post("/api/v1/serviceT", content=xml, headers=XML_HEADERS)
                return f"refused {client._read(reply.content).code}"
            if i % 20 == 11:  # another Supplier's device: refused
                other = BENCH_ESME.format((n + 1) % self.users)
                return f"refused {client.reset('ESME', 'PaymentDebtRegister', other).code}"
            exchange = client.reset("ESME", "TimeDebtRegister1", BENCH_ESME.format(n))
            if exchange.alerts and exchange.code is None:
                action = "release" if i % 2 else "reject"
                client.decide(exchange, action)
                client.await_answer(exchange)
                return f"quarantined, {action}ed by the User: {exchange.code}".replace("ee", "e")
            return f"answered {exchange.code}"

        def session(n: int) -> None:
            for i in done:
                result = one(n, i)
                with lock:
                    outcomes[result] += 1

        threads = [threading.Thread(target=session, args=(n,)) for n in range(self.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        status = admin.get("/admin/status").json()
        admin.close()
        responses = [sum(d.body != "DCCAlertMessage" for d, _ in v)
                     for v in self.receiver.messages.values()]
        print(f"   service status: {status}")
        print(f"   receiver: {sum(responses)} Service Responses for {len(responses)} requests "
              f"(each exactly one: {set(responses) == {1}}), "
              f"{len(self.receiver.refused)} refused")
        if set(responses) != {1} or status["requests"].keys() - {"answered"}:
            raise SystemExit("a request with no or several Service Responses")
        return outcomes


def _merged(*folders: Path) -> Path:
    """The bench's keys and the project's test PKI in one folder (for the Users)."""
    from specpkg.service.core import key_store

    target = folders[-1]
    return key_store((PKI_DIR, *folders[:-1]), target)


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per concurrency level")
    parser.add_argument("--users", default="1,16,64", help="concurrency levels")
    parser.add_argument("--load", type=int, default=0, help="flows of the mixed load run")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.users.split(",")]
    speed = openssl_speed()
    per_flow = crypto_per_flow()
    signs = per_flow["XML sign"] + per_flow["GBCS sign"]
    verifies = per_flow["XML verify"] + per_flow["GBCS verify"]
    print("   ECDSA per flow: " + ", ".join(f"{k} {v:g}" for k, v in sorted(per_flow.items()))
          + f" = {signs:g} signatures, {verifies:g} verifications")
    if speed:
        limit = 1 / (signs / speed[0] + verifies / speed[1])
        print(f"   openssl speed ecdsap256: {speed[0]:,.0f} sign/s, {speed[1]:,.0f} verify/s "
              f"(one core): crypto limit {limit:,.0f} flows/s per core")
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(max([*levels, 8 if args.load else 1]), Path(tmp))
        try:
            bench.run(1, 1.0)  # warm up
            for sessions in levels:
                flows, latencies, elapsed = bench.run(sessions, args.seconds)
                rate = flows / elapsed
                p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
                mark = ("meets" if rate >= TARGET_FLOWS and p99 < TARGET_P99_MS
                        else "below") if sessions == 16 else ""
                print(f"   {sessions:3d} concurrent Users: {flows:6d} flows in {elapsed:5.1f} s"
                      f" = {rate:7.1f} flows/s, p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"
                      + (f" ({mark} the target {TARGET_FLOWS}/s, p99 < {TARGET_P99_MS} ms)"
                         if mark else ""))
            if args.load:
                began = time.perf_counter()
                outcomes = bench.load(args.load)
                elapsed = time.perf_counter() - began
                total = sum(outcomes.values())
                print(f"   load run: {total} requests in {elapsed:.0f} s, each with one outcome:")
                for name, count in sorted(outcomes.items()):
                    print(f"     {count:6d}  {name}")
                if total != args.load:
                    raise SystemExit(f"{args.load - total} requests without an outcome")
        finally:
            bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
