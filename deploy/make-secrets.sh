#!/bin/sh
# Creates the stack's secrets as files under DIR/secrets (once; existing ones are kept).
# DIR: deploy/ for Compose (the default), deploy/kubernetes for kustomize's secretGenerator.
set -eu
cd "${1:-$(dirname "$0")}"
mkdir -p secrets tls
# The directory keeps other users of this host out. The files stay readable (0644) because
# Compose bind-mounts them with these permissions, and wharf runs as uid 10001 in its container.
chmod 700 secrets
umask 022
for name in notification_secret registry_http_secret postgres_password; do
  [ -s "secrets/$name" ] || openssl rand -hex 32 > "secrets/$name"
done
# The key sealing webhook secrets in the database (AES-256: 32 random bytes, base64); every
# wharf process sharing the database needs the same one.
[ -s secrets/webhook_key ] || openssl rand -base64 32 > secrets/webhook_key
[ -s secrets/database_url ] ||
  printf 'postgres://wharf:%s@postgres:5432/wharf\n' "$(cat secrets/postgres_password)" > secrets/database_url
echo "secrets in $(pwd)/secrets"
