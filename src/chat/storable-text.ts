/**
 * True when PostgreSQL stores `s` exactly as JavaScript holds it, so a hash computed over the
 * string matches the stored row: no NUL (text columns refuse it) and well-formed UTF-16 (the
 * driver would silently turn a lone surrogate into U+FFFD).
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && (s as string & { isWellFormed(): boolean }).isWellFormed();
}
