"""Scenario files: parse them, run them against a docker CLI, normalise what they print.

A scenario (`tests/scenarios/*.scn`, format in `tests/scenarios/README.md`) is a list of
docker commands plus files to create before them. The same scenario runs against the real
engine (to record a golden transcript) and against LayerLab (to compare), so this module must
not depend on either: callers pass the argv prefix that stands for `docker`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = REPO_ROOT / "tests" / "scenarios"
GOLDEN_DIR = SCENARIO_DIR / "golden"
REAL_ENGINE_SCRIPT = REPO_ROOT / "scripts" / "real-engine"

DEFAULT_TIMEOUT = 60.0
BASELINE_IMAGE = "busybox:latest"
REGISTRY_ADDRESS = "127.0.0.1:5000"


class ScenarioSyntaxError(ValueError):
    """A scenario file that does not follow the format; the message names file and line."""


# ---------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class FileWrite:
    """`@file PATH` … `@end`: write `content` to PATH (relative to the work dir)."""

    path: str
    content: str
    line: int


@dataclass(frozen=True)
class TarCreate:
    """`@tar PATH FROM_DIR`: pack FROM_DIR's contents (relative names) into the tar PATH."""

    path: str
    from_dir: str
    line: int


@dataclass(frozen=True)
class Sleep:
    """`@sleep N`: wait N seconds (only where a detached container must get going)."""

    seconds: float
    line: int


@dataclass(frozen=True)
class Capture:
    """`@capture NAME`: keep the previous command's stdout (stripped) as `${NAME}` for later
    commands, e.g. an image ID that differs from engine to engine."""

    name: str
    line: int


@dataclass(frozen=True)
class Command:
    """`$ docker ARGS…`: `args` excludes the leading `docker`; `text` is the line as written."""

    args: tuple[str, ...]
    text: str
    line: int


Step = FileWrite | TarCreate | Sleep | Capture | Command

_CAPTURE_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_CAPTURE_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    path: Path | None = None

    def commands(self) -> list[Command]:
        return [step for step in self.steps if isinstance(step, Command)]


@dataclass(frozen=True)
class CommandResult:
    command: str
    stdout: str
    stderr: str
    exit_code: int


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    return parse_scenario_text(path.read_text(encoding="utf-8"), path.stem, path)


def parse_scenario_text(text: str, name: str, path: Path | None = None) -> Scenario:
    where = str(path) if path else name
    lines = text.splitlines()
    steps: list[Step] = []
    captured: set[str] = set()
    index = 0
    while index < len(lines):
        number = index + 1
        stripped = lines[index].strip()
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("$"):
            # A trailing backslash continues the command on the next line, as in a shell.
            text_parts = [stripped[1:].strip()]
            while text_parts[-1].endswith("\\") and index < len(lines):
                text_parts[-1] = text_parts[-1][:-1].rstrip()
                text_parts.append(lines[index].strip())
                index += 1
            command = _parse_command(" ".join(text_parts), where, number)
            for reference in _CAPTURE_REFERENCE.findall(command.text):
                if reference not in captured:
                    raise ScenarioSyntaxError(f"{where}:{number}: ${{{reference}}} not captured")
            steps.append(command)
        elif stripped.startswith("@capture"):
            variable = _single_argument(stripped, "@capture", where, number)
            if not _CAPTURE_NAME.match(variable):
                raise ScenarioSyntaxError(f"{where}:{number}: bad capture name {variable!r}")
            if not steps or not isinstance(steps[-1], Command):
                raise ScenarioSyntaxError(f"{where}:{number}: @capture must follow a command")
            captured.add(variable)
            steps.append(Capture(variable, number))
        elif stripped.startswith("@file"):
            target = _single_argument(stripped, "@file", where, number)
            body: list[str] = []
            while index < len(lines) and lines[index].rstrip() != "@end":
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ScenarioSyntaxError(f"{where}:{number}: @file without @end")
            index += 1  # skip @end
            content = "\n".join(body) + "\n" if body else ""
            steps.append(FileWrite(_relative_path(target, where, number), content, number))
        elif stripped.startswith("@tar"):
            words = shlex.split(stripped)
            if len(words) != 3:
                raise ScenarioSyntaxError(f"{where}:{number}: expected @tar PATH FROM_DIR")
            steps.append(
                TarCreate(
                    _relative_path(words[1], where, number),
                    _relative_path(words[2], where, number),
                    number,
                )
            )
        elif stripped.startswith("@sleep"):
            value = _single_argument(stripped, "@sleep", where, number)
            try:
                seconds = float(value)
            except ValueError:
                raise ScenarioSyntaxError(f"{where}:{number}: bad @sleep value {value!r}") from None
            steps.append(Sleep(seconds, number))
        else:
            raise ScenarioSyntaxError(f"{where}:{number}: cannot parse line: {stripped}")
    scenario = Scenario(name=name, steps=tuple(steps), path=path)
    if not scenario.commands():
        raise ScenarioSyntaxError(f"{where}: scenario has no commands")
    return scenario


