-- Tenancy: programs serve organizations; one account per person (hand-written; see src/db/schema).
CREATE TABLE "program_organizations" (
	"program_id" uuid NOT NULL,
	"organization_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "program_organizations_program_id_organization_id_pk" PRIMARY KEY("program_id","organization_id")
);
--> statement-breakpoint
ALTER TABLE "program_organizations" ADD CONSTRAINT "program_organizations_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "program_organizations" ADD CONSTRAINT "program_organizations_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "program_organizations_organization_idx" ON "program_organizations" USING btree ("organization_id");--> statement-breakpoint
-- A program serves every organization whose trainees are placed in its cohorts today (deactivated
-- trainees too, so no existing placement becomes invalid). Assignments are never a source: a
-- supervisor assigned across the wall is exactly what the links exist to refuse.
INSERT INTO "program_organizations" ("program_id", "organization_id")
SELECT DISTINCT "cohorts"."program_id", "trainees"."organization_id"
FROM "trainees" INNER JOIN "cohorts" ON "cohorts"."id" = "trainees"."cohort_id"
ON CONFLICT DO NOTHING;--> statement-breakpoint
-- Every existing assignment the new rules would refuse, logged for admins to review
-- (GET /v1/audit-events?action=assignment.outside_tenancy). Nothing is changed: ending one is a decision.
INSERT INTO "audit_events" ("action", "object_type", "object_id", "changes")
SELECT 'assignment.outside_tenancy', 'assignment', "a"."id"::text, jsonb_build_object(
	'supervisorId', "a"."supervisor_id", 'traineeId', "a"."trainee_id", 'active', "a"."active",
	'supervisorOrganizationId', "s"."organization_id", 'traineeOrganizationId', "t"."organization_id", 'programId', "c"."program_id",
	'reason', CASE WHEN "c"."id" IS NULL
		THEN 'the trainee is in no cohort and the supervisor belongs to another organization'
		ELSE 'the trainee''s program does not serve the supervisor''s organization' END)
FROM "assignments" "a"
INNER JOIN "supervisors" "s" ON "s"."id" = "a"."supervisor_id"
INNER JOIN "trainees" "t" ON "t"."id" = "a"."trainee_id"
LEFT JOIN "cohorts" "c" ON "c"."id" = "t"."cohort_id"
WHERE CASE WHEN "c"."id" IS NULL THEN "s"."organization_id" <> "t"."organization_id"
	ELSE NOT EXISTS (SELECT 1 FROM "program_organizations" "po" WHERE "po"."program_id" = "c"."program_id" AND "po"."organization_id" = "s"."organization_id") END
ORDER BY "a"."created_at", "a"."id";--> statement-breakpoint
-- One account per person. Where a person has several, one is kept (the active one, then the one with a
-- password, then the oldest); every other is deactivated and unlinked, which is why the scope check now
-- lets a deactivated account lack its link. Nothing is deleted: the row stays (observations and their
-- revisions name it as author), its keys stay (they no longer work), and an audit row per account
-- (account.unlink_duplicate, no actor) records the link it had and the account kept.
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_scope";--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_scope" CHECK (
    ("accounts"."supervisor_id" is null or "accounts"."role" = 'supervisor')
    and ("accounts"."trainee_id" is null or "accounts"."role" = 'trainee')
    and ("accounts"."role" = 'integrator') = ("accounts"."organization_id" is not null)
    and ("accounts"."role" <> 'supervisor' or "accounts"."supervisor_id" is not null or not "accounts"."active")
    and ("accounts"."role" <> 'trainee' or "accounts"."trainee_id" is not null or not "accounts"."active"));--> statement-breakpoint
WITH "ranked" AS (
	SELECT "id", "supervisor_id" AS "person", "active", first_value("id") OVER "w" AS "kept", row_number() OVER "w" AS "n"
	FROM "accounts" WHERE "supervisor_id" IS NOT NULL
	WINDOW "w" AS (PARTITION BY "supervisor_id" ORDER BY "active" DESC, ("password_hash" IS NOT NULL) DESC, "created_at", "id")
), "dup" AS (SELECT * FROM "ranked" WHERE "n" > 1),
"logged" AS (
	INSERT INTO "audit_events" ("action", "object_type", "object_id", "changes")
	SELECT 'account.unlink_duplicate', 'account', "id"::text, jsonb_build_object(
		'supervisorId', jsonb_build_object('from', "person", 'to', null), 'active', jsonb_build_object('from', "active", 'to', false), 'keptAccountId', "kept")
	FROM "dup"
),
"ended" AS (DELETE FROM "web_sessions" WHERE "account_id" IN (SELECT "id" FROM "dup")),
"spent" AS (UPDATE "account_invitations" SET "used_at" = now() WHERE "used_at" IS NULL AND "account_id" IN (SELECT "id" FROM "dup"))
UPDATE "accounts" SET "supervisor_id" = NULL, "active" = false, "revision" = "accounts"."revision" + 1, "updated_at" = now()
FROM "dup" WHERE "accounts"."id" = "dup"."id";--> statement-breakpoint
WITH "ranked" AS (
	SELECT "id", "trainee_id" AS "person", "active", first_value("id") OVER "w" AS "kept", row_number() OVER "w" AS "n"
	FROM "accounts" WHERE "trainee_id" IS NOT NULL
	WINDOW "w" AS (PARTITION BY "trainee_id" ORDER BY "active" DESC, ("password_hash" IS NOT NULL) DESC, "created_at", "id")
), "dup" AS (SELECT * FROM "ranked" WHERE "n" > 1),
"logged" AS (
	INSERT INTO "audit_events" ("action", "object_type", "object_id", "changes")
	SELECT 'account.unlink_duplicate', 'account', "id"::text, jsonb_build_object(
		'traineeId', jsonb_build_object('from', "person", 'to', null), 'active', jsonb_build_object('from', "active", 'to', false), 'keptAccountId', "kept")
	FROM "dup"
),
"ended" AS (DELETE FROM "web_sessions" WHERE "account_id" IN (SELECT "id" FROM "dup")),
"spent" AS (UPDATE "account_invitations" SET "used_at" = now() WHERE "used_at" IS NULL AND "account_id" IN (SELECT "id" FROM "dup"))
UPDATE "accounts" SET "trainee_id" = NULL, "active" = false, "revision" = "accounts"."revision" + 1, "updated_at" = now()
FROM "dup" WHERE "accounts"."id" = "dup"."id";--> statement-breakpoint
DROP INDEX "accounts_supervisor_idx";--> statement-breakpoint
DROP INDEX "accounts_trainee_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_supervisor_unique" ON "accounts" USING btree ("supervisor_id") WHERE "accounts"."supervisor_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_trainee_unique" ON "accounts" USING btree ("trainee_id") WHERE "accounts"."trainee_id" is not null;
