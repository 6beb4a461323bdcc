import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { type K8sObject, k8sTools, lint, render, type Tools } from './support/helm.js';

/** The Kubernetes schema for each kind the chart renders (`validate()` throws on a mismatch). */
const MODELS: Record<string, (o: K8sObject) => { validate(): void }> = {
  'apps/v1/Deployment': (o) => new Deployment(o),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o),
  'v1/Service': (o) => new Service(o),
  'v1/ConfigMap': (o) => new ConfigMap(o),
  'v1/ServiceAccount': (o) => new ServiceAccount(o),
  'networking.k8s.io/v1/Ingress': (o) => new Ingress(o),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as never),
};

const ADDRESSES = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];

/** Each way of reaching a pod's media, as a user would set it. */
const MODES = {
  hostPort: {},
  hostNetwork: { media: { mode: 'hostNetwork' } },
  servicePerPodLoadBalancer: {
    replicaCount: 3,
    media: { mode: 'servicePerPod', servicePerPod: { type: 'LoadBalancer', addresses: ADDRESSES } },
  },
  servicePerPodNodePort: {
    replicaCount: 3,
    media: {
      mode: 'servicePerPod',
      workers: 3,
      pipePorts: 5,
      rtcMinPort: 31000,
      servicePerPod: { type: 'NodePort' },
    },
  },
} as const;

/** Everything optional switched on. */
const EVERYTHING = {
  ingress: {
    enabled: true,
    className: 'nginx',
    tls: [{ hosts: ['convene.example.com'], secretName: 'convene-tls' }],
  },
  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 },
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  networkPolicy: {
    enabled: true,
    metricsFrom: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      },
    ],
    egress: [{}],
  },
  auth: {
    jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
    jwtIssuer: 'https://idp.example.com/',
    jwtAudience: 'convene',
  },
  secrets: {
    existingSecret: 'convene-secrets',
    databaseUrl: { name: 'convene-db', key: 'uri' },
    auditSigningKey: { key: 'CONVENE_AUDIT_SIGNING_KEY' },
    webhookSecret: { key: 'CONVENE_WEBHOOK_SECRET' },
    turnSecret: { key: 'CONVENE_TURN_SECRET' },
  },
};

function rendered(tools: Tools, values: object): K8sObject[] {
  const result = render(tools, values);
  if (!result.ok) assert.fail(`helm template failed: ${result.error}`);
  return result.objects;
}

function renderError(tools: Tools, values: object): string {
  const result = render(tools, values);
  assert.equal(result.ok, false, 'the render should fail');
  return result.ok ? '' : result.error;
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0];
}

function workload(objects: K8sObject[]): { kind: string; pod: IPodSpec; container: IContainer } {
  const w = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  assert.equal(w.length, 1, 'one workload');
  const pod = (w[0] as unknown as IDeployment).spec?.template.spec as IPodSpec;
  assert.equal(pod.containers.length, 1);
  return { kind: w[0].kind, pod, container: pod.containers[0] };
}

/** The container's environment: the ConfigMap it loads, then its own entries (literal or source). */
function environment(objects: K8sObject[], container: IContainer): Map<string, unknown> {
  const env = new Map<string, unknown>();
  const configMap = only(objects, 'ConfigMap') as unknown as {
    metadata: { name: string };
    data: Record<string, string>;
  };
  assert.deepEqual(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }]);
  for (const [k, v] of Object.entries(configMap.data)) env.set(k, v);
  for (const e of container.env ?? []) env.set(e.name, e.value ?? e.valueFrom);
  return env;
}

