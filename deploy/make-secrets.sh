#!/bin/sh
# Creates the stack's secrets as files under ./secrets (once; existing ones are kept).
set -eu
cd "$(dirname "$0")"
mkdir -p secrets tls
chmod 700 secrets
umask 077
for name in notification_secret registry_http_secret postgres_password; do
  [ -s "secrets/$name" ] || openssl rand -hex 32 > "secrets/$name"
done
[ -s secrets/database_url ] ||
  printf 'postgres://wharf:%s@postgres:5432/wharf\n' "$(cat secrets/postgres_password)" > secrets/database_url
echo "secrets in $(pwd)/secrets"
