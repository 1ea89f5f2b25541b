import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli';

describe('runCli', () => {
  let output: string[];
  let writeOut: jest.SpyInstance;
  let writeErr: jest.SpyInstance;
  beforeEach(() => {
    output = [];
    const capture = (chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    };
    writeOut = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    writeErr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    writeOut.mockRestore();
    writeErr.mockRestore();
  });

  it('should answer an unknown command with the usage and exit code 64', async () => {
    expect(await runCli(['catalog', 'burn'], {})).toBe(64);
    expect(output.join('')).toContain('Unknown command: catalog burn');
  });

  it('should load the default catalog once, then skip every unchanged card', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-cli-'));
    try {
      const env = { PURSER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      expect(await runCli(['catalog', 'reload'], env)).toBe(0);
      const first = /catalog reloaded: (\d+) created, (\d+) updated, (\d+) unchanged/.exec(
        output.join(''),
      );
      expect(Number(first?.[1])).toBeGreaterThan(200);
      output = [];
      expect(await runCli(['catalog', 'reload'], env)).toBe(0);
      expect(output.join('')).toMatch(/catalog reloaded: 0 created, 0 updated, [1-9]\d* unchanged/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
