import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * True when PostgreSQL stores `s` exactly as JavaScript holds it, so a hash computed over the
 * string matches the stored row: no NUL (text columns refuse it) and well-formed UTF-16 (the
 * driver would silently turn a lone surrogate into U+FFFD). Chat text may hold any other
 * character, line breaks included.
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * What a name must not contain: control characters (PostgreSQL refuses NUL; the others have no
 * place in a name), the bidirectional embedding, override and isolate controls U+202A..U+202E and
 * U+2066..U+2069 (they reorder the text around the name: "Trojan Source" spoofing; the plain marks
 * LRM/RLM stay allowed) and unpaired UTF-16 surrogates (not storable, see isStorableText).
 */
const UNSAFE_IN_NAMES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function hasUnsafeText(value: string): boolean {
  return new RegExp(UNSAFE_IN_NAMES.source).test(value);
}

/** `value` without control characters and unpaired surrogates (for names from elsewhere). */
export function withoutUnsafeText(value: string): string {
  return value.replace(UNSAFE_IN_NAMES, '');
}

/** A class-validator rule over a string property (other types are left to @IsString). */
function textRule(name: string, isOk: (s: string) => boolean, problem: string) {
  return (options?: ValidationOptions) =>
    ValidateBy(
      {
        name,
        validator: {
          validate: (value: unknown) => typeof value !== 'string' || isOk(value),
          defaultMessage: (args) => `${args?.property ?? 'value'} ${problem}`,
        },
      },
      options,
    );
}

/** Chat text: what the audit log can store exactly as hashed. */
export const IsStorableText = textRule(
  'isStorableText',
  isStorableText,
  'must not contain NUL characters or unpaired UTF-16 surrogates',
);

/** Names (people, rooms, API keys): see UNSAFE_IN_NAMES. */
export const IsDisplayableText = textRule(
  'isDisplayableText',
  (s) => !hasUnsafeText(s),
  'must not contain control characters, bidirectional overrides or unpaired surrogates',
);
