import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import YAML from 'yaml';
import { ENV_VARS, loadConfig } from '../common/config';
import { searchAttributes } from '../common/searchAttributes';
import { DYNAMIC_CONFIG } from '../scripts/temporal-server';

/**
 * docker-compose.yml cannot be started here (no Docker engine), so this reads it as data and
 * checks that it agrees with the code: the app gets only variables common/config.ts reads, the
 * production config accepts them, every URL points at a service in the file, and the search
 * attributes the workflows use are registered.
 */
const ROOT = path.resolve(__dirname, '..');
const APP_SERVICES = ['migrate', 'worker', 'api'] as const;
const REQUIRED_SERVICES = [
  'postgresql',
  'temporal',
  'temporal-search-attributes',
  'temporal-ui',
  'mailpit',
  ...APP_SERVICES,
];

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
}

const compose = YAML.parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/**
 * Compose's variable interpolation with nothing set in the shell: `${X:-d}` and `${X-d}` give
 * their default, `${X:?msg}` (which Compose refuses to run without) gives `placeholder`, `${X}`
 * gives '' and `$$` is a literal `$`.
 */
const REQUIRED_PLACEHOLDER = 'placeholder-value-of-a-required-variable';
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, _name?: string, op?: string, arg?: string) => {
      if (match === '$$') return '$';
      switch (op) {
        case ':-':
        case '-':
          return arg ?? '';
        case ':?':
        case '?':
          return REQUIRED_PLACEHOLDER;
        default:
          // `${X}`, `$X`, `${X:+alt}` and `${X+alt}` with X unset.
          return '';
      }
    },
  );
}

/** The environment Compose gives a service, as strings, interpolated. */
function envOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries: [string, string][] = Array.isArray(env)
    ? env.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]));
}

function commandText(s: Service): string {
  const words = (c: string | string[] | undefined) => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
  return interpolate([...words(s.entrypoint), ...words(s.command)].join(' '));
}

function dependsOn(name: string): Record<string, string | undefined> {
  const d = service(name).depends_on ?? {};
  return Array.isArray(d)
    ? Object.fromEntries(d.map((n) => [n, 'service_started']))
    : Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v?.condition ?? 'service_started']));
}

/** Container ports a service publishes, from short ("[ip:]host:container[/proto]") or long syntax. */
function publishedContainerPorts(name: string): number[] {
  return (service(name).ports ?? []).map((p) => {
    if (typeof p === 'object') return Number(p.target);
    const noProto = String(p).split('/')[0] ?? '';
    return Number(noProto.split(':').at(-1));
  });
}

