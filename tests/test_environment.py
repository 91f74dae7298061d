"""pyproject.toml, environment.yml and requirements.lock pin the same versions."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from specpkg.paths import REPO_DIR


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(specs: list[str]) -> dict[str, str]:
    pins = {}
    for spec in specs:
        req = Requirement(spec)
        (only,) = req.specifier
        assert only.operator == "==", f"{spec} is not an exact pin"
        pins[_norm(req.name)] = only.version
    return pins


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    return _pins(specs)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((REPO_DIR / "environment.yml").read_text())
    (pip_section,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    return _pins([s for s in pip_section if not s.startswith("-e")])


def _lock() -> dict[str, str]:
    lines = (REPO_DIR / "requirements.lock").read_text().splitlines()
    return _pins([line for line in lines if line.strip() and not line.startswith("#")])


def test_environment_yml_matches_pyproject() -> None:
    assert _environment() == _pyproject()


def test_lock_pins_every_direct_dependency_at_the_same_version() -> None:
    lock = _lock()
    for name, version in _pyproject().items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


def test_python_version_agrees() -> None:
    env = yaml.safe_load((REPO_DIR / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
