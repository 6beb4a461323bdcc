/**
 * Which notices show when more are active than fit (`active` oldest first): the latest, since
 * it is the news and older notices with a button must not hide it; then the newest pinned ones
 * (errors, notices with a button); then the newest others. Returned newest first, at most `max`.
 */
export function shownNotices<T extends { pinned: boolean }>(
  active: readonly T[],
  max: number,
): T[] {
  const [newest, ...older] = [...active].reverse();
  if (!newest) return [];
  return [newest, ...older.filter((a) => a.pinned), ...older.filter((a) => !a.pinned)].slice(
    0,
    max,
  );
}
