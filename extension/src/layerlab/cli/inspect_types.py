"""Which inspect fields docker's Go structs declare as maps and slices.

``docker inspect -f`` runs the template on the typed struct (types.ContainerJSON,
types.ImageInspect): a nil map or slice there prints ``map[]`` or ``[]``, not ``<no value>``,
yet ``{{json .}}`` of it is still ``null``. The Engine API's JSON loses those types, so the
fields that need them are listed here and their nulls restored as typed nils.
"""

from __future__ import annotations

from typing import Any

from layerlab.cli.gotemplate_values import NilMap, NilSlice

_CONFIG = {
    "Labels": NilMap, "ExposedPorts": NilMap, "Volumes": NilMap,
    "Env": NilSlice, "Cmd": NilSlice, "Entrypoint": NilSlice, "OnBuild": NilSlice,
    "Shell": NilSlice,
}  # fmt: skip
_HOST_CONFIG_SLICES = (
    "Binds CapAdd CapDrop Dns DnsOptions DnsSearch ExtraHosts GroupAdd Links SecurityOpt "
    "VolumesFrom Devices DeviceCgroupRules DeviceRequests Ulimits BlkioWeightDevice "
    "BlkioDeviceReadBps BlkioDeviceWriteBps BlkioDeviceReadIOps BlkioDeviceWriteIOps "
    "MaskedPaths ReadonlyPaths ConsoleSize"
).split()
SCHEMA: dict[str, Any] = {
    "RepoTags": NilSlice, "RepoDigests": NilSlice, "Args": NilSlice, "Mounts": NilSlice,
    "ExecIDs": NilSlice,
    "Config": _CONFIG, "ContainerConfig": _CONFIG,
    "HostConfig": {"PortBindings": NilMap, **dict.fromkeys(_HOST_CONFIG_SLICES, NilSlice)},
    "NetworkSettings": {"Ports": NilMap, "Networks": NilMap},
    "RootFS": {"Layers": NilSlice},
}  # fmt: skip


def typed(document: Any, schema: dict[str, Any] = SCHEMA) -> Any:
    """A copy of an inspect document with its struct-typed nulls made typed nils."""
    if not isinstance(document, dict):
        return document
    result = dict(document)
    for key, kind in schema.items():
        if key not in result:
            continue
        value = result[key]
        if isinstance(kind, dict):
            result[key] = typed(value, kind)
        elif value is None:
            result[key] = kind()
    return result
