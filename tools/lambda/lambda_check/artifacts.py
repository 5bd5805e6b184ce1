"""The deployed zips (one aarch64 `bootstrap` each) and the native builds of the same code."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from .expect import expect

EM_AARCH64 = 183


def unpack_zips(names: list[str], lambda_dir: Path, into: Path) -> tuple[dict[str, Path], list[tuple[str, int, int]]]:
    """Each function's bootstrap.zip unpacked on its own; checks it holds one aarch64 executable."""
    binaries, sizes = {}, []
    for name in names:
        archive = lambda_dir / name / "bootstrap.zip"
        expect(archive.is_file(), f"{archive} is missing: did cargo lambda build run?")
        with zipfile.ZipFile(archive) as zipped:
            entries = zipped.infolist()
            expect([e.filename for e in entries] == ["bootstrap"], f"{archive} holds {[e.filename for e in entries]}, expected just bootstrap")
            expect((entries[0].external_attr >> 16) & 0o111 != 0, f"{archive}: bootstrap is not executable in the zip")
            target = into / name
            target.mkdir(parents=True)
            zipped.extract(entries[0], target)
        binary = target / "bootstrap"
        binary.chmod(0o755)
        header = binary.read_bytes()[:20]
        expect(header[:4] == b"\x7fELF", f"{archive}: bootstrap is not an ELF file")
        expect(int.from_bytes(header[18:20], "little") == EM_AARCH64, f"{archive}: bootstrap is not an aarch64 (EM_AARCH64) binary")
        binaries[name] = binary
        sizes.append((name, archive.stat().st_size, binary.stat().st_size))
    return binaries, sizes


def native_binaries(names: list[str], native_dir: Path) -> dict[str, Path]:
    binaries = {}
    for name in names:
        binary = native_dir / name
        expect(binary.is_file() and os.access(binary, os.X_OK), f"{binary} is missing: did cargo build --profile lambda-release run?")
        binaries[name] = binary
    return binaries

