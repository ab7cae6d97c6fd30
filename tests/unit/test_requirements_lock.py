"""The hashed locks match their inputs, so every build installs exactly what was tested.

`requirements.txt` is what the Azure remote build installs: it must pin every package,
transitive ones included, each with hashes (pip then refuses anything else). It is generated
from `requirements.in` by `make lock`; so is `requirements-dev.txt` from
`requirements-dev.in`, under the runtime lock as a constraint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class Entry:
    name: str
    version: str
    hashes: tuple[str, ...]
    text: str


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _logical_lines(text: str) -> list[str]:
    """Lines with `\\` continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.split(" #")[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_lock(text: str) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for line in _logical_lines(text):
        match = _PIN.match(line)
        if match is None:
            raise ValueError(f"not a pinned requirement: {line!r}")
        hashes = tuple(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
        entries[_canonical(match[1])] = Entry(_canonical(match[1]), match[2], hashes, line)
    return entries


def read_input(path: Path) -> dict[str, str]:
    """Top-level pins of an input file, following `-r` includes (`-c` only constrains)."""
    pins: dict[str, str] = {}
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        if line.startswith("-r "):
            pins.update(read_input(path.parent / line[3:].strip()))
        elif line.startswith("-c "):
            continue
        else:
            match = _PIN.match(line)
            if match is None:
                raise ValueError(f"{path.name}: pin every input with ==: {line!r}")
            pins[_canonical(match[1])] = match[2]
    return pins


def lock_problems(pins: dict[str, str], lock: dict[str, Entry]) -> list[str]:
    problems = [
        f"{name}=={version} is not in the lock"
        for name, version in pins.items()
        if name not in lock or lock[name].version != version
    ]
    problems += [f"{entry.name} has no hash" for entry in lock.values() if not entry.hashes]
    return problems


LOCKS = [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]


@pytest.mark.parametrize(("source", "lock"), LOCKS)
def test_the_lock_pins_every_input_with_hashes(source: str, lock: str) -> None:
    pins = read_input(ROOT / source)
    assert lock_problems(pins, read_lock((ROOT / lock).read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("lock", [lock for _, lock in LOCKS])
def test_the_lock_names_no_local_index_or_path(lock: str) -> None:
    """A find-links folder or local index in the lock would fail every other machine's build."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(-e|-f|--find-links|--index-url|--extra-index-url)\b", text, re.M)
    assert "file://" not in text


def test_the_dev_lock_has_the_runtime_versions() -> None:
    runtime = read_lock((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    dev = read_lock((ROOT / "requirements-dev.txt").read_text(encoding="utf-8"))

    assert {name: entry.version for name, entry in runtime.items()} == {
        name: dev[name].version for name in runtime if name in dev
    }
    assert set(runtime) <= set(dev)


def test_the_checks_catch_a_missing_pin_a_changed_pin_and_a_line_without_hash() -> None:
    lock = read_lock(
        "pydantic==2.14.3 \\\n    --hash=sha256:" + "a" * 64 + "\nannotated-types==0.7.0\n"
    )

    assert lock_problems({"pydantic": "2.14.4", "azure-functions": "1.26.0"}, lock) == [
        "pydantic==2.14.4 is not in the lock",
        "azure-functions==1.26.0 is not in the lock",
        "annotated-types has no hash",
    ]
