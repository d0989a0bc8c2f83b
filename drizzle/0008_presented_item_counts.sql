-- The stripes' sums for a bucketlist's presented item count and version (src/repositories/item-counts.ts),
-- as a function that a read calls only for a striped bucketlist. A subquery in the select list
-- costs every execution of the statement, striped or not: PostgreSQL sets up each subplan when the
-- statement starts, which took about a sixth of the single-bucketlist GET's throughput in the
-- database (pgbench). STABLE: it reads in the calling statement's snapshot, so the sums agree with
-- the row that statement read.
CREATE FUNCTION bucketlist_stripes_sum(list_owner integer, list_id integer, of_changes boolean) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(sum(CASE WHEN of_changes THEN changes ELSE items END), 0)::int
            FROM item_count_stripes
           WHERE owner_id = list_owner AND bucketlist_id = list_id);
END $$;
