import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** One axe-core finding, as much of it as a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

interface AxeResult {
  violations: {
    id: string;
    impact?: string | null;
    help: string;
    nodes: { target: unknown[] }[];
  }[];
}

let source: Promise<string> | undefined;
/** axe-core's browser build, read once per test process. */
function axeSource(): Promise<string> {
  source ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

/**
 * Runs axe-core (Deque's engine) in `page` over the whole document, or over `include` (a CSS
 * selector) only, with its default rules (WCAG 2.x A/AA and best practices, `label-content-name-mismatch`
 * among them); the violations of impact `serious` or `critical`.
 */
export async function seriousViolations(page: Page, include?: string): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  // Evaluated, not added as a <script>: the web client's CSP (script-src 'self') blocks inline scripts.
  if (!loaded) await page.evaluate(await axeSource());
  const result = await page.evaluate(async (selector) => {
    const axe = (
      window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<unknown> } }
    ).axe;
    return axe.run(selector ? { include: [selector] } : document, {
      resultTypes: ['violations'],
    });
  }, include ?? null);
  return (result as AxeResult).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
}

/** Fails with every serious or critical axe-core finding in `page` (or in `include`). */
export async function expectAccessible(page: Page, view: string, include?: string): Promise<void> {
  const violations = await seriousViolations(page, include);
  assert.deepEqual(
    violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`),
    [],
    `${view}: axe-core found serious or critical violations`,
  );
}
