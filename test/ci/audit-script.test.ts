// What unit tests cannot catch: CI's advisory gate (scripts/audit.sh) run as CI runs it, against
// a registry on loopback that answers the audit endpoint as npm's does — a high advisory in a
// runtime dependency fails the run, a moderate one does not, and a registry that serves no
// advisories is said to be NOT CHECKED (failing only when PURSER_AUDIT_REQUIRED=1).
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

type Answer = 'none' | 'moderate' | 'high' | 'worded' | 'unavailable';

function advisories(severity: 'moderate' | 'high') {
  return {
    actions: [],
    muted: [],
    advisories: {
      '1001': {
        id: 1001,
        title: 'A test advisory',
        module_name: 'express',
        severity,
        vulnerable_versions: '<99.0.0',
        patched_versions: '>=99.0.0',
        url: 'https://example.invalid/advisories/1001',
        findings: [{ version: '5.0.0', paths: ['packages__api>express'] }],
        recommendation: 'Upgrade',
        overview: 'test',
        references: '',
        access: 'public',
        cves: [],
        cwe: [],
        github_advisory_id: 'GHSA-test-test-test',
        created: '2026-01-01T00:00:00.000Z',
        updated: '2026-01-01T00:00:00.000Z',
        deleted: null,
      },
    },
    metadata: {
      vulnerabilities: {
        info: 0,
        low: 0,
        moderate: severity === 'moderate' ? 1 : 0,
        high: severity === 'high' ? 1 : 0,
        critical: 0,
      },
      dependencies: 1,
      devDependencies: 0,
      optionalDependencies: 0,
      totalDependencies: 1,
    },
  };
}

/** A high advisory whose words name a network error, which must not read as one. */
function wordedAdvisory() {
  const report = advisories('high');
  report.advisories['1001'].title = 'ETIMEDOUT in "code": "ENOTFOUND" handling';
  return report;
}

function answerOf(answer: Exclude<Answer, 'unavailable'>) {
  if (answer === 'none') return noAdvisories();
  if (answer === 'worded') return wordedAdvisory();
  return advisories(answer);
}

function noAdvisories() {
  const report = advisories('high');
  return {
    ...report,
    advisories: {},
    metadata: {
      ...report.metadata,
      vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0 },
    },
  };
}

describe('scripts/audit.sh', () => {
  let server: http.Server;
  let answer: Answer = 'none';
  const requested: string[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requested.push(`${request.method} ${request.url}`);
        if (answer === 'unavailable') {
          response.statusCode = 405;
          response.end();
          return;
        }
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(answerOf(answer)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (env: Record<string, string> = {}) =>
    new Promise<{ status: number | null; output: string }>((resolve) => {
      const { port } = server.address() as AddressInfo;
      const child = spawn('bash', ['scripts/audit.sh'], {
        cwd: ROOT,
        env: { ...process.env, npm_config_registry: `http://127.0.0.1:${port}/`, ...env },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('close', (status) => resolve({ status, output }));
    });

  it.each<[Answer, number, string]>([
    ['high', 1, 'A test advisory'],
    ['worded', 1, 'ETIMEDOUT'],
    ['moderate', 0, 'no high or critical advisory'],
    ['none', 0, 'no high or critical advisory'],
    ['unavailable', 0, 'NOT CHECKED'],
  ])('should answer a registry reporting %s with exit %d', async (given, status, said) => {
    answer = given;
    const result = await run();
    expect(result.output).toContain(said);
    expect(result.status).toBe(status);
    expect(requested.at(-1)).toMatch(/^POST \/-\/npm\/v1\/security\/audits/);
  });

  it('should fail when advisories are required and the registry serves none', async () => {
    answer = 'unavailable';
    const result = await run({ PURSER_AUDIT_REQUIRED: '1' });
    expect(result.output).toContain('NOT CHECKED');
    expect(result.status).toBe(1);
  });
});
