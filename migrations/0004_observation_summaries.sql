CREATE TABLE "observation_summaries" (
	"observation_id" uuid PRIMARY KEY NOT NULL,
	"min_level" integer,
	"scored_criteria" text[] DEFAULT '{}'::text[] NOT NULL,
	"area_scores" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"scored_mask" bigint
);
--> statement-breakpoint
ALTER TABLE "observation_summaries" ADD CONSTRAINT "observation_summaries_observation_id_observations_id_fk" FOREIGN KEY ("observation_id") REFERENCES "public"."observations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Recomputes the summaries of the given observations from their scores and their rubric version.
CREATE FUNCTION rapport_refresh_observation_summaries(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO observation_summaries (observation_id, min_level, scored_criteria, area_scores, scored_mask)
  SELECT o.id,
    (SELECT min(s.level_value) FROM observation_scores s WHERE s.observation_id = o.id),
    coalesce((SELECT array_agg(s.criterion_key ORDER BY s.criterion_key) FROM observation_scores s
      WHERE s.observation_id = o.id AND s.level_value IS NOT NULL), '{}'::text[]),
    coalesce((SELECT jsonb_object_agg(x.area_key, x.score) FROM (
      SELECT a.value->>'key' AS area_key,
        round(sum(s.level_value * coalesce((c.value->>'weight')::numeric, 1)) / sum(coalesce((c.value->>'weight')::numeric, 1)), 2) AS score
      FROM rubric_versions rv
      CROSS JOIN LATERAL jsonb_array_elements(rv.definition->'areas') a
      CROSS JOIN LATERAL jsonb_array_elements(a.value->'criteria') c
      JOIN observation_scores s ON s.observation_id = o.id AND s.criterion_key = c.value->>'key' AND s.level_value IS NOT NULL
      WHERE rv.id = o.rubric_version_id
      GROUP BY a.value->>'key'
    ) x), '{}'::jsonb),
    -- Bit i: the rubric's i-th criterion (areas, then criteria, in order) was scored; for rubrics of up to 63 criteria.
    (SELECT coalesce(sum(1::bigint << (c.position - 1)::int), 0) FROM (
      SELECT cc.value->>'key' AS key, row_number() OVER (ORDER BY a.ordinality, cc.ordinality) AS position
      FROM rubric_versions rv
      CROSS JOIN LATERAL jsonb_array_elements(rv.definition->'areas') WITH ORDINALITY a
      CROSS JOIN LATERAL jsonb_array_elements(a.value->'criteria') WITH ORDINALITY cc
      WHERE rv.id = o.rubric_version_id
    ) c JOIN observation_scores s ON s.observation_id = o.id AND s.criterion_key = c.key AND s.level_value IS NOT NULL
    WHERE c.position <= 63)
  FROM observations o WHERE o.id = ANY(ids)
  ON CONFLICT (observation_id) DO UPDATE
    SET min_level = EXCLUDED.min_level, scored_criteria = EXCLUDED.scored_criteria, area_scores = EXCLUDED.area_scores,
      scored_mask = EXCLUDED.scored_mask
$$;
--> statement-breakpoint
CREATE FUNCTION rapport_scores_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM rapport_refresh_observation_summaries(ARRAY(SELECT DISTINCT observation_id FROM new_scores));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM rapport_refresh_observation_summaries(ARRAY(SELECT observation_id FROM new_scores UNION SELECT observation_id FROM old_scores));
  ELSE
    PERFORM rapport_refresh_observation_summaries(ARRAY(SELECT DISTINCT observation_id FROM old_scores));
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER observation_scores_summary_insert AFTER INSERT ON observation_scores
  REFERENCING NEW TABLE AS new_scores FOR EACH STATEMENT EXECUTE FUNCTION rapport_scores_changed();
--> statement-breakpoint
CREATE TRIGGER observation_scores_summary_update AFTER UPDATE ON observation_scores
  REFERENCING OLD TABLE AS old_scores NEW TABLE AS new_scores FOR EACH STATEMENT EXECUTE FUNCTION rapport_scores_changed();
--> statement-breakpoint
CREATE TRIGGER observation_scores_summary_delete AFTER DELETE ON observation_scores
  REFERENCING OLD TABLE AS old_scores FOR EACH STATEMENT EXECUTE FUNCTION rapport_scores_changed();
--> statement-breakpoint
SELECT rapport_refresh_observation_summaries(ARRAY(SELECT id FROM observations));
