-- Provisioning: HR ids for supervisors, SCIM 2.0 users and groups, idempotent retries, delta sync, bulk import (hand-written; see src/db/schema).
-- Sections are appended by feature; each statement ends with a breakpoint.
ALTER TABLE "supervisors" ADD COLUMN "external_hr_id" text;--> statement-breakpoint
ALTER TABLE "supervisors" ADD CONSTRAINT "supervisors_org_external_hr_id" UNIQUE("organization_id","external_hr_id");
