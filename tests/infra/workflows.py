"""The GitHub Actions workflows as data: jobs, steps, `run:` scripts and the commands in them.

The workflow checks read the YAML with ruamel.yaml (YAML 1.2, so `on:` stays a string key) and
compare the deploy commands the workflows run with the ones README.md gives.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.infra.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
WORKFLOW_SCRIPTS = REPO_ROOT / ".github" / "scripts"
FIXTURES = Path(__file__).parent / "workflow_fixtures"
README = REPO_ROOT / "README.md"
DEPLOYING_SECTION = "## Deploying changes"

#: Tools from requirements-dev.txt, next to the running interpreter.
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
ZIZMOR = Path(sys.executable).parent / "zizmor"

#: What GitHub's runner runs a `shell: bash` (or default, on Linux) step with.
RUNNER_BASH_PRELUDE = "#!/usr/bin/env bash\nset -eo pipefail\n"

#: The infrastructure parameter for the release (orchestration) version, per tree.
VERSION_PARAMETERS = {"bicep": "orchestrationVersion", "terraform": "orchestration_version"}

#: The deployment commands the README and the workflows must give alike (name, then options).
DEPLOY_COMMANDS = (
    "az bicep build-params",
    "az deployment group what-if",
    "az deployment group create",
    "terraform init",
    "terraform plan",
    "terraform apply",
    "terraform output",
    "az functionapp config appsettings set",
    "zip",
    "az functionapp deployment source config-zip",
    "az functionapp keys list",
    "az functionapp deployment slot swap",
)

Mapping = dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One step of one job, with where it comes from."""

    workflow: str
    job: str
    index: int
    body: Mapping

    @property
    def id(self) -> str | None:
        value = self.body.get("id")
        return str(value) if value is not None else None

    @property
    def name(self) -> str:
        return str(self.body.get("name") or self.body.get("uses") or f"step {self.index + 1}")

    @property
    def run(self) -> str | None:
        value = self.body.get("run")
        return str(value) if value is not None else None

    @property
    def uses(self) -> str | None:
        value = self.body.get("uses")
        return str(value) if value is not None else None

    @property
    def where(self) -> str:
        return f"{self.workflow} > {self.job} > {self.name}"


def load(path: Path) -> Mapping:
    """One workflow file as plain dicts and lists."""
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def workflow_files(folder: Path = WORKFLOWS) -> list[Path]:
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def workflows(folder: Path = WORKFLOWS) -> dict[str, Mapping]:
    return {path.name: load(path) for path in workflow_files(folder)}


def jobs(workflow: Mapping) -> dict[str, Mapping]:
    found = workflow.get("jobs") or {}
    assert isinstance(found, dict)
    return found


def steps(name: str, workflow: Mapping) -> Iterator[Step]:
    for job_id, job in jobs(workflow).items():
        for index, body in enumerate(job.get("steps") or []):
            yield Step(name, job_id, index, body)


def all_steps(folder: Path = WORKFLOWS) -> list[Step]:
    return [step for name, flow in workflows(folder).items() for step in steps(name, flow)]


def step_by_id(workflow: Mapping, name: str, step_id: str) -> Step:
    for step in steps(name, workflow):
        if step.id == step_id:
            return step
    raise AssertionError(f"{name} has no step with id {step_id!r}")


def run_script(step: Step) -> str:
    """A `run:` block as the file the runner executes (bash, -e, pipefail)."""
    assert step.run is not None
    shell = step.body.get("shell", "bash")
    assert shell == "bash", f"{step.where}: only bash steps are checked, not {shell!r}"
    return f"{RUNNER_BASH_PRELUDE}# {step.where}\n{step.run}"


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Command:
    """A deploy command by name and the options it passes (values aside)."""

    name: str
    options: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join((self.name, *self.options))


def _without_comments(script: str) -> str:
    """The script with backslash continuations joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    lines = (re.sub(r"(^|\s)#\s.*$", "", line) for line in joined.splitlines())
    return "\n".join(line for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _substitutions(token: str) -> Iterator[str]:
    """The commands inside `$( ... )` in a (quoted) token."""
    start = token.find("$(")
    while start != -1:
        depth, index = 1, start + 2
        while index < len(token) and depth:
            depth += {"(": 1, ")": -1}.get(token[index], 0)
            index += 1
        yield token[start + 2 : index - 1]
        start = token.find("$(", index)


def _simple_commands(script: str) -> Iterator[list[str]]:
    """Each simple command (words) of a script, including those inside `$( ... )`."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars="();<>|&\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""
    current: list[str] = []
    for token in lexer:
        if set(token) <= set("|&;()<>$\n"):
            if current:
                yield current
            current = []
            continue
        for inner in _substitutions(token):
            yield from _simple_commands(inner)
        current.append(token)
    if current:
        yield current


def commands(script: str) -> set[Command]:
    """The DEPLOY_COMMANDS a shell script runs, each with its sorted option names."""
    found: set[Command] = set()
    for words in _simple_commands(_without_comments(script)):
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            words = words[1:]  # assignments before the command
        for name in DEPLOY_COMMANDS:
            size = len(name.split())
            if words[:size] == name.split():
                options = {word.split("=", 1)[0] for word in words[size:] if word[:1] == "-"}
                found.add(Command(name, tuple(sorted(options))))
    return found


def workflow_commands(folder: Path = WORKFLOWS) -> set[Command]:
    return {command for step in all_steps(folder) if step.run for command in commands(step.run)}


def readme_section(title: str = DEPLOYING_SECTION, readme: Path = README) -> str:
    text = readme.read_text(encoding="utf-8")
    assert f"\n{title}\n" in text, f"README.md has no {title!r} section"
    return text.split(f"\n{title}\n", 1)[1].split("\n## ", 1)[0]


def bash_blocks(markdown: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL)


def readme_pipeline_commands(readme: Path = README) -> set[Command]:
    """The deploy commands of the section's opening part ("what the pipeline runs, by hand"),
    before its subsections (set-up and maintenance commands are not the pipeline's)."""
    opening = readme_section(DEPLOYING_SECTION, readme).split("\n### ", 1)[0]
    return {command for block in bash_blocks(opening) for command in commands(block)}
