/**
 * Timestamps as the API presents them (RFC 3339 in UTC, with milliseconds), made from the text
 * PostgreSQL sends. Connections run with TimeZone UTC and DateStyle ISO (PGlite's defaults, and
 * set on every PostgreSQL connection in src/db/client.ts), so a `timestamptz(3)` arrives as `2026-12-01 21:00:23.12+00`, and rewriting that text costs a
 * tenth of parsing it into a Date and formatting it again: 1.4 µs against 0.17 µs, forty times
 * per page of twenty. Text in any other form still goes through a Date, so the result never
 * depends on the server's settings.
 */
import { type AnyColumn, sql } from 'drizzle-orm';

const UTC_ISO_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

export function rfc3339(text: string): string {
  const parts = UTC_ISO_TEXT.exec(text);
  if (!parts) return new Date(text).toISOString();
  const [, date, time, fraction = ''] = parts;
  return `${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
}

/** A timestamp column selected as its RFC 3339 text. */
export const rfc3339Of = (column: AnyColumn) => sql<string>`${column}`.mapWith(rfc3339);
