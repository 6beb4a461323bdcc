/**
 * Text that cannot be stored or shown faithfully: control characters (PostgreSQL refuses NUL in
 * text; the others have no place in a name) and unpaired UTF-16 surrogates (not Unicode; they
 * turn into U+FFFD on the way to the database, so the stored name differs from the token's).
 */
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function hasUnsafeText(value: string): boolean {
  return new RegExp(UNSAFE_TEXT.source).test(value);
}

/** `value` without control characters and unpaired surrogates (for names from elsewhere). */
export function withoutUnsafeText(value: string): string {
  return value.replace(UNSAFE_TEXT, '');
}
