import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

// The routing and presence model (src/conference/routing.pml), checked exhaustively by spin in
// each configuration below; each mutation of it must yield a counterexample whose trail replays.
// README "Checked model" lists what the configurations cover and what they cost.

const root = join(import.meta.dirname, '..', '..');
const MODEL = join(root, 'src', 'conference', 'routing.pml');
const run = promisify(execFile);

/** Each configuration is searched to the end; together they cover the bounds of the model. */
const CONFIGURATIONS = [
  { name: 'replacement and reconnect, 2 messages', defines: ['-DMSGS=2'] },
  { name: 'leaving, also during the join, 1 message', defines: ['-DMSGS=1', '-DLEAVES'] },
  { name: 'kick, 1 message', defines: ['-DMSGS=1', '-DKICK'] },
  {
    name: 'one connection, two senders, 3 messages',
    defines: ['-DMSGS=3', '-DONE_CONNECTION', '-DLEAVES'],
  },
  {
    name: 'one connection, one sender, 4 messages',
    defines: ['-DMSGS=4', '-DONE_CONNECTION', '-DONE_SENDER', '-DLEAVES'],
  },
] as const;

/** Each mutation breaks what the code does right, and the property that must catch it. */
const MUTATIONS = [
  { define: '-DBROADCAST_FALLBACK', config: ['-DMSGS=2'], property: 'P1' },
  { define: '-DDELIVER_BEFORE_COMMIT', config: ['-DMSGS=2'], property: 'P3' },
  { define: '-DNO_REPLACE_END', config: ['-DMSGS=2'], property: 'P2' },
  { define: '-DKEEP_PERSONAL_GROUP', config: ['-DMSGS=1', '-DLEAVES'], property: 'P2' },
  { define: '-DCONCURRENT_TURNS', config: ['-DMSGS=1', '-DLEAVES'], property: 'P2' },
  { define: '-DKICK_THROUGH_ADAPTER', config: ['-DMSGS=1', '-DKICK'], property: 'P2' },
] as const;

interface Verification {
  output: string;
  states: number;
  seconds: number;
  dir: string;
}

/** spin -a, gcc, ./pan in a fresh directory: exhaustive safety search (no bitstate). */
async function verify(defines: readonly string[]): Promise<Verification> {
  const dir = mkdtempSync(join(tmpdir(), 'convene-routing-model-'));
  copyFileSync(MODEL, join(dir, 'routing.pml'));
  await run('spin', ['-a', ...defines, 'routing.pml'], { cwd: dir });
  await run('gcc', ['-w', '-O1', '-DSAFETY', '-DCOLLAPSE', '-DMEMLIM=1024', '-o', 'pan', 'pan.c'], {
    cwd: dir,
  });
  const started = process.hrtime.bigint();
  // pan exits 0 whether or not it found an error; what it found is in its report.
  const { stdout } = await run('./pan', ['-m200000', '-w22'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const states = Number(/^\s*([\d.e+]+) states, stored/m.exec(stdout)?.[1] ?? NaN);
  return { output: stdout, states, seconds, dir };
}

/** The property tag (P1, P2, P3) on the model's line `line`. */
function propertyAt(line: number): string | undefined {
  return /\/\* (P\d) \*\/\s*$/.exec(readFileSync(MODEL, 'utf8').split('\n')[line - 1] ?? '')?.[1];
}

describe('the checked model of routing and presence (spin)', { concurrency: 2 }, () => {
  const dirs: string[] = [];
  before(async () => {
    try {
      await run('spin', ['-V']);
    } catch {
      assert.fail(
        'spin is not installed: install the Debian package spin (apt-get install spin); .ci/run does',
      );
    }
  });
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  for (const config of CONFIGURATIONS) {
    it(`holds in every interleaving: ${config.name}`, async () => {
      const result = await verify(config.defines);
      dirs.push(result.dir);
      const { output } = result;
      assert.match(output, /errors: 0\b/, output);
      assert.doesNotMatch(output, /Search not completed/, output);
      assert.doesNotMatch(output, /max search depth too small|exceeds|out of memory/i, output);
      assert.match(output, /Full statespace search for:/);
      assert.match(output, /invalid end states\s+\+/);
      assert.doesNotMatch(output, /BITSTATE|Bit statespace/i);
      assert.ok(result.states > 10_000, `only ${result.states} states: the model did not run`);
    });
  }

  for (const mutation of MUTATIONS) {
    it(`finds the counterexample to ${mutation.property} when the model has ${mutation.define}`, async () => {
      const defines = [...mutation.config, mutation.define];
      const result = await verify(defines);
      dirs.push(result.dir);
      assert.match(result.output, /errors: 1\b/, result.output);
      assert.match(result.output, /assertion violated/);
      // The trail replays, and ends at an assertion of the property the mutation breaks.
      const { stdout } = await run('spin', ['-t', ...defines, 'routing.pml'], {
        cwd: result.dir,
        maxBuffer: 16 * 1024 * 1024,
      });
      const failed = /routing\.pml:(\d+), Error: assertion violated/.exec(stdout);
      assert.ok(failed, stdout);
      assert.equal(propertyAt(Number(failed[1])), mutation.property, failed[0]);
    });
  }
});