/** Runs the container's own shell wrapper with a stand-in `node` that prints its environment. */
function wrapperEnvironment(
  container: IContainer,
  env: Map<string, unknown>,
  podName: string,
): Record<string, string> {
  const args = container.args ?? [];
  assert.deepEqual(args.slice(0, 2), ['/bin/sh', '-ec']);
  const dir = mkdtempSync(join(tmpdir(), 'convene-wrapper-'));
  try {
    writeFileSync(join(dir, 'node'), '#!/bin/sh\nenv\n', { mode: 0o755 });
    const literal = Object.fromEntries(
      [...env].filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    const out = execFileSync('/bin/sh', ['-ec', args[2]], {
      encoding: 'utf8',
      env: { ...literal, CONVENE_NODE_ID: podName, PATH: `${dir}:/usr/bin:/bin` },
    });
    return Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Media ports a container declares, by protocol: [port, hostPort] pairs. */
function mediaPorts(
  container: IContainer,
  protocol: 'UDP' | 'TCP',
): [number, number | undefined][] {
  return (container.ports ?? [])
    .filter((p) => p.name?.startsWith('media-') && p.protocol === protocol)
    .map((p) => [p.containerPort, p.hostPort]);
}

describe('the Helm chart (deploy/helm/convene)', () => {
  let tools: Tools;
  before(() => {
    tools = k8sTools();
  });

  it('passes helm lint --strict with the default values, every media mode and everything switched on', () => {
    for (const [name, values] of Object.entries({ ...MODES, everything: EVERYTHING })) {
      const result = lint(tools, values);
      assert.ok(result.ok, `${name}: ${result.output}`);
    }
  });

  it('renders only objects that match the Kubernetes schemas, in every mode', () => {
    const cases = {
      ...MODES,
      everything: EVERYTHING,
      everythingPerPod: {
        ...EVERYTHING,
        ...MODES.servicePerPodLoadBalancer,
        media: {
          ...MODES.servicePerPodLoadBalancer.media,
          servicePerPod: {
            type: 'LoadBalancer',
            addresses: [...ADDRESSES, '203.0.113.13', '203.0.113.14'],
          },
        },
      },
    };
    for (const [name, values] of Object.entries(cases)) {
      for (const o of rendered(tools, values)) {
        const what = `${name}: ${o.kind} ${o.metadata.name}`;
        if (o.kind === 'ServiceMonitor') {
          // A CRD (prometheus-operator): kubernetes-models has no schema for it; checked below.
          assert.equal(o.apiVersion, 'monitoring.coreos.com/v1', what);
          continue;
        }
        const model = MODELS[`${o.apiVersion}/${o.kind}`];
        assert.ok(model, `${what}: a kind the test has no schema for (${o.apiVersion})`);
        assert.doesNotThrow(() => model(o).validate(), what);
      }
    }
  });

  it('the schema check does catch a broken object (a port as text; unknown fields are not checked by kubernetes-models)', () => {
    const deployment = workload(rendered(tools, {}));
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: {},
        template: {
          spec: {
            ...deployment.pod,
            containers: [{ ...deployment.container, ports: [{ containerPort: '3000' }] }],
          },
        },
      },
    };
    assert.throws(() => new Deployment(broken as never).validate());
  });

  it('by default: a Deployment with probes on /health/*, non-root, a read-only root, secrets by reference', () => {
    const objects = rendered(tools, {});
    const { kind, pod, container } = workload(objects);
    assert.equal(kind, 'Deployment');
    assert.equal(container.startupProbe?.httpGet?.path, '/health/live');
    assert.equal(container.livenessProbe?.httpGet?.path, '/health/live');
    assert.equal(container.readinessProbe?.httpGet?.path, '/health/ready');
    for (const probe of [container.livenessProbe, container.readinessProbe])
      assert.equal(probe?.httpGet?.port, 'http');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(container.securityContext?.runAsNonRoot, true);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
    assert.ok(container.resources?.requests?.cpu && container.resources.limits?.memory);

    const env = environment(objects, container);
    assert.equal(env.get('NODE_ENV'), 'production');
    // SIGTERM drains for CONVENE_DRAIN_SECONDS, then closes: the grace period covers both.
    assert.equal(env.get('CONVENE_DRAIN_SECONDS'), '20');
    assert.ok((pod.terminationGracePeriodSeconds ?? 30) >= 20 + 15);
    // The only writable places: the data folder and /tmp, each its own volume.
    const mounts = Object.fromEntries(
      (container.volumeMounts ?? []).map((m) => [m.mountPath, m.name]),
    );
    assert.deepEqual(mounts, { [env.get('CONVENE_DATA_DIR') as string]: 'data', '/tmp': 'tmp' });
    assert.ok(pod.volumes?.every((v) => v.emptyDir));

    const secretRefs = Object.fromEntries(
      (container.env ?? [])
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => [e.name, e.valueFrom?.secretKeyRef]),
    );
    assert.deepEqual(secretRefs, {
      CONVENE_JWT_SECRET: { name: 't-convene', key: 'CONVENE_JWT_SECRET' },
      CONVENE_ADMIN_API_KEY: { name: 't-convene', key: 'CONVENE_ADMIN_API_KEY' },
      DATABASE_URL: { name: 't-convene', key: 'DATABASE_URL' },
      REDIS_URL: { name: 't-convene', key: 'REDIS_URL' },
    });
    // No secret value anywhere in the rendered objects.
    const configMap = only(objects, 'ConfigMap') as unknown as { data: Record<string, string> };
    for (const name of Object.keys(secretRefs)) assert.equal(configMap.data[name], undefined);

    assert.deepEqual(env.get('CONVENE_NODE_ID'), { fieldRef: { fieldPath: 'metadata.name' } });
    const pdb = only(objects, 'PodDisruptionBudget') as unknown as { spec: { selector: unknown } };
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as IDeployment;
    assert.deepEqual(pdb.spec.selector, deployment.spec?.selector);
    for (const kind of ['Ingress', 'HorizontalPodAutoscaler', 'ServiceMonitor', 'NetworkPolicy'])
      assert.ok(!objects.some((o) => o.kind === kind), `${kind} is off by default`);
  });

  it('wires the optional secrets, the IdP settings, the Ingress, the HPA, the ServiceMonitor and the NetworkPolicy when asked', () => {
    const objects = rendered(tools, EVERYTHING);
    const { container } = workload(objects);
    const env = environment(objects, container);
    assert.deepEqual(env.get('DATABASE_URL'), { secretKeyRef: { name: 'convene-db', key: 'uri' } });
    assert.deepEqual(env.get('CONVENE_AUDIT_SIGNING_KEY'), {
      secretKeyRef: { name: 'convene-secrets', key: 'CONVENE_AUDIT_SIGNING_KEY' },
    });
    assert.deepEqual(env.get('CONVENE_WEBHOOK_SECRET'), {
      secretKeyRef: { name: 'convene-secrets', key: 'CONVENE_WEBHOOK_SECRET' },
    });
    assert.deepEqual(env.get('CONVENE_TURN_SECRET'), {
      secretKeyRef: { name: 'convene-secrets', key: 'CONVENE_TURN_SECRET' },
    });
    assert.equal(env.get('CONVENE_JWKS_URL'), EVERYTHING.auth.jwksUrl);
    assert.equal(env.get('CONVENE_JWT_ISSUER'), EVERYTHING.auth.jwtIssuer);
    assert.equal(env.get('CONVENE_JWT_AUDIENCE'), EVERYTHING.auth.jwtAudience);

    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as IDeployment;
    assert.equal(deployment.spec?.replicas, undefined, 'the HPA owns the replica count');
    const hpa = only(objects, 'HorizontalPodAutoscaler') as unknown as {
      spec: { scaleTargetRef: { kind: string; name: string } };
    };
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 't-convene',
    });

    const ingress = only(objects, 'Ingress') as unknown as {
      spec: {
        rules: {
          http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] };
        }[];
      };
    };
    assert.deepEqual(ingress.spec.rules[0].http.paths[0].backend.service, {
      name: 't-convene',
      port: { name: 'http' },
    });

    // The ServiceMonitor (no schema available) selects the metrics Service and names its port.
    const monitor = only(objects, 'ServiceMonitor') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
    };
    assert.equal(monitor.metadata.labels.release, 'prometheus');
    const services = objects.filter((o) => o.kind === 'Service') as unknown as IService[];
    const selected = services.filter((s) =>
      Object.entries(monitor.spec.selector.matchLabels).every(
        ([k, v]) => s.metadata?.labels?.[k] === v,
      ),
    );
    assert.deepEqual(
      selected.map((s) => s.metadata?.name),
      ['t-convene-metrics'],
    );
    assert.deepEqual(
      monitor.spec.endpoints.map((e) => [e.port, e.path]),
      [['metrics', '/metrics']],
    );
    assert.deepEqual(
      selected[0].spec?.ports?.map((p) => [p.name, p.port]),
      [['metrics', Number(env.get('CONVENE_METRICS_PORT'))]],
    );
    // The public Service and the Ingress never carry the metrics port.
    const main = services.find((s) => s.metadata?.name === 't-convene');
    assert.deepEqual(
      main?.spec?.ports?.map((p) => p.name),
      ['http'],
    );

    const policy = only(objects, 'NetworkPolicy') as unknown as {
      spec: {
        policyTypes: string[];
        ingress: {
          ports: { port: number | string; endPort?: number; protocol: string }[];
          from?: unknown[];
        }[];
      };
    };
    assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
    const media = policy.spec.ingress
      .flatMap((r) => r.ports)
      .filter((p) => typeof p.port === 'number');
    assert.deepEqual(
      media.map((p) => [p.protocol, p.port, p.endPort]),
      [
        ['UDP', Number(env.get('CONVENE_RTC_MIN_PORT')), Number(env.get('CONVENE_RTC_MAX_PORT'))],
        ['TCP', Number(env.get('CONVENE_RTC_MIN_PORT')), Number(env.get('CONVENE_RTC_MAX_PORT'))],
      ],
    );
    const metricsRule = policy.spec.ingress.find((r) => r.ports.some((p) => p.port === 'metrics'));
    assert.deepEqual(metricsRule?.from, EVERYTHING.networkPolicy.metricsFrom);
  });

  for (const mode of ['hostPort', 'hostNetwork'] as const) {
    it(`${mode}: a Deployment announcing its node's address, publishing exactly CONVENE_RTC_MIN_PORT..MAX_PORT on the node`, () => {
      const objects = rendered(tools, MODES[mode]);
      const { kind, pod, container } = workload(objects);
      assert.equal(kind, 'Deployment');
      assert.equal(pod.hostNetwork ?? false, mode === 'hostNetwork');
      if (mode === 'hostNetwork') assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
      const env = environment(objects, container);
      assert.deepEqual(env.get('CONVENE_ANNOUNCED_ADDRESS'), {
        fieldRef: { fieldPath: 'status.hostIP' },
      });
      const min = Number(env.get('CONVENE_RTC_MIN_PORT'));
      const max = Number(env.get('CONVENE_RTC_MAX_PORT'));
      assert.equal(
        max - min + 1,
        Number(env.get('CONVENE_MEDIA_WORKERS')) + 30,
        'one port per worker and, by default, 30 for pipes between pods and workers',
      );
      for (const protocol of ['UDP', 'TCP'] as const)
        assert.deepEqual(
          mediaPorts(container, protocol),
          range(min, max).map((p) => [p, p]),
        );
      assert.ok(!objects.some((o) => o.metadata.name.includes('-media-')), 'no per-pod Services');
    });
  }

  it('hostPort: a fixed announced address and an explicit port count, when set', () => {
    const objects = rendered(tools, {
      media: { announcedAddress: '198.51.100.7', workers: 2, ports: 4, rtcMinPort: 45000 },
    });
    const { container } = workload(objects);
    const env = environment(objects, container);
    assert.equal(env.get('CONVENE_ANNOUNCED_ADDRESS'), '198.51.100.7');
    assert.deepEqual(
      [
        env.get('CONVENE_RTC_MIN_PORT'),
        env.get('CONVENE_RTC_MAX_PORT'),
        env.get('CONVENE_MEDIA_WORKERS'),
      ],
      ['45000', '45003', '2'],
    );
    assert.deepEqual(
      mediaPorts(container, 'UDP').map(([p]) => p),
      [45000, 45001, 45002, 45003],
    );
  });

  it('servicePerPod with LoadBalancers: a StatefulSet; pod i alone behind Service i, announcing addresses[i], on the ports its env names', () => {
    const objects = rendered(tools, MODES.servicePerPodLoadBalancer);
    const { kind, container } = workload(objects);
    assert.equal(kind, 'StatefulSet');
    const statefulSet = objects.find((o) => o.kind === 'StatefulSet') as unknown as IStatefulSet;
    const governing = objects.find(
      (o) => o.metadata.name === statefulSet.spec?.serviceName,
    ) as unknown as IService;
    assert.equal(governing.spec?.clusterIP, 'None');
    const env = environment(objects, container);
    assert.equal(env.get('CONVENE_ANNOUNCED_ADDRESS'), undefined, 'set by the wrapper per pod');
    const min = Number(env.get('CONVENE_RTC_MIN_PORT'));
    const max = Number(env.get('CONVENE_RTC_MAX_PORT'));
    for (const protocol of ['UDP', 'TCP'] as const)
      assert.deepEqual(
        mediaPorts(container, protocol),
        range(min, max).map((p) => [p, undefined]),
      );

    const perPod = objects.filter((o) =>
      o.metadata.name.startsWith('t-convene-media-'),
    ) as unknown as IService[];
    assert.equal(perPod.length, 3);
    for (const [i, service] of perPod.entries()) {
      assert.equal(service.metadata?.name, `t-convene-media-${i}`);
      assert.equal(service.spec?.type, 'LoadBalancer');
      assert.equal(service.spec?.externalTrafficPolicy, 'Local');
      assert.equal(
        service.spec?.selector?.['statefulset.kubernetes.io/pod-name'],
        `t-convene-${i}`,
      );
      for (const protocol of ['UDP', 'TCP'])
        assert.deepEqual(
          service.spec?.ports
            ?.filter((p) => p.protocol === protocol)
            .map((p) => [p.port, p.targetPort]),
          range(min, max).map((p) => [p, p]),
        );
      const podEnv = wrapperEnvironment(container, env, `t-convene-${i}`);
      assert.equal(podEnv.CONVENE_ANNOUNCED_ADDRESS, ADDRESSES[i]);
      assert.equal(podEnv.CONVENE_NODE_ID, `t-convene-${i}`);
      assert.equal(podEnv.CONVENE_RTC_MIN_PORT, String(min));
    }
  });

  it('servicePerPod with NodePorts: pod i gets its own range (nodePort = port), matching the env its wrapper starts convene with', () => {
    const objects = rendered(tools, MODES.servicePerPodNodePort);
    const { container } = workload(objects);
    const env = environment(objects, container);
    assert.deepEqual(env.get('CONVENE_ANNOUNCED_ADDRESS'), {
      fieldRef: { fieldPath: 'status.hostIP' },
    });
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const service = objects.find(
        (o) => o.metadata.name === `t-convene-media-${i}`,
      ) as unknown as IService;
      assert.equal(service.spec?.type, 'NodePort');
      const podEnv = wrapperEnvironment(container, env, `t-convene-${i}`);
      const min = Number(podEnv.CONVENE_RTC_MIN_PORT);
      const max = Number(podEnv.CONVENE_RTC_MAX_PORT);
      assert.equal(min, 31000 + i * 8);
      assert.equal(max - min + 1, 8, 'one port per worker, and the pipe ports');
      for (const protocol of ['UDP', 'TCP'])
        assert.deepEqual(
          service.spec?.ports
            ?.filter((p) => p.protocol === protocol)
            .map((p) => [p.port, p.targetPort, p.nodePort]),
          range(min, max).map((p) => [p, p, p]),
        );
      for (const p of range(min, max)) {
        assert.ok(!seen.has(p), `port ${p} is used by one pod only`);
        seen.add(p);
      }
    }
  });

  it('refuses, with a message naming the value, what cannot work', () => {
    const cases: [object, RegExp][] = [
      [{ secrets: { redisUrl: { key: '' } } }, /REDIS_URL is required when replicaCount > 1/],
      [
        { replicaCount: 1, autoscaling: { enabled: true }, secrets: { redisUrl: { key: '' } } },
        /REDIS_URL is required/,
      ],
      [{ secrets: { databaseUrl: { key: '' } } }, /secrets\.databaseUrl\.key is required/],
      [
        { media: { mode: 'servicePerPod' } },
        /media\.servicePerPod\.addresses must list one external address per pod \(2/,
      ],
      [
        { media: { mode: 'servicePerPod', servicePerPod: { type: 'NodePort' } } },
        /NodePort range 30000-32767/,
      ],
      [
        { media: { workers: 4, ports: 2 } },
        /media\.ports \(2\) must be at least media\.workers \(4\)/,
      ],
      [
        { media: { mode: 'hostpath' } },
        /media\.mode must be hostPort, hostNetwork or servicePerPod/,
      ],
      [
        { config: { CONVENE_RTC_MIN_PORT: '1' } },
        /config\.CONVENE_RTC_MIN_PORT is set by the chart/,
      ],
      [
        { auth: { jwksUrl: 'https://idp.example.com/jwks' } },
        /auth\.jwtIssuer and auth\.jwtAudience are required/,
      ],
      [
        { drainSeconds: 50 },
        /terminationGracePeriodSeconds \(60\) must be at least drainSeconds \+ 15 \(65\)/,
      ],
      [{ drainSeconds: 7200 }, /drainSeconds must be 0-3600/],
      [
        { config: { CONVENE_DRAIN_SECONDS: '5' } },
        /config\.CONVENE_DRAIN_SECONDS is set by the chart/,
      ],
    ];
    for (const [values, message] of cases)
      assert.match(renderError(tools, values), message, JSON.stringify(values));
    // A longer drain with a grace period to match renders.
    assert.ok(render(tools, { drainSeconds: 120, terminationGracePeriodSeconds: 135 }).ok);
    // One pod needs no Redis.
    assert.ok(render(tools, { replicaCount: 1, secrets: { redisUrl: { key: '' } } }).ok);
  });
});
