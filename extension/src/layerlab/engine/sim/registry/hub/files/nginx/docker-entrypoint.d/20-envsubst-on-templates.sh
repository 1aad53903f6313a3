#!/bin/sh

set -e

ME=$(basename "$0")

template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
[ -d "$template_dir" ] || exit 0
echo "$ME: info: templates are not supported by LayerLab's simulated nginx"
exit 0
