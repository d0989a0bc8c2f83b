-- Every key of a distributed table includes owner_id (docs/scaling.md): the primary keys of
-- bucketlists, items and exports become (owner_id, id), and export_chunks carries its export's owner.
-- The chunks' foreign key depends on exports_pkey: it goes first, and comes back composite.
ALTER TABLE "export_chunks" DROP CONSTRAINT "export_chunks_export_id_exports_id_fk";--> statement-breakpoint
ALTER TABLE "export_chunks" DROP CONSTRAINT "export_chunks_export_id_run_id_seq_pk";--> statement-breakpoint
ALTER TABLE "bucketlists" DROP CONSTRAINT "bucketlists_pkey";--> statement-breakpoint
ALTER TABLE "bucketlists" ADD CONSTRAINT "bucketlists_pkey" PRIMARY KEY("owner_id","id");--> statement-breakpoint
-- The new primary key serves what this index did.
DROP INDEX "bucketlists_owner_id_id_idx";--> statement-breakpoint
ALTER TABLE "items" DROP CONSTRAINT "items_pkey";--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_pkey" PRIMARY KEY("owner_id","id");--> statement-breakpoint
DROP INDEX "items_owner_id_idx";--> statement-breakpoint
ALTER TABLE "exports" DROP CONSTRAINT "exports_pkey";--> statement-breakpoint
ALTER TABLE "exports" ADD CONSTRAINT "exports_pkey" PRIMARY KEY("owner_id","id");--> statement-breakpoint
ALTER TABLE "exports" ADD CONSTRAINT "exports_id_owner_id_key" UNIQUE("id","owner_id");--> statement-breakpoint
DROP INDEX "exports_owner_id_id_idx";--> statement-breakpoint
-- Existing chunks take their export's owner before the column is required.
ALTER TABLE "export_chunks" ADD COLUMN "owner_id" integer;--> statement-breakpoint
UPDATE "export_chunks" SET "owner_id" = "exports"."owner_id" FROM "exports" WHERE "exports"."id" = "export_chunks"."export_id";--> statement-breakpoint
ALTER TABLE "export_chunks" ALTER COLUMN "owner_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "export_chunks" ADD CONSTRAINT "export_chunks_pkey" PRIMARY KEY("owner_id","export_id","run_id","seq");--> statement-breakpoint
ALTER TABLE "export_chunks" ADD CONSTRAINT "export_chunks_export_owner_fk" FOREIGN KEY ("export_id","owner_id") REFERENCES "public"."exports"("id","owner_id") ON DELETE cascade ON UPDATE no action;
