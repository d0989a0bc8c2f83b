/**
 * Case folding for the stored search columns (`name_folded`, `description_folded`). Text is folded
 * in the application because PGlite's C locale folds only ASCII; every write path and every search
 * must fold the same way, so this is the one definition.
 */

/** A caseless form of the text: NFC, then upper- and lower-cased so that ß matches SS. */
export const foldCase = (text: string) => text.normalize('NFC').toUpperCase().toLowerCase();

export const foldNullable = (text: string | null) => (text === null ? null : foldCase(text));
