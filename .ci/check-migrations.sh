#!/usr/bin/env bash
# Fails when src/db/schema.ts and the committed migrations under drizzle/ disagree: drizzle-kit
# generates into a scratch copy of drizzle/, and any new migration there means one is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.tap/migrations-check
rm -rf "$scratch" && mkdir -p .tap && cp -r drizzle "$scratch"
output=$(npx drizzle-kit generate --dialect postgresql --schema ./src/db/schema.ts --out "$scratch" 2>&1)
before=$(ls drizzle/*.sql | wc -l)
after=$(ls "$scratch"/*.sql | wc -l)
rm -rf "$scratch"
if [ "$before" != "$after" ] || ! grep -q "No schema changes" <<<"$output"; then
  echo "$output"
  echo "migrations: src/db/schema.ts has changes with no migration; run 'npm run db:generate' and commit drizzle/" >&2
  exit 1
fi
echo "migrations: schema and committed migrations agree"
