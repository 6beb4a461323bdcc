// Types of apt-packages.mjs for the tests that import it.
export function missingPackages(wanted: string[], dpkgQueryOutput: string): string[];
export function queryDpkg(wanted: string[]): string | undefined;

export interface AptFacts {
  missing: string[];
  isRoot: boolean;
  hasAptGet: boolean;
  env: Record<string, string | undefined>;
}
export type AptDecision =
  | { kind: 'none' }
  | { kind: 'print'; command: string; reason: string }
  | { kind: 'install'; command: string; commands: string[][] };
export function aptDecision(facts: AptFacts): AptDecision;
export function ensurePackages(
  facts: AptFacts & { run: (argv: string[]) => number; log: (message: string) => void },
): boolean;
export function runApt(argv: string[]): number;
