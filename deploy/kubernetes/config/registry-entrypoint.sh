#!/bin/sh
# Starts a registry replica from the template `wharf registry-config --template` printed:
# fills in the secrets (files, never environment variables or the image), the replica's name
# and wharf's public URL, then runs the registry. Used by compose.yaml and kubernetes/.
set -eu
secrets=${SECRETS_DIR:-/run/secrets}
template=${REGISTRY_TEMPLATE:-/etc/wharf/registry.yml}
config=${REGISTRY_CONFIG:-/tmp/registry-config.yml}
: "${REPLICA_NAME:?set REPLICA_NAME to the name wharf knows this replica by}"
: "${WHARF_PUBLIC_URL:?set WHARF_PUBLIC_URL to the URL clients reach wharf at}"
# Secrets are hex (openssl rand -hex 32), so they are safe inside the sed expressions below.
notification_secret=$(cat "$secrets/notification_secret")
http_secret=$(cat "$secrets/registry_http_secret")
for value in "$notification_secret" "$http_secret" "$REPLICA_NAME" "$WHARF_PUBLIC_URL"; do
  case $value in *'|'*|*'&'*|*'\'*) echo "registry-entrypoint: '|', '&' and '\\' are not allowed in values" >&2; exit 64 ;; esac
done
umask 077
sed -e "s|__WHARF_NOTIFICATION_SECRET__|$notification_secret|" \
    -e "s|__REGISTRY_HTTP_SECRET__|$http_secret|" \
    -e "s|__REPLICA_NAME__|$REPLICA_NAME|" \
    -e "s|__WHARF_PUBLIC_URL__|$WHARF_PUBLIC_URL|" \
    "$template" > "$config"
exec "${REGISTRY_BIN:-registry}" serve "$config"
