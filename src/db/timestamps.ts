/**
 * Timestamps as the API presents them (RFC 3339 in UTC, with milliseconds), made from the text
 * PostgreSQL sends. Connections run with TimeZone UTC and DateStyle ISO (PGlite's defaults, and
 * set on every PostgreSQL connection in src/db/client.ts), so a `timestamptz(3)` arrives as
 * `2026-12-01 21:00:23.12+00`, and rewriting that text is far cheaper than parsing it into a Date
 * and formatting it again, which a page would do forty times. Text in any other
 * form still goes through a Date, so the result never depends on the server's settings.
 */
import { customType } from 'drizzle-orm/pg-core';

const UTC_ISO_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

export function rfc3339(text: string): string {
  const parts = UTC_ISO_TEXT.exec(text);
  if (!parts) return new Date(text).toISOString();
  const [, date, time, fraction = ''] = parts;
  return `${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
}

/**
 * A `timestamptz(3)` column whose values are RFC 3339 text: read through `rfc3339`, written as any
 * text PostgreSQL reads as a timestamp. As a column rather than a `sql` expression it is cheap for
 * Drizzle's row mapping, which walks the prototype chain of every selected field that is not a
 * column (twice when the field is nested).
 */
export const rfc3339Timestamp = customType<{ data: string; driverData: string }>({
  dataType: () => 'timestamp (3) with time zone',
  fromDriver: rfc3339,
});
