-- Provisioning: HR ids for supervisors, SCIM 2.0 users and groups, idempotent retries, delta sync, bulk import (hand-written; see src/db/schema).
-- Sections are appended by feature; each statement ends with a breakpoint.
ALTER TABLE "supervisors" ADD COLUMN "external_hr_id" text;--> statement-breakpoint
ALTER TABLE "supervisors" ADD CONSTRAINT "supervisors_org_external_hr_id" UNIQUE("organization_id","external_hr_id");--> statement-breakpoint
-- SCIM 2.0 users (src/db/schema/scim.ts) and the organization's default provisioning role.
ALTER TABLE "organizations" ADD COLUMN "provisioning_role" text DEFAULT 'trainee' NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_provisioning_role" CHECK ("provisioning_role" in ('trainee', 'supervisor'));--> statement-breakpoint
CREATE TABLE "scim_users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL CONSTRAINT "scim_users_organization_id_organizations_id_fk" REFERENCES "organizations"("id"),
	"trainee_id" uuid CONSTRAINT "scim_users_trainee_id_trainees_id_fk" REFERENCES "trainees"("id"),
	"supervisor_id" uuid CONSTRAINT "scim_users_supervisor_id_supervisors_id_fk" REFERENCES "supervisors"("id"),
	"user_name" text NOT NULL,
	"external_id" text,
	"given_name" text,
	"family_name" text,
	"formatted_name" text,
	"display_name" text,
	"department" text,
	"manager_id" text,
	"manager_display_name" text,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scim_users_one_person" CHECK (("trainee_id" is null) <> ("supervisor_id" is null))
);--> statement-breakpoint
CREATE UNIQUE INDEX "scim_users_org_user_name" ON "scim_users" ("organization_id", lower("user_name"));--> statement-breakpoint
CREATE UNIQUE INDEX "scim_users_trainee_unique" ON "scim_users" ("trainee_id") WHERE "trainee_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "scim_users_supervisor_unique" ON "scim_users" ("supervisor_id") WHERE "supervisor_id" is not null;--> statement-breakpoint
CREATE INDEX "scim_users_org_created_idx" ON "scim_users" ("organization_id", "created_at", "id");--> statement-breakpoint
-- Idempotency-Key (src/db/schema/idempotency.ts): in-flight markers and stored answers per API key.
CREATE TABLE "idempotency_keys" (
	"api_key_id" uuid NOT NULL CONSTRAINT "idempotency_keys_api_key_id_api_keys_id_fk" REFERENCES "api_keys"("id"),
	"key" text NOT NULL,
	"request_digest" text NOT NULL,
	"lock_token" uuid,
	"locked_until" timestamp with time zone,
	"status" integer,
	"headers" jsonb,
	"body" text,
	"created" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_api_key_id_key_pk" PRIMARY KEY ("api_key_id", "key"),
	CONSTRAINT "idempotency_keys_state" CHECK (("lock_token" is null) = ("status" is not null))
);--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" ("expires_at");
--> statement-breakpoint
-- Delta sync (GET /v1/trainees and /v1/supervisors?updatedSince=): the database stamps updated_at
-- on every insert and update, whatever code path writes, with its own clock (clock_timestamp(), the
-- moment of the write, which is never earlier than the writing transaction's start). The sync's
-- watermark (src/lib/delta-sync.ts) relies on exactly that: a row a sync could not see yet carries
-- an updated_at no earlier than the start of a transaction still open when the sync ran.
CREATE FUNCTION rapport_stamp_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER trainees_stamp_updated_at BEFORE INSERT OR UPDATE ON trainees
  FOR EACH ROW EXECUTE FUNCTION rapport_stamp_updated_at();--> statement-breakpoint
CREATE TRIGGER supervisors_stamp_updated_at BEFORE INSERT OR UPDATE ON supervisors
  FOR EACH ROW EXECUTE FUNCTION rapport_stamp_updated_at();--> statement-breakpoint
CREATE INDEX "trainees_updated_idx" ON "trainees" ("updated_at","id");--> statement-breakpoint
CREATE INDEX "supervisors_updated_idx" ON "supervisors" ("updated_at","id");
