CREATE TABLE "item_count_stripes" (
	"owner_id" integer NOT NULL,
	"bucketlist_id" integer NOT NULL,
	"stripe" smallint NOT NULL,
	"items" integer NOT NULL,
	"changes" integer NOT NULL,
	CONSTRAINT "item_count_stripes_pkey" PRIMARY KEY("owner_id","bucketlist_id","stripe")
);
--> statement-breakpoint
ALTER TABLE "bucketlists" ADD COLUMN "item_count_striped" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "item_count_stripes" ADD CONSTRAINT "item_count_stripes_bucketlist_owner_fk" FOREIGN KEY ("bucketlist_id","owner_id") REFERENCES "public"."bucketlists"("id","owner_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bucketlists_item_count_striped_idx" ON "bucketlists" USING btree ("id") WHERE "bucketlists"."item_count_striped";--> statement-breakpoint
-- The item triggers of 0001 added each change to the bucketlist's own row, so concurrent writers
-- into one bucketlist queued on that row's lock until each other's commit. Now a change goes to
-- the row only when no one else holds it; otherwise to the writer's connection's stripe, and the
-- bucketlist is marked striped (once: the first such writer waits for the row to set the mark).
-- Readers add the stripes only of a striped bucketlist, so the others read as before.
--
-- Locks: a stripe is written under FOR KEY SHARE on the bucketlist, which the maintenance job's
-- fold (FOR UPDATE) waits for, so a fold sees every stripe change that will ever be made before it
-- clears the mark. A cascaded delete finds the bucketlist gone and counts nothing.
CREATE FUNCTION bucketlists_count_items(list_id integer, list_owner integer, added integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  striped boolean;
BEGIN
  UPDATE bucketlists SET item_count = item_count + added, version = version + 1
   WHERE id = list_id AND owner_id = list_owner
     AND id = (SELECT id FROM bucketlists
                WHERE id = list_id AND owner_id = list_owner AND NOT item_count_striped
                  FOR NO KEY UPDATE SKIP LOCKED);
  IF FOUND THEN
    RETURN;
  END IF;
  SELECT item_count_striped INTO striped FROM bucketlists
   WHERE id = list_id AND owner_id = list_owner FOR KEY SHARE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO item_count_stripes AS stripe (owner_id, bucketlist_id, stripe, items, changes)
  VALUES (list_owner, list_id, pg_backend_pid() % 64, added, 1)
  ON CONFLICT (owner_id, bucketlist_id, stripe)
  DO UPDATE SET items = stripe.items + excluded.items, changes = stripe.changes + 1;
  IF NOT striped THEN
    UPDATE bucketlists SET item_count_striped = true WHERE id = list_id AND owner_id = list_owner;
  END IF;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION bucketlists_count_inserted_items() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  list record;
BEGIN
  -- In id order, so that two statements touching the same bucketlists lock them in one order.
  FOR list IN SELECT bucketlist_id, owner_id, count(*)::int AS n FROM new_items GROUP BY 1, 2 ORDER BY 1 LOOP
    PERFORM bucketlists_count_items(list.bucketlist_id, list.owner_id, list.n);
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION bucketlists_count_deleted_items() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  list record;
BEGIN
  FOR list IN SELECT bucketlist_id, owner_id, count(*)::int AS n FROM old_items GROUP BY 1, 2 ORDER BY 1 LOOP
    PERFORM bucketlists_count_items(list.bucketlist_id, list.owner_id, -list.n);
  END LOOP;
  RETURN NULL;
END $$;
