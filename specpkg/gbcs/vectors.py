"""The RTDS 4.5.0 reference vectors of SR 2.3 (ECS07, GCS04), read from
``../shared/reference/rtds`` and never copied into the project (SR-1, SR-2)."""

from __future__ import annotations

from pathlib import Path

from specpkg.paths import require_reference


def vector_files(reference: Path | None = None) -> dict[str, Path]:
    """Vector name (e.g. ``GCS04_SUCCESS_COMMAND``) -> hex file."""
    root = (reference or require_reference()) / "rtds"
    out = {}
    for path in sorted(root.glob("*/*.HEX")):
        use_case, _sr, outcome, kind, *_ = path.stem.split("_")
        out[f"{use_case}_{outcome}_{kind}"] = path
    return out


def load_vectors(reference: Path | None = None) -> dict[str, bytes]:
    """Vector name -> message bytes."""
    return {
        name: bytes.fromhex("".join(path.read_text().split()))
        for name, path in vector_files(reference).items()
    }
