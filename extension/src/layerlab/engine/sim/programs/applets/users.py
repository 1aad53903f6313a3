"""Users and groups as the container's /etc/passwd and /etc/group say."""

from __future__ import annotations

from layerlab.engine.sim.store.fs import Tree


def _table(tree: Tree, path: str) -> list[list[str]]:
    entry = tree.get(path)
    if entry is None or entry.kind != "file":
        return []
    rows = []
    for line in entry.data.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            rows.append(fields)
    return rows


def passwd_row(tree: Tree, key: str | int) -> list[str] | None:
    for row in _table(tree, "/etc/passwd"):
        if (isinstance(key, int) and int(row[2]) == key) or row[0] == key:
            return row
    return None


def user_name(tree: Tree, uid: int) -> str | None:
    row = passwd_row(tree, uid)
    return row[0] if row else None


def group_name(tree: Tree, gid: int) -> str | None:
    for row in _table(tree, "/etc/group"):
        if int(row[2]) == gid:
            return row[0]
    return None


def user_id(tree: Tree, name: str) -> int | None:
    if name.isdigit():
        return int(name)
    row = passwd_row(tree, name)
    return int(row[2]) if row else None


def group_id(tree: Tree, name: str) -> int | None:
    if name.isdigit():
        return int(name)
    for row in _table(tree, "/etc/group"):
        if row[0] == name:
            return int(row[2])
    return None


def groups_of(tree: Tree, user: str, primary: int) -> list[int]:
    """Primary group first, then every group listing ``user`` as a member."""
    result = [primary]
    for row in _table(tree, "/etc/group"):
        members = row[3].split(",") if len(row) > 3 and row[3] else []
        if user in members and int(row[2]) not in result:
            result.append(int(row[2]))
    return result
