CREATE SEQUENCE "public"."certificate_serial" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"serial" text NOT NULL,
	"verification_code" text NOT NULL,
	"trainee_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"rule_set_id" uuid NOT NULL,
	"trainee_name" text NOT NULL,
	"program_name" text NOT NULL,
	"issuer_name" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"issued_by" uuid,
	"evidence" jsonb NOT NULL,
	"credential" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"revoked_by" uuid,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "certificates_serial_unique" UNIQUE("serial"),
	CONSTRAINT "certificates_verification_code_unique" UNIQUE("verification_code"),
	CONSTRAINT "certificates_revocation" CHECK (("certificates"."revoked_at" is null) = ("certificates"."revocation_reason" is null))
);
--> statement-breakpoint
CREATE TABLE "eligibility_rule_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"program_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"source" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "eligibility_rule_sets_version" UNIQUE("program_id","version"),
	CONSTRAINT "eligibility_rule_sets_version_positive" CHECK ("eligibility_rule_sets"."version" >= 1)
);
--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_trainee_id_trainees_id_fk" FOREIGN KEY ("trainee_id") REFERENCES "public"."trainees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_rule_set_id_eligibility_rule_sets_id_fk" FOREIGN KEY ("rule_set_id") REFERENCES "public"."eligibility_rule_sets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_issued_by_accounts_id_fk" FOREIGN KEY ("issued_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_revoked_by_accounts_id_fk" FOREIGN KEY ("revoked_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eligibility_rule_sets" ADD CONSTRAINT "eligibility_rule_sets_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eligibility_rule_sets" ADD CONSTRAINT "eligibility_rule_sets_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_one_valid" ON "certificates" USING btree ("trainee_id","program_id") WHERE "certificates"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "certificates_program_idx" ON "certificates" USING btree ("program_id","issued_at");--> statement-breakpoint
-- Rule set versions are history: a change is a new version, never an edit.
CREATE TRIGGER eligibility_rule_sets_append_only BEFORE UPDATE OR DELETE ON eligibility_rule_sets
  FOR EACH ROW EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
CREATE TRIGGER eligibility_rule_sets_no_truncate BEFORE TRUNCATE ON eligibility_rule_sets
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
-- An issued certificate is never deleted and never altered, except to be revoked, once.
CREATE FUNCTION rapport_guard_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'certificate % cannot be deleted; revoke it', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.revoked_at IS NOT NULL THEN
    RAISE EXCEPTION 'certificate % is revoked and cannot change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.revoked_at IS NULL OR NEW.revision <= OLD.revision
    OR (NEW.id, NEW.serial, NEW.verification_code, NEW.trainee_id, NEW.program_id, NEW.rule_set_id, NEW.trainee_name,
        NEW.program_name, NEW.issuer_name, NEW.issued_at, NEW.issued_by, NEW.evidence, NEW.credential, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.serial, OLD.verification_code, OLD.trainee_id, OLD.program_id, OLD.rule_set_id, OLD.trainee_name,
        OLD.program_name, OLD.issuer_name, OLD.issued_at, OLD.issued_by, OLD.evidence, OLD.credential, OLD.created_at) THEN
    RAISE EXCEPTION 'certificate % can only be revoked', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER certificates_guard BEFORE UPDATE OR DELETE ON certificates
  FOR EACH ROW EXECUTE FUNCTION rapport_guard_certificate();
--> statement-breakpoint
CREATE TRIGGER certificates_no_truncate BEFORE TRUNCATE ON certificates
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_reject_change();
