/**
 * Case-insensitive search that works the same on PostgreSQL and PGlite: the query is folded like
 * the stored columns (src/db/folding.ts) and matched literally.
 */
import { foldCase } from '../db/folding.js';

/** A LIKE pattern matching the folded query anywhere, with `\`, `%` and `_` taken literally. */
export const containsPattern = (query: string) => `%${foldCase(query).replace(/[\\%_]/g, '\\$&')}%`;

/**
 * False when no stored text can contain the query: PostgreSQL text never holds U+0000 (the
 * schemas refuse it), and sending one in a parameter is an error rather than a non-match.
 */
export const canMatchStoredText = (query: string) => !query.includes('\u0000');
