"""The DCC's own DUIS tools, for the interoperability test of issue 20 (TR-1, TR-5).

A Supplier building against DCC Boxed signs and validates DUIS with the DCC's
published signing tool: npm ``@smartdcc/duis-sign-wrap``, which ships the DCC
Boxed signing tool (``dist/tool.jar``, a Java program: ``...xmldsig.Sign`` and
``...xmldsig.Validate``, each checking the DUIS schema before the signature), and
writes DUIS with npm ``@smartdcc/duis-parser`` (``constructDuis``, lower-case
EUIs). This module installs both at the versions pinned below into
``build/dcc-tools`` and runs them:

* :func:`sign` and :func:`validate` run the tool's Java program with the
  credentials given (its documented arguments: ``Sign message.xml
  [--preserveCounter] [signingcert.pem] [signingkey.key]``, ``Validate message.xml
  [signingcert.pem]``), from a copy of the jar whose DUIS schema (V5.1, which
  predates SR 2.4) has Service Request 2.4 added from the workbook's own schema
  (:func:`specpkg.duis.schema.with_reset_debt_register`); the copy lives only in
  ``build/``;
* :func:`construct_request` writes a reset request with the DCC's DUIS library.

Java and Node come from Debian (``default-jre-headless``, ``nodejs``, ``npm``),
installed when missing and the process runs as root, as the browser is
(:mod:`specpkg.workbook.browser`); :func:`ensure_tools` returns the reason when that
cannot be done. Nothing of the DCC's is committed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from specpkg.duis.schema import with_reset_debt_register
from specpkg.errors import SpecError
from specpkg.paths import BUILD_DIR

#: The npm packages and the versions the test pins.
PACKAGES = {"@smartdcc/duis-sign-wrap": "0.1.2", "@smartdcc/duis-parser": "0.6.0"}
TOOL_DIR = BUILD_DIR / "dcc-tools"
MODULES = TOOL_DIR / "node_modules"
JAR = MODULES / "@smartdcc" / "duis-sign-wrap" / "dist" / "tool.jar"
#: The DUIS schema inside the jar that the tool validates against.
SCHEMA_ENTRY = "DUIS Schema V5.1.xsd"
EXTENDED_JAR = TOOL_DIR / "tool-with-sr-2.4.jar"
TOOL_PACKAGE = "uk.co.smartdcc.boxed.xmldsig"
#: The tool's exit codes (``dist/tool.js`` of the npm package).
EXIT_CODES = {0: "success", 1: "environment error", 2: "application error",
              3: "missing key material", 10: "validation failed"}
DEBIAN = {"java": "default-jre-headless", "node": "nodejs", "npm": "npm"}


class ToolFailed(SpecError, RuntimeError):
    """The DCC's tool refused a document or could not run; its log says why."""


@dataclass(frozen=True)
class ToolRun:
    """One run of the DCC's signing tool."""

    returncode: int
    output: bytes
    log: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def verdict(self) -> str:
        return EXIT_CODES.get(self.returncode, f"exit code {self.returncode}")


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, timeout=900, check=False, **kwargs)


def ensure_tools() -> str | None:
    """Install what is missing (Debian's Java and Node as root; the npm packages) and
    build the extended jar; None when ready, else the reason it cannot be done."""
    missing = [DEBIAN[tool] for tool in DEBIAN if shutil.which(tool) is None]
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            return f"{', '.join(missing)} not installed and apt-get as root is not available"
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", *missing]):
            done = _run(command, env=env, text=True)
            if done.returncode != 0:
                return f"could not install {', '.join(missing)}: {done.stderr.strip()[-300:]}"
    if not JAR.is_file() or not _installed_versions_match():
        TOOL_DIR.mkdir(parents=True, exist_ok=True)
        specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
        done = _run(["npm", "install", "--prefix", str(TOOL_DIR), "--no-audit", "--no-fund",
                     "--no-save", *specs], text=True)
        if done.returncode != 0 or not JAR.is_file():
            return f"could not install {', '.join(specs)}: {done.stderr.strip()[-300:]}"
    if not EXTENDED_JAR.is_file() or EXTENDED_JAR.stat().st_mtime < JAR.stat().st_mtime:
        extend_jar(JAR, EXTENDED_JAR)
    return None


def _installed_versions_match() -> bool:
    for name, version in PACKAGES.items():
        manifest = MODULES / name / "package.json"
        if not manifest.is_file() or json.loads(manifest.read_text()).get("version") != version:
            return False
    return True


def extend_jar(jar: Path, out: Path) -> Path:
    """A copy of the tool's jar whose DUIS schema has Service Request 2.4 added."""
    with zipfile.ZipFile(jar) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == SCHEMA_ENTRY:
                data = with_reset_debt_register(data)
            copy.writestr(entry, data)
    return out


def _java(program: str, xml: bytes, *arguments: str) -> ToolRun:
    done = _run(["java", "-cp", str(EXTENDED_JAR), f"{TOOL_PACKAGE}.{program}", "-",
                 *arguments], input=xml)
    return ToolRun(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def validate(xml: bytes, certificate: Path) -> ToolRun:
    """The tool's check of a signed DUIS document: the DUIS schema (with SR 2.4), then
    the signature with ``certificate``."""
    return _java("Validate", xml, str(certificate))


def sign(xml: bytes, certificate: Path, key: Path) -> bytes:
    """An unsigned DUIS document signed by the tool with ``key`` (its RequestID's counter
    kept); ToolFailed with the tool's log when it refuses."""
    run = _java("Sign", xml, "--preserveCounter", str(certificate), str(key))
    if not run.ok:
        raise ToolFailed(f"the DCC's signing tool: {run.verdict}: {run.log.strip()[-600:]}")
    return run.output


_CONSTRUCT = """
const p = require('@smartdcc/duis-parser');
const a = JSON.parse(process.argv[1]);
process.stdout.write(p.constructDuis('simplified', {header: {type: 'request',
  requestId: {originatorId: a.originator, targetId: a.target, counter: BigInt(a.counter)},
  commandVariant: a.variant, serviceReference: a.service, serviceReferenceVariant: a.service},
  body: {ResetDebtRegister: {[a.register]: ''}}}, a.version));
"""


def construct_request(originator: str, target: str, counter: int, register: str, *,
                      service: str, version: str, variant: int = 4) -> bytes:
    """An unsigned reset request written by the DCC's DUIS library (``constructDuis``:
    EUIs as given, lower case in its own examples)."""
    arguments = json.dumps({"originator": originator, "target": target, "counter": str(counter),
                            "register": register, "service": service, "version": version,
                            "variant": variant})
    done = _run(["node", "-e", _CONSTRUCT, arguments], cwd=TOOL_DIR,
                env={**os.environ, "NODE_PATH": str(MODULES)})
    if done.returncode != 0:
        raise ToolFailed(f"duis-parser: {done.stderr.decode('utf-8', 'replace')[-600:]}")
    return done.stdout
