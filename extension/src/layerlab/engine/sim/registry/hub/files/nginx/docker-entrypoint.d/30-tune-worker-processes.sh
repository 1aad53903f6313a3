#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

[ "${NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE:-}" ] || exit 0
exit 0
