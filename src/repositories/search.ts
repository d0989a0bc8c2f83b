/**
 * Case-insensitive search that works the same on PostgreSQL and PGlite: text is folded in the
 * application (PGlite's C locale folds only ASCII) and stored beside the original.
 */

/** A caseless form of the text: NFC, then upper- and lower-cased so that ß matches SS. */
export const foldCase = (text: string) => text.normalize('NFC').toUpperCase().toLowerCase();

export const foldNullable = (text: string | null) => (text === null ? null : foldCase(text));

/** A LIKE pattern matching the folded query anywhere, with `\`, `%` and `_` taken literally. */
export const containsPattern = (query: string) => `%${foldCase(query).replace(/[\\%_]/g, '\\$&')}%`;