def _parse_command(text: str, where: str, number: int) -> Command:
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise ScenarioSyntaxError(f"{where}:{number}: {error}") from None
    if not words or words[0] != "docker":
        raise ScenarioSyntaxError(f"{where}:{number}: commands must start with 'docker'")
    return Command(args=tuple(words[1:]), text=text, line=number)


def _single_argument(line: str, keyword: str, where: str, number: int) -> str:
    words = shlex.split(line)
    if words[0] != keyword or len(words) != 2:
        raise ScenarioSyntaxError(f"{where}:{number}: expected {keyword} with one argument")
    return words[1]


def _relative_path(value: str, where: str, number: int) -> str:
    # Scenarios write only inside their work dir.
    parts = Path(value).parts
    if Path(value).is_absolute() or ".." in parts:
        raise ScenarioSyntaxError(f"{where}:{number}: path must stay in the work dir: {value}")
    return value


# ---------------------------------------------------------------------------------------------
# Running


def run_scenario(
    scenario: Scenario,
    docker: list[str],
    env: dict[str, str],
    workdir: Path,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[CommandResult]:
    """Run every step in order; file steps prepare the work dir, commands produce results."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[CommandResult] = []
    captures: dict[str, str] = {}
    # A private client config dir: `login`/`logout` and the CLI's config never depend on the
    # host user's ~/.docker, and nothing lands in a build context under the work dir.
    with tempfile.TemporaryDirectory(prefix="docker-config-") as config_dir:
        env = {**env, "DOCKER_CONFIG": config_dir}
        for step in scenario.steps:
            if isinstance(step, Capture):
                captures[step.name] = results[-1].stdout.strip()
            elif isinstance(step, Command):
                results.append(_run_command(step, captures, docker, env, workdir, timeout))
            else:
                _prepare(step, workdir)
    return results


def _prepare(step: FileWrite | TarCreate | Sleep, workdir: Path) -> None:
    if isinstance(step, FileWrite):
        target = workdir / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.content, encoding="utf-8")
    elif isinstance(step, TarCreate):
        _write_tar(workdir / step.path, workdir / step.from_dir)
    else:
        time.sleep(step.seconds)


def _run_command(
    command: Command,
    captures: dict[str, str],
    docker: list[str],
    env: dict[str, str],
    workdir: Path,
    timeout: float,
) -> CommandResult:
    args = [
        _CAPTURE_REFERENCE.sub(lambda match: captures[match.group(1)], arg) for arg in command.args
    ]
    try:
        completed = subprocess.run(
            [*docker, *args],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return CommandResult(
            command=command.text,
            stdout=_decode(expired.stdout),
            stderr=_decode(expired.stderr) + f"\n[timed out after {timeout:g}s]\n",
            exit_code=-1,
        )
    return CommandResult(
        command=command.text,
        stdout=_decode(completed.stdout),
        stderr=_decode(completed.stderr),
        exit_code=completed.returncode,
    )


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def _write_tar(target: Path, source: Path) -> None:
    # Sorted names, fixed owner and mtime: the same tar bytes on every run.
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(source.rglob("*")):
            info = archive.gettarinfo(str(path), arcname=str(path.relative_to(source)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isfile():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)


# ---------------------------------------------------------------------------------------------
# Real engine baseline


def _docker_lines(env: dict[str, str], *args: str) -> list[str]:
    completed = subprocess.run(
        ["docker", *args], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return [line for line in completed.stdout.splitlines() if line.strip()]


def reset_real_engine(env: dict[str, str]) -> None:
    """Bring the real engine back to the baseline: only busybox:latest, no containers, and an
    empty registry (the registry is restarted on empty storage by `scripts/real-engine`)."""
    # A `run --rm` whose start failed is removed by the daemon after the CLI returned, so a
    # listed container may vanish before `rm -f` gets to it: retry until none is left.
    for _attempt in range(50):
        containers = _docker_lines(env, "ps", "-aq")
        if not containers:
            break
        subprocess.run(["docker", "rm", "-f", *containers], env=env, capture_output=True)
        time.sleep(0.1)
    else:
        raise RuntimeError(f"containers left after reset: {containers}")
    baseline_id = _docker_lines(env, "image", "inspect", "-f", "{{.Id}}", BASELINE_IMAGE)[0]
    # Every tag that is not busybox:latest, then every image that is not the baseline.
    for reference in _docker_lines(env, "images", "-a", "--format", "{{.Repository}}:{{.Tag}}"):
        if reference != BASELINE_IMAGE and "<none>" not in reference:
            _docker_lines(env, "rmi", "-f", reference)
    for image_id in _docker_lines(env, "images", "-aq", "--no-trunc"):
        if image_id != baseline_id:
            subprocess.run(
                ["docker", "rmi", "-f", image_id], env=env, capture_output=True, check=False
            )
    # An empty catalog means nothing was ever uploaded (an upload creates the repository).
    if _registry_repositories():
        subprocess.run(
            [str(REAL_ENGINE_SCRIPT), "reset-registry"],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        if _registry_repositories():
            raise RuntimeError("registry not empty after reset-registry")


def _registry_repositories() -> list[str]:
    with urllib.request.urlopen(f"http://{REGISTRY_ADDRESS}/v2/_catalog", timeout=5) as response:
        return list(json.load(response).get("repositories") or [])


def real_engine_env() -> dict[str, str]:
    """The environment for the real CLI: DOCKER_HOST of `scripts/real-engine`, no BuildKit
    override (the machine's default: the classic builder, as there is no buildx)."""
    completed = subprocess.run(
        [str(REAL_ENGINE_SCRIPT), "env"], capture_output=True, text=True, check=True
    )
    env = dict(os.environ)
    env.pop("DOCKER_BUILDKIT", None)
    env["DOCKER_HOST"] = completed.stdout.strip().removeprefix("export DOCKER_HOST=")
    return env


# ---------------------------------------------------------------------------------------------
# Normalisation: replace what legitimately differs between runs or engines, nothing else.


@dataclass
class IdMap:
    """Numbers IDs by first appearance across one scenario. Keyed by the first 12 hex digits,
    so a short ID, its full 64-hex form and a `…`-truncated form get the same number."""

    numbers: dict[str, int] = field(default_factory=dict)

    def label(self, hex_digits: str) -> str:
        key = hex_digits[:12]
        if key not in self.numbers:
            self.numbers[key] = len(self.numbers) + 1
        return f"<id{self.numbers[key]}>"


# Rule 1: the classic builder's banner (stderr, first lines of every `build`): which variant
# appears depends on DOCKER_BUILDKIT and on buildx being installed, not on the engine.
_BANNER = re.compile(
    r"^DEPRECATED: The legacy builder is deprecated[^\n]*\n(?: {8,}[^\n]*\n)*\n?", re.M
)
# Rule 2: the build context size is the size of a tar stream the CLI makes (padding included).
# (The real line ends in "\r\r\n": the carriage returns are kept, only the size goes.)
_CONTEXT_LINE = re.compile(r"^(Sending build context to Docker daemon)[ \t]+[^\s]+", re.M)
# Rule 2b: the classic builder paints each chunk a RUN step writes to stderr red
# (ESC[91m … ESC[0m); how the shell's writes split into chunks is timing. A reset directly
# followed by red again changes nothing on screen, so it is dropped.
_COLOUR_SEAM = "\x1b[0m\x1b[91m"
# Rule 3: layer progress of push/pull. The daemon moves layers concurrently, so lines of
# different layers interleave at random. Regroup each block per layer, in order of the layer's
# first line (that order is fixed), and drop the in-between statuses that depend on timing
# (the daemon coalesces fast progress updates, so `Verifying Checksum` may or may not appear).
_PROGRESS_LINE = re.compile(r"^[0-9a-f]{12}: [A-Z][^\n]*$")
_TRANSIENT_STATUSES = ("Waiting", "Verifying Checksum", "Downloading", "Extracting", "Pushing")
# Rule 3b: `docker diff` lists a directory before its contents, but siblings come out in Go
# map order (random from run to run). Sort each block of change lines by path; a parent still
# sorts before its children.
_CHANGE_LINE = re.compile(r"^[ACD] /[^\n]*$")
# Rule 4: IDs and digests: 64 or 12 hex digits standing alone, hex after `sha256:`, and content
# hashes after `file:`/`dir:` (history cuts those short with `…`).
_HEX_ID = re.compile(
    r"(?<=sha256:)[0-9a-f]{12,64}"
    r"|(?<=file:)[0-9a-f]{12,64}|(?<=dir:)[0-9a-f]{12,64}"
    r"|(?<![0-9A-Za-z_])(?:[0-9a-f]{64}|[0-9a-f]{12})(?![0-9A-Za-z_])"
)
# Rule 5: RFC 3339 timestamps (inspect, logs -t); the zero time means "never" and is kept.
_TIMESTAMP = re.compile(
    r"(?!0001-01-01T00:00:00Z)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
)
# Rule 6: human durations in CREATED (`… ago`) and STATUS (`Up …`, `Exited (N) … ago`).
_DURATION = (
    r"(?:Less than a second|About a minute|About an hour"
    r"|\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?|years?))"
)
_AGO = re.compile(rf"{_DURATION} ago")
_UP = re.compile(rf"\bUp {_DURATION}")
# Rule 7: sizes of 1 kB and more (file system block and metadata overheads differ); byte
# sizes below 1 kB are the sizes of the files a scenario wrote, so they are compared.
_SIZE = re.compile(r"(?<![0-9A-Za-z.])\d+(?:\.\d+)?(?:kB|MB|GB|TB|PB)(?![0-9A-Za-z])")
# Rule 7b: the byte length of a pushed manifest (`TAG: digest: sha256:… size: 735`). The
# manifest lists each layer's compressed size, whose digits depend on the gzip implementation.
_MANIFEST_SIZE = re.compile(r"(: digest: sha256:\S+ size: )\d+")
# Rule 8: tables. A header is a line of upper-case column titles separated by 2+ spaces; it
# and the rows below it (to a blank line) lose trailing spaces, and runs of 2+ spaces become
# one " | ", so a wider ID or size in one engine cannot shift the other columns.
_TABLE_HEADER = re.compile(r"^[A-Z][A-Z ]*[A-Z](?: {2,}[A-Z][A-Z ]*[A-Z])+ *$")
_COLUMN_GAP = re.compile(r" {2,}")
TABLE_SEPARATOR = " | "


def normalize(text: str, ids: IdMap) -> str:
    text = _BANNER.sub("", text)
    text = _CONTEXT_LINE.sub(r"\1  <size>", text)
    text = text.replace(_COLOUR_SEAM, "")
    text = _regroup_layer_progress(text)
    text = _sort_change_blocks(text)
    text = _HEX_ID.sub(lambda match: ids.label(match.group(0)), text)
    text = _TIMESTAMP.sub("<time>", text)
    text = _AGO.sub("<duration> ago", text)
    text = _UP.sub("Up <duration>", text)
    text = _SIZE.sub("<size>", text)
    text = _MANIFEST_SIZE.sub(r"\1<size>", text)
    return _collapse_tables(text)


def _regroup_layer_progress(text: str) -> str:
    lines = text.split("\n")
    output: list[str] = []
    block: list[str] = []

    def flush() -> None:
        per_layer: dict[str, list[str]] = {}
        for line in block:
            layer, status = line.split(": ", 1)
            if not status.startswith(_TRANSIENT_STATUSES):
                per_layer.setdefault(layer, []).append(line)
        for layer_lines in per_layer.values():
            output.extend(layer_lines)
        block.clear()

    for line in lines:
        if _PROGRESS_LINE.match(line):
            block.append(line)
            continue
        flush()
        output.append(line)
    flush()
    return "\n".join(output)


def _sort_change_blocks(text: str) -> str:
    lines = text.split("\n")
    output: list[str] = []
    block: list[str] = []
    for line in [*lines, None]:
        if line is not None and _CHANGE_LINE.match(line):
            block.append(line)
            continue
        output.extend(sorted(block, key=lambda change: change[2:]))
        block.clear()
        if line is not None:
            output.append(line)
    return "\n".join(output)


def _collapse_tables(text: str) -> str:
    lines = text.split("\n")
    in_table = False
    for index, line in enumerate(lines):
        if _TABLE_HEADER.match(line):
            in_table = True
        elif not line.strip():
            in_table = False
        if in_table:
            lines[index] = _COLUMN_GAP.sub(TABLE_SEPARATOR, line.rstrip())
    return "\n".join(lines)


def normalize_results(results: list[CommandResult]) -> list[CommandResult]:
    """Normalise one scenario's results with one shared IdMap (stdout before stderr)."""
    ids = IdMap()
    return [
        CommandResult(
            command=result.command,
            stdout=normalize(result.stdout, ids),
            stderr=normalize(result.stderr, ids),
            exit_code=result.exit_code,
        )
        for result in results
    ]


# ---------------------------------------------------------------------------------------------
# Golden transcripts


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def load_golden(name: str) -> tuple[dict[str, object], list[CommandResult]]:
    """The golden file's header (versions, …) and its raw results."""
    data = json.loads(golden_path(name).read_text(encoding="utf-8"))
    results = [
        CommandResult(
            command=entry["command"],
            stdout=entry["stdout"],
            stderr=entry["stderr"],
            exit_code=entry["exit_code"],
        )
        for entry in data["commands"]
    ]
    header = {key: value for key, value in data.items() if key != "commands"}
    return header, results


def scenario_paths() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.scn"))
