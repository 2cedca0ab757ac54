"""Shared fixtures: the repository's shipped scenarios and the CLI binary to compare with.

The CLI is `target/release/ancillary` at the repository root (`cargo build --release`), or the
binary named by ANCILLARY_BIN.
"""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "scenarios").glob("*/scenario.toml"))


def cli_path() -> Path:
    return Path(os.environ.get("ANCILLARY_BIN", ROOT / "target" / "release" / "ancillary"))


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI; returns the completed process (stdout and stderr as text)."""
    binary = cli_path()
    if not binary.is_file():
        pytest.fail(f"{binary} not found: run `cargo build --release` first, or set ANCILLARY_BIN")

    def call(*args, ok=(0,)):
        p = subprocess.run(
            [str(binary), *map(str, args)], cwd=ROOT, capture_output=True, text=True
        )
        assert p.returncode in ok, f"ancillary {' '.join(map(str, args))}: {p.stderr}"
        return p

    return call


@pytest.fixture(scope="session")
def cli_out(cli, tmp_path_factory):
    """The CLI's output folder for a shipped scenario, run once per session."""
    done = {}

    def out(name: str) -> Path:
        if name not in done:
            folder = tmp_path_factory.mktemp("cli") / name
            cli("run", ROOT / "scenarios" / name, "--out", folder)
            done[name] = folder
        return done[name]

    return out


def tree(folder: Path) -> dict:
    """Every file under `folder`, by relative name, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
