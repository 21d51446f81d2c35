#!/usr/bin/env bash
# Development only, before the first release: regenerates migrations/0000_init.sql from the schema
# and keeps the hand-written 0001_guards.sql. Once a migration has been released it is never edited;
# later changes get new migrations from `npm run db:generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
guards=$(cat migrations/0001_guards.sql)
rm -rf migrations
npx drizzle-kit generate --name init >/dev/null
npx drizzle-kit generate --custom --name guards >/dev/null
printf '%s\n' "$guards" > migrations/0001_guards.sql
echo "migrations regenerated"
