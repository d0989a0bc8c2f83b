-- Accounts that existed before the admins' search: their folded name (lower() folds as the
-- application does for ASCII, and also beyond ASCII on a server with a Unicode locale).
UPDATE users SET name_folded = lower(name) WHERE name_folded = '';
--> statement-breakpoint
-- A bucketlist's representation carries the caller's role, so a change of membership changes what
-- a member reads: it bumps the bucketlist's version, and so its ETag, as an item count change does.
-- Every write path (API, cascades from a deleted user) goes through here.
CREATE FUNCTION bucketlists_version_on_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE bucketlists SET version = version + 1 WHERE id = OLD.bucketlist_id AND owner_id = OLD.owner_id;
  ELSE
    UPDATE bucketlists SET version = version + 1 WHERE id = NEW.bucketlist_id AND owner_id = NEW.owner_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER memberships_bump_bucketlist_version AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION bucketlists_version_on_membership();
