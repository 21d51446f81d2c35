#!/usr/bin/env bash
# Run once by the postgres image on an empty data directory (mounted at /docker-entrypoint-initdb.d),
# as the superuser, in POSTGRES_DB. Creates the two roles Rapport uses, so the service itself never
# connects as a superuser nor as the owner of its tables:
#   rapport_owner  owns the database and its public schema; runs the migrations (MIGRATION_DATABASE_URL).
#   rapport_app    may log in and connect, nothing else; after every migration run the owner grants it
#                  the rows it needs (DATABASE_URL).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v owner="${RAPPORT_OWNER:-rapport_owner}" -v owner_password="${RAPPORT_OWNER_PASSWORD:?set RAPPORT_OWNER_PASSWORD}" \
  -v app="${RAPPORT_APP:-rapport_app}" -v app_password="${RAPPORT_APP_PASSWORD:?set RAPPORT_APP_PASSWORD}" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO :"owner";
-- Only the two roles connect; nobody but the owner creates anything in the database or its schema.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
