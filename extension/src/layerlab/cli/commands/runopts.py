"""``docker run``/``create`` options turned into Engine API arguments, and run's error shape."""

from __future__ import annotations

import os
import re
from typing import Any

from layerlab.cli.commands.base import key_values
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.cli.grammar import cli_26
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
    """A bad ``-p``: Engine 26.1's CLI vendors a port library whose messages start upper-case."""
    return run_error(message[0].upper() + message[1:] if cli_26() else message, 125)


def _port_range(text: str, what: str, spec: str) -> list[int]:
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not match:
        raise _port_error(f"invalid {what}: {spec}")
    first = int(match[1])
    last = int(match[2] or first)
    if last < first:
        raise _port_error(f"invalid {what}: {spec}")
    return list(range(first, last + 1))


def parse_publish(specs: list[str]) -> tuple[list[str], dict[str, list[dict[str, str]]]]:
    """``-p [ip:][hostPort:]containerPort[/proto]`` -> exposed ports and PortBindings."""
    exposed: list[str] = []
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        body, _, proto = spec.partition("/")
        proto = proto or "tcp"
        parts = body.rsplit(":", 2)
        container_text = parts[-1]
        host_text = parts[-2] if len(parts) >= 2 else ""
        host_ip = parts[-3] if len(parts) == 3 else ""
        if not container_text:
            raise _port_error(f"no port specified: {spec}<empty>")
        container_ports = _port_range(container_text, "containerPort", container_text)
        host_ports = _port_range(host_text, "hostPort", host_text) if host_text else []
        if host_ports and len(host_ports) != len(container_ports) and len(host_ports) != 1:
            raise _port_error(
                f"invalid ranges specified for container and host Ports: {container_text} and "
                f"{host_text}"
            )
        for index, port in enumerate(container_ports):
            key = f"{port}/{proto}"
            if key not in exposed:
                exposed.append(key)
            host_port = ""
            if host_ports:
                host_port = str(host_ports[index] if len(host_ports) > 1 else host_ports[0])
            bindings.setdefault(key, []).append({"HostIp": host_ip, "HostPort": host_port})
    return exposed, bindings


def create_kwargs(parsed: ParsedArgs) -> dict[str, Any]:
    """Keyword arguments of ``Engine.create_container`` for a run/create command line."""
    refuse_unsafe(parsed)  # safe mode (real engine): nothing that reaches outside the container
    exposed, bindings = parse_publish(parsed.items("publish"))
    for port in parsed.items("expose"):
        body, _, proto = port.partition("/")
        for number in _port_range(body, "range format for --expose", port):
            key = f"{number}/{proto or 'tcp'}"
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
