CREATE TABLE "trainee_evidence" (
	"trainee_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"session_dates" date[] DEFAULT '{}'::date[] NOT NULL,
	"supervisor_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"modalities" "modality"[] DEFAULT '{}'::modality[] NOT NULL,
	"settings" text[] DEFAULT '{}'::text[] NOT NULL,
	"durations" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"acknowledged" boolean[] DEFAULT '{}'::boolean[] NOT NULL,
	"min_levels" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"scored_masks" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"area_scores" jsonb[] DEFAULT '{}'::jsonb[] NOT NULL,
	CONSTRAINT "trainee_evidence_trainee_id_program_id_pk" PRIMARY KEY("trainee_id","program_id")
);
--> statement-breakpoint
ALTER TABLE "trainee_evidence" ADD CONSTRAINT "trainee_evidence_trainee_id_trainees_id_fk" FOREIGN KEY ("trainee_id") REFERENCES "public"."trainees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trainee_evidence" ADD CONSTRAINT "trainee_evidence_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Recomputes the evidence rows of the given (trainee, program) pairs from their submitted and
-- acknowledged observations and those observations' summaries. The rows are locked first, in key
-- order: a second transaction refreshing the same trainee waits for the first to commit, and its
-- next statement (READ COMMITTED, a volatile function: a new snapshot) then sees the first one's
-- observations too, so concurrent submissions never overwrite each other's evidence.
CREATE FUNCTION rapport_refresh_trainee_evidence(trainee_ids uuid[], program_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trainee_evidence (trainee_id, program_id)
    SELECT DISTINCT k.trainee_id, k.program_id FROM unnest(trainee_ids, program_ids) k(trainee_id, program_id)
    ORDER BY 1, 2 ON CONFLICT DO NOTHING;
  PERFORM 1 FROM trainee_evidence e JOIN unnest(trainee_ids, program_ids) k(trainee_id, program_id)
    ON e.trainee_id = k.trainee_id AND e.program_id = k.program_id
    ORDER BY e.trainee_id, e.program_id FOR UPDATE OF e;
  WITH keys AS (SELECT DISTINCT k.trainee_id, k.program_id FROM unnest(trainee_ids, program_ids) k(trainee_id, program_id)),
  fresh AS (
    SELECT o.trainee_id, o.program_id,
      array_agg(o.session_date ORDER BY o.session_date DESC, o.id DESC) AS session_dates,
      array_agg(o.supervisor_id ORDER BY o.session_date DESC, o.id DESC) AS supervisor_ids,
      array_agg(o.modality ORDER BY o.session_date DESC, o.id DESC) AS modalities,
      array_agg(btrim(o.setting) ORDER BY o.session_date DESC, o.id DESC) AS settings,
      array_agg(o.duration_minutes ORDER BY o.session_date DESC, o.id DESC) AS durations,
      array_agg(o.status = 'acknowledged' ORDER BY o.session_date DESC, o.id DESC) AS acknowledged,
      array_agg(sm.min_level ORDER BY o.session_date DESC, o.id DESC) AS min_levels,
      array_agg(sm.scored_mask ORDER BY o.session_date DESC, o.id DESC) AS scored_masks,
      array_agg(sm.area_scores ORDER BY o.session_date DESC, o.id DESC) AS area_scores
    FROM keys k JOIN observations o ON o.trainee_id = k.trainee_id AND o.program_id = k.program_id
    LEFT JOIN observation_summaries sm ON sm.observation_id = o.id
    WHERE o.status <> 'draft'
    GROUP BY o.trainee_id, o.program_id
  )
  UPDATE trainee_evidence e SET
    session_dates = coalesce(f.session_dates, '{}'), supervisor_ids = coalesce(f.supervisor_ids, '{}'),
    modalities = coalesce(f.modalities, '{}'), settings = coalesce(f.settings, '{}'), durations = coalesce(f.durations, '{}'),
    acknowledged = coalesce(f.acknowledged, '{}'), min_levels = coalesce(f.min_levels, '{}'),
    scored_masks = coalesce(f.scored_masks, '{}'), area_scores = coalesce(f.area_scores, '{}')
  FROM keys k LEFT JOIN fresh f ON f.trainee_id = k.trainee_id AND f.program_id = k.program_id
  WHERE e.trainee_id = k.trainee_id AND e.program_id = k.program_id;
END
$$;
--> statement-breakpoint
-- Observations written: refresh the trainees whose submitted or acknowledged observations changed
-- (a draft saved, as most writes are, changes no evidence).
CREATE FUNCTION rapport_observations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t uuid[];
  p uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(trainee_id), array_agg(program_id) INTO t, p
      FROM (SELECT DISTINCT trainee_id, program_id FROM new_rows WHERE status <> 'draft') k;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(trainee_id), array_agg(program_id) INTO t, p FROM (
      SELECT trainee_id, program_id FROM new_rows WHERE status <> 'draft'
      UNION SELECT trainee_id, program_id FROM old_rows WHERE status <> 'draft') k;
  ELSE
    SELECT array_agg(trainee_id), array_agg(program_id) INTO t, p
      FROM (SELECT DISTINCT trainee_id, program_id FROM old_rows WHERE status <> 'draft') k;
  END IF;
  IF t IS NOT NULL THEN
    PERFORM rapport_refresh_trainee_evidence(t, p);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Summaries written (scores scored or corrected): refresh the trainees of those observations that are submitted.
CREATE FUNCTION rapport_summaries_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t uuid[];
  p uuid[];
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT array_agg(trainee_id), array_agg(program_id) INTO t, p FROM (
      SELECT DISTINCT o.trainee_id, o.program_id FROM old_rows s JOIN observations o ON o.id = s.observation_id WHERE o.status <> 'draft') k;
  ELSE
    SELECT array_agg(trainee_id), array_agg(program_id) INTO t, p FROM (
      SELECT DISTINCT o.trainee_id, o.program_id FROM new_rows s JOIN observations o ON o.id = s.observation_id WHERE o.status <> 'draft') k;
  END IF;
  IF t IS NOT NULL THEN
    PERFORM rapport_refresh_trainee_evidence(t, p);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER observations_evidence_insert AFTER INSERT ON observations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_observations_changed();
--> statement-breakpoint
CREATE TRIGGER observations_evidence_update AFTER UPDATE ON observations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_observations_changed();
--> statement-breakpoint
CREATE TRIGGER observations_evidence_delete AFTER DELETE ON observations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_observations_changed();
--> statement-breakpoint
CREATE TRIGGER observation_summaries_evidence_insert AFTER INSERT ON observation_summaries
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_summaries_changed();
--> statement-breakpoint
CREATE TRIGGER observation_summaries_evidence_update AFTER UPDATE ON observation_summaries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_summaries_changed();
--> statement-breakpoint
CREATE TRIGGER observation_summaries_evidence_delete AFTER DELETE ON observation_summaries
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_summaries_changed();
--> statement-breakpoint
SELECT rapport_refresh_trainee_evidence(array_agg(trainee_id), array_agg(program_id))
  FROM (SELECT DISTINCT trainee_id, program_id FROM observations WHERE status <> 'draft') k;
