-- Keeps bucketlists.item_count right on every write path (API, seed, cascades), and bumps the
-- bucketlist's version with it, because the count is part of the bucketlist's representation
-- and so of its ETag. Statement-level triggers with transition tables: one UPDATE per statement,
-- however many items it touched.
CREATE FUNCTION bucketlists_count_inserted_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE bucketlists AS b
     SET item_count = b.item_count + added.n, version = b.version + 1
    FROM (SELECT bucketlist_id, count(*)::int AS n FROM new_items GROUP BY bucketlist_id) AS added
   WHERE b.id = added.bucketlist_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION bucketlists_count_deleted_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE bucketlists AS b
     SET item_count = b.item_count - removed.n, version = b.version + 1
    FROM (SELECT bucketlist_id, count(*)::int AS n FROM old_items GROUP BY bucketlist_id) AS removed
   WHERE b.id = removed.bucketlist_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER items_counted_on_insert AFTER INSERT ON items
  REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION bucketlists_count_inserted_items();
--> statement-breakpoint
CREATE TRIGGER items_counted_on_delete AFTER DELETE ON items
  REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION bucketlists_count_deleted_items();
