-- Records that must never change once written are guarded by the database itself, so no code
-- path (or hand-written SQL) can rewrite history.

CREATE FUNCTION rapport_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
CREATE TRIGGER observation_revisions_append_only BEFORE UPDATE OR DELETE ON observation_revisions
  FOR EACH ROW EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
CREATE TRIGGER observation_revisions_no_truncate BEFORE TRUNCATE ON observation_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
-- A published rubric version is frozen: only a draft may change, and the only change allowed to a
-- draft besides its content is being published.
CREATE FUNCTION rapport_guard_rubric_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'published' THEN
      RAISE EXCEPTION 'rubric version % is published and cannot be deleted', OLD.id
        USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'published' THEN
    RAISE EXCEPTION 'rubric version % is published and cannot be changed', OLD.id
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.rubric_id <> OLD.rubric_id OR NEW.version <> OLD.version THEN
    RAISE EXCEPTION 'a rubric version keeps its rubric and number' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER rubric_versions_immutable BEFORE UPDATE OR DELETE ON rubric_versions
  FOR EACH ROW EXECUTE FUNCTION rapport_guard_rubric_version();
--> statement-breakpoint
CREATE TRIGGER rubric_versions_no_truncate BEFORE TRUNCATE ON rubric_versions
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_reject_change();
--> statement-breakpoint
-- Once submitted, an observation changes only together with a new revision number (an amendment or
-- an acknowledgement, each recorded whole in observation_revisions), and is never deleted.
CREATE FUNCTION rapport_guard_observation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'observation % is submitted and cannot be deleted', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND NEW.revision <= OLD.revision THEN
    RAISE EXCEPTION 'observation % is submitted: changes need a new revision', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.status <> 'draft' AND NEW.status = 'draft' THEN
    RAISE EXCEPTION 'observation % cannot return to draft', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER observations_guard BEFORE UPDATE OR DELETE ON observations
  FOR EACH ROW EXECUTE FUNCTION rapport_guard_observation();
