#!/bin/sh
# vim:sw=4:ts=4:et

set -e

ME=$(basename "$0")
DEFAULT_CONF_FILE="etc/nginx/conf.d/default.conf"

echo "$ME: info: Getting the checksum of /$DEFAULT_CONF_FILE"
echo "$ME: info: Enabled listen on IPv6 in /$DEFAULT_CONF_FILE"

exit 0
