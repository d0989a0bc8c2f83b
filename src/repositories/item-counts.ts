/**
 * A bucketlist's item count and version as presented: its row's values plus, while it is striped,
 * its stripes' sums (the item triggers write stripes when concurrent writers contend for the row;
 * see src/db/schema.ts). Only a striped bucketlist pays for the stripes' lookup: the CASE calls
 * the sum for it alone. The maintenance job folds the stripes back into the rows.
 */
import { type AnyColumn, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { bucketlists } from '../db/schema.js';

// The row's value, plus the stripes' sum (of their changes when `ofChanges`) while the bucketlist is
// striped. The sum is a function call (drizzle/0008_presented_item_counts.sql) rather than a
// subquery, so that a statement over bucketlists that are not striped sets up no scan of the stripes.
const withStripes = (rowColumn: AnyColumn, ofChanges: boolean) =>
  sql<number>`(case when ${bucketlists.itemCountStriped} then ${rowColumn} + bucketlist_stripes_sum(${bucketlists.ownerId}, ${bucketlists.id}, ${sql.raw(String(ofChanges))}) else ${rowColumn} end)`;

/** How many items the bucketlist holds. */
export const presentedItemCount = withStripes(bucketlists.itemCount, false);

/** The bucketlist's version, which every change of its representation (item count included) moves up. */
export const presentedVersion = withStripes(bucketlists.version, true);

/** How many striped bucketlists one fold takes at most (the job runs again on its schedule). */
const FOLD_BATCH = 1000;

export function createItemCountRepository(db: Database) {
  return {
    /**
     * Folds the stripes of striped bucketlists that no transaction is writing into their rows, and
     * clears their mark; the presented count and version stay as they were. Returns how many
     * bucketlists it folded.
     */
    async foldStripes(): Promise<number> {
      return db.transaction(async (tx) => {
        // FOR UPDATE waits for no writer: those holding the row (a stripe write's KEY SHARE) are
        // skipped, and the next run takes them.
        const lists = await tx
          .select({ ownerId: bucketlists.ownerId, id: bucketlists.id })
          .from(bucketlists)
          .where(eq(bucketlists.itemCountStriped, true))
          .limit(FOLD_BATCH)
          .for('update', { skipLocked: true });
        if (lists.length === 0) return 0;
        const owners = sql.param(lists.map((list) => list.ownerId));
        const ids = sql.param(lists.map((list) => list.id));
        // A statement of its own, so that its snapshot holds every stripe committed before the locks.
        await tx.execute(sql`
          with listed as (
            select * from unnest(${owners}::int[], ${ids}::int[]) as listed (owner_id, id)
          ), folded as (
            delete from item_count_stripes as stripe using listed
             where stripe.owner_id = listed.owner_id and stripe.bucketlist_id = listed.id
            returning stripe.owner_id, stripe.bucketlist_id, stripe.items, stripe.changes
          ), sums as (
            select owner_id, bucketlist_id, sum(items)::int as items, sum(changes)::int as changes
              from folded group by owner_id, bucketlist_id
          )
          update bucketlists as list
             set item_count = list.item_count + coalesce(sums.items, 0),
                 version = list.version + coalesce(sums.changes, 0),
                 item_count_striped = false
            from listed left join sums on sums.owner_id = listed.owner_id and sums.bucketlist_id = listed.id
           where list.owner_id = listed.owner_id and list.id = listed.id`);
        return lists.length;
      });
    },
  };
}
