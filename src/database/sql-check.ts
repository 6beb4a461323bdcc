/**
 * The expression of a CHECK constraint that keeps `column` within one of the declared lists
 * (`status IN ('open', 'closed')`), so that an entity's constraint is derived from its list.
 */
export function inList(column: string, values: readonly (string | number)[]): string {
  const literals = values.map((v) =>
    typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`,
  );
  return `${column} IN (${literals.join(', ')})`;
}