describe('docker-compose.yml', () => {
  it('has every service of the deployment', () => {
    for (const name of REQUIRED_SERVICES) expect(Object.keys(services)).toContain(name);
  });

  it('pins the images the deployment is written for', () => {
    expect(service('postgresql').image).toMatch(/^postgres:16(\.|$)/);
    expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:1\.29\.\d+$/);
    expect(service('temporal-search-attributes').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    expect(service('mailpit').image).toMatch(/^axllent\/mailpit:/);
    for (const name of APP_SERVICES) expect(service(name).build).toBeDefined();
  });

  it('gives Temporal the server settings the dev server runs with (one file, the same values)', () => {
    const t = service('temporal') as unknown as { environment: Record<string, string>; volumes: string[] };
    const mounted = t.volumes.map((v) => v.split(':')).find(([, inside]) => inside === t.environment.DYNAMIC_CONFIG_FILE_PATH);
    expect(mounted).toBeDefined();
    const file = YAML.parse(readFileSync(path.join(ROOT, mounted![0]!), 'utf8')) as Record<string, { value: unknown }[]>;
    expect(Object.fromEntries(Object.entries(file).map(([k, v]) => [k, v[0]!.value]))).toEqual(DYNAMIC_CONFIG);
  });

  it('gives the app only variables that common/config.ts reads', () => {
    for (const name of APP_SERVICES) {
      const keys = Object.keys(envOf(name));
      expect(keys.length).toBeGreaterThan(0);
      const unknown = keys.filter((k) => !(ENV_VARS as string[]).includes(k));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('gives migrate, worker and api one environment', () => {
    expect(envOf('worker')).toEqual(envOf('api'));
    expect(envOf('migrate')).toEqual(envOf('api'));
  });

  it('passes the production config check', () => {
    const env = envOf('api');
    expect(env.NODE_ENV).toBe('production');
    const config = loadConfig(env);
    expect(config.NODE_ENV).toBe('production');
    // Production refuses to fall back to the embedded database and mail capture.
    expect(env.DATABASE_URL).toBeTruthy();
    expect(env.SMTP_URL).toBeTruthy();
    expect(config.databaseUrl).toBe(env.DATABASE_URL);
    expect(config.smtpUrl).toBe(env.SMTP_URL);
    // Reachable from outside the container, on the port the container publishes.
    expect(config.API_HOST).toBe('0.0.0.0');
    expect(config.API_PORT).toBe(3000);
  });

  it('points DATABASE_URL at the postgresql service, with its credentials and database', () => {
    const url = new URL(envOf('api').DATABASE_URL ?? '');
    const pg = envOf('postgresql');
    expect(Object.keys(services)).toContain(url.hostname);
    expect(url.hostname).toBe('postgresql');
    expect(url.port || '5432').toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it('points SMTP_URL at the mailpit service', () => {
    const url = new URL(envOf('api').SMTP_URL ?? '');
    expect(url.protocol).toBe('smtp:');
    expect(Object.keys(services)).toContain(url.hostname);
    expect(url.hostname).toBe('mailpit');
    expect(url.port).toBe('1025');
  });

  it('points TEMPORAL_ADDRESS at the temporal service', () => {
    const [host, port] = (envOf('api').TEMPORAL_ADDRESS ?? '').split(':');
    expect(host).toBe('temporal');
    expect(Object.keys(services)).toContain(host);
    expect(port).toBe('7233');
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('stores Temporal in the postgresql service', () => {
    const temporal = envOf('temporal');
    const pg = envOf('postgresql');
    expect(temporal.DB).toBe('postgres12');
    expect(temporal.DB_PORT).toBe('5432');
    expect(temporal.POSTGRES_SEEDS).toBe('postgresql');
    expect(temporal.POSTGRES_USER).toBe(pg.POSTGRES_USER);
    expect(temporal.POSTGRES_PWD).toBe(pg.POSTGRES_PASSWORD);
    // The namespace auto-setup creates is the one the app uses.
    expect(temporal.DEFAULT_NAMESPACE).toBe(envOf('api').TEMPORAL_NAMESPACE);
    expect(dependsOn('temporal').postgresql).toBe('service_healthy');
    expect(JSON.stringify(service('postgresql').healthcheck?.test)).toContain('pg_isready');
  });

  it('registers every search attribute of common/searchAttributes.ts in the app namespace', () => {
    const job = service('temporal-search-attributes');
    const text = commandText(job);
    expect(text).toMatch(/temporal operator search-attribute create/);
    expect(text).toMatch(/--address[ =]temporal:7233/);
    const namespaces = [...text.matchAll(/--namespace[ =]"?([^"\s]+)"?/g)].map((m) => m[1]);
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) expect(ns).toBe(envOf('api').TEMPORAL_NAMESPACE);

    const registered = new Map([...text.matchAll(/--name[ =](\w+)\s+--type[ =](\w+)/g)].map((m) => [m[1], m[2]?.toUpperCase()]));
    const expected = Object.values(searchAttributes);
    expect(expected.length).toBeGreaterThan(0);
    for (const key of expected) {
      expect({ name: key.name, type: registered.get(key.name) }).toEqual({ name: key.name, type: key.type });
    }
    expect(dependsOn('temporal-search-attributes').temporal).toBe('service_healthy');
  });

  it('starts worker and api after the migrations and the search attributes', () => {
    for (const name of ['worker', 'api']) {
      expect(dependsOn(name).migrate).toBe('service_completed_successfully');
      expect(dependsOn(name)['temporal-search-attributes']).toBe('service_completed_successfully');
    }
    expect(dependsOn('migrate').postgresql).toBe('service_healthy');
  });

  it('runs the compiled entry points, each built from a source file', () => {
    const entry: Record<(typeof APP_SERVICES)[number], string> = {
      migrate: 'dist/scripts/migrate.js',
      worker: 'dist/worker/main.js',
      api: 'dist/api/main.js',
    };
    // The one-shot job also loads the reference data (health plans, TIN roster).
    expect(commandText(service('migrate'))).toBe('node dist/scripts/migrate.js --seed');
    for (const name of APP_SERVICES) {
      expect(commandText(service(name)).split(' ').slice(0, 2).join(' ')).toBe(`node ${entry[name]}`);
      const source = entry[name].replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(path.join(ROOT, source))).toBe(true);
    }
  });

  it('publishes the api on port 3000 and checks /healthz', () => {
    expect(publishedContainerPorts('api')).toEqual([3000]);
    expect(String(service('api').ports?.[0])).toMatch(/^(\d+\.\d+\.\d+\.\d+:)?3000:3000$/);
    expect(Number(envOf('api').API_PORT)).toBe(3000);
    expect(JSON.stringify(service('api').healthcheck?.test)).toContain('127.0.0.1:3000/healthz');
  });
});

describe('tsconfig.build.json', () => {
  const file = path.join(ROOT, 'tsconfig.build.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
  const files = parsed.fileNames.map((f) => path.relative(ROOT, f).split(path.sep).join('/'));

  it('extends tsconfig.json and emits to dist/', () => {
    expect(error).toBeUndefined();
    expect(parsed.errors).toEqual([]);
    expect(config.extends).toBe('./tsconfig.json');
    expect(parsed.options.outDir).toBe(path.join(ROOT, 'dist'));
    expect(parsed.options.noEmit).toBeFalsy();
  });

  it('excludes test/', () => {
    expect(config.exclude).toContain('test');
    expect(files.filter((f) => f.startsWith('test/'))).toEqual([]);
    // This very file would be compiled if test/ were not excluded.
    expect(existsSync(path.join(ROOT, 'test/compose.test.ts'))).toBe(true);
  });

  it('compiles the entry points the containers run', () => {
    for (const f of ['api/main.ts', 'worker/main.ts', 'scripts/migrate.ts', 'workflows/index.ts']) expect(files).toContain(f);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const copies = [...dockerfile.matchAll(/^COPY\s+(?:--\S+\s+)*(\S+)\s+(\S+)\s*$/gm)].map((m) => ({ src: m[1], dest: m[2] }));

  it('puts the migrations where the compiled code looks for them', () => {
    // ROOT_DIR (common/config.ts) is the folder holding package.json, /app in the image, and
    // scripts/migrate.ts reads ROOT_DIR/prisma/migrations.
    expect(copies).toContainEqual({ src: '/app/package.json', dest: './' });
    expect(copies).toContainEqual({ src: '/app/prisma', dest: './prisma' });
  });

  it('builds with tsconfig.build.json and runs as the node user', () => {
    expect(dockerfile).toMatch(/npx tsc -p tsconfig\.build\.json/);
    expect(dockerfile).toMatch(/npx prisma generate/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
