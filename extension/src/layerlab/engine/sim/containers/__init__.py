"""Containers: records and lifecycle, the init layer, the runtime that starts programs, exec,
logs and the files of a container."""
