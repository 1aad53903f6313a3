"""``docker run``/``create`` options turned into Engine API arguments, and run's error shape."""

from __future__ import annotations

import os
from typing import Any

from layerlab.cli.commands.base import key_values
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.cli.grammar import cli_26
from layerlab.cli.portspec import PortSpecError, parse_expose, parse_port_spec
from layerlab.cli.safety import refuse_unsafe

RUN_HINT = "Run 'docker run --help' for more information"


def run_error(message: str, code: int, with_help: bool = True) -> CliError:
    """``docker run``'s error rendering: ``docker: <err>``, blank line, the help hint. Engine
    26.1's CLI ends the message with a period and points at ``--help`` on the next line, except
    when the container failed to start (``with_help`` False)."""
    if cli_26():
        text = message.removesuffix(".") + "."
        return CliError(f"docker: {text}" + ("\nSee 'docker run --help'." if with_help else ""),
                        code)  # fmt: skip
    return CliError(f"docker: {message}\n\n{RUN_HINT}", code)


def start_error_code(message: str) -> int:
    """The exit code docker run gives a failed start (as the CLI decides it from the text)."""
    if any(
        text in message
        for text in (
            "executable file not found",
            "no such file or directory",
            "system cannot find the file specified",
        )
    ):
        return 127
    if "permission denied" in message:
        return 126
    return 125


def split_reference(image: str) -> tuple[str, str | None]:
    """``name[:tag][@digest]`` -> (repository, tag or digest) for a pull."""
    name, at, digest = image.partition("@")
    if at:
        return name, digest
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, None


def familiar_with_tag(image: str) -> str:
    """The familiar reference with ``:latest`` added when it has neither tag nor digest."""
    repository, tag = split_reference(image)
    for prefix in ("docker.io/", "index.docker.io/"):
        if repository.startswith(prefix):
            repository = repository[len(prefix) :]
            repository = (
                repository.removeprefix("library/") if repository.count("/") == 1 else repository
            )
    if tag is None:
        return f"{repository}:latest"
    return f"{repository}@{tag}" if tag.startswith("sha256:") else f"{repository}:{tag}"


def _env(values: list[str]) -> list[str]:
    # Like opts.ValidateEnv: a bare name takes the client's value when it has one.
    return [v if "=" in v or v not in os.environ else f"{v}={os.environ[v]}" for v in values]


def _port_error(message: str) -> CliError:
    return run_error(message, 125)


def parse_publish(specs: list[str]) -> tuple[list[str], dict[str, list[dict[str, str]]]]:
    """``-p [ip:][hostPort:]containerPort[/proto]`` -> exposed ports and PortBindings."""
    exposed: list[str] = []
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        try:
            mappings = parse_port_spec(spec, old=cli_26())
        except PortSpecError as exc:
            raise _port_error(str(exc)) from None
        for mapping in mappings:
            if mapping.port not in exposed:
                exposed.append(mapping.port)
            bindings.setdefault(mapping.port, []).append(
                {"HostIp": mapping.host_ip, "HostPort": mapping.host_port}
            )
    return exposed, bindings


def create_kwargs(parsed: ParsedArgs) -> dict[str, Any]:
    """Keyword arguments of ``Engine.create_container`` for a run/create command line."""
    refuse_unsafe(parsed)  # safe mode (real engine): nothing that reaches outside the container
    exposed, bindings = parse_publish(parsed.items("publish"))
    for port in parsed.items("expose"):
        try:
            keys = parse_expose(port, old=cli_26())
        except PortSpecError as exc:
            raise _port_error(str(exc)) from None
        for key in keys:
            if key not in exposed:
                exposed.append(key)
    host_config: dict[str, Any] = {}
    if bindings:
        host_config["PortBindings"] = bindings
    if parsed.flag("rm"):
        host_config["AutoRemove"] = True
    networks = parsed.items("network") + parsed.items("net")  # --net: docker's hidden alias
    for index, network in enumerate(networks):
        if network in networks[:index]:
            raise run_error(f'network "{network}" is specified multiple times', 125)
    if networks:
        host_config["NetworkMode"] = networks[0]
    entrypoint: list[str] | None = None
    if parsed.given("entrypoint"):
        entrypoint = [parsed.text("entrypoint")]
    command = parsed.positionals[1:]
    return {
        "command": command or None,
        "name": parsed.text("name") or None,
        "environment": _env(parsed.items("env")) or None,
        "working_dir": parsed.text("workdir") or None,
        "entrypoint": entrypoint,
        "hostname": parsed.text("hostname") or None,
        "user": parsed.text("user") or None,
        "labels": key_values(parsed.items("label")) or None,
        "ports": exposed or None,
        "tty": parsed.flag("tty"),
        "stdin_open": parsed.flag("interactive"),
        "host_config": host_config or None,
        # More than one network: the daemon (API 1.41) refuses them all at once.
        "networking_config": {"EndpointsConfig": {n: {} for n in networks}}
        if len(networks) > 1
        else None,
        # `run -d` attaches nothing: docker leaves Config.AttachStdout/AttachStderr false.
        "detach": parsed.flag("detach"),
    }
