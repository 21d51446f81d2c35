-- SCIM 2.0 groups and their mappings, and single sign-on with OpenID Connect (hand-written; see src/db/schema).
-- Sections are appended by feature; each statement ends with a breakpoint.
-- SCIM 2.0 groups and their members (src/db/schema/scim.ts), mapped to a role or a cohort.
CREATE TABLE "scim_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL CONSTRAINT "scim_groups_organization_id_organizations_id_fk" REFERENCES "organizations"("id"),
	"display_name" text NOT NULL,
	"external_id" text,
	"mapped_role" text,
	"mapped_cohort_id" uuid CONSTRAINT "scim_groups_mapped_cohort_id_cohorts_id_fk" REFERENCES "cohorts"("id"),
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scim_groups_mapped_role" CHECK ("mapped_role" is null or "mapped_role" in ('trainee', 'supervisor')),
	CONSTRAINT "scim_groups_one_mapping" CHECK ("mapped_role" is null or "mapped_cohort_id" is null)
);--> statement-breakpoint
CREATE UNIQUE INDEX "scim_groups_org_display_name" ON "scim_groups" ("organization_id", lower("display_name"));--> statement-breakpoint
CREATE INDEX "scim_groups_org_created_idx" ON "scim_groups" ("organization_id", "created_at", "id");--> statement-breakpoint
CREATE TABLE "scim_group_members" (
	"group_id" uuid NOT NULL CONSTRAINT "scim_group_members_group_id_scim_groups_id_fk" REFERENCES "scim_groups"("id"),
	"scim_user_id" uuid NOT NULL CONSTRAINT "scim_group_members_scim_user_id_scim_users_id_fk" REFERENCES "scim_users"("id"),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scim_group_members_group_id_scim_user_id_pk" PRIMARY KEY("group_id","scim_user_id")
);--> statement-breakpoint
CREATE INDEX "scim_group_members_user_idx" ON "scim_group_members" ("scim_user_id");--> statement-breakpoint
-- Single sign-on with OpenID Connect (src/db/schema/sso.ts): each organization's identity provider, the provider subjects linked to accounts, and sign-ins waiting for the provider's answer.
CREATE TABLE "identity_providers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL CONSTRAINT "identity_providers_organization_id_organizations_id_fk" REFERENCES "organizations"("id"),
	"display_name" text NOT NULL,
	"issuer" text NOT NULL,
	"client_id" text NOT NULL,
	"client_secret" text NOT NULL,
	"email_domains" text[] NOT NULL,
	"require_sso" boolean DEFAULT false NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX "identity_providers_organization_unique" ON "identity_providers" ("organization_id");--> statement-breakpoint
CREATE TABLE "account_identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider_id" uuid NOT NULL CONSTRAINT "account_identities_provider_id_identity_providers_id_fk" REFERENCES "identity_providers"("id"),
	"account_id" uuid NOT NULL CONSTRAINT "account_identities_account_id_accounts_id_fk" REFERENCES "accounts"("id"),
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_sign_in_at" timestamp with time zone
);--> statement-breakpoint
CREATE UNIQUE INDEX "account_identities_issuer_subject" ON "account_identities" ("issuer", "subject");--> statement-breakpoint
CREATE INDEX "account_identities_account_idx" ON "account_identities" ("account_id");--> statement-breakpoint
CREATE TABLE "sso_sign_ins" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"provider_id" uuid NOT NULL CONSTRAINT "sso_sign_ins_provider_id_identity_providers_id_fk" REFERENCES "identity_providers"("id"),
	"code_verifier" text NOT NULL,
	"nonce" text NOT NULL,
	"return_path" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);--> statement-breakpoint
CREATE INDEX "sso_sign_ins_expires_idx" ON "sso_sign_ins" ("expires_at");--> statement-breakpoint
