import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import { z } from 'zod';

import { PolicyError, toError } from './errors';

/** The entrypoint every Purser bundle must export. */
export const DECISION_ENTRYPOINT = 'purser/authz/decision';

const BLOCK = 512;

const manifestSchema = z.object({
  revision: z.string().min(1, 'the manifest has no revision'),
  roots: z.array(z.string()).optional(),
  wasm: z
    .array(z.object({ entrypoint: z.string(), module: z.string() }))
    .min(1, 'the manifest lists no wasm module'),
});

/** The members of a compiled bundle the engine uses. */
export interface PolicyBundle {
  /** `/.manifest` revision: a content hash of the policy sources. */
  revision: string;
  /** `/policy.wasm`. */
  wasm: Buffer;
  /** `/data.json`, kept as bytes so large integers in it stay exact. */
  data: Buffer;
  /** sha256 of the tarball, to tell two bundles with the same revision apart. */
  sha256: string;
}

/**
 * Reads a bundle tarball (`opa build -t wasm` output): gunzips it, reads the tar entries and
 * checks the manifest. Throws a {@link PolicyError}.
 */
export function readBundle(tarball: Buffer): PolicyBundle {
  let archive: Buffer;
  try {
    archive = gunzipSync(tarball);
  } catch (error) {
    throw new PolicyError({
      code: 'POLICY_BUNDLE_UNREADABLE',
      message: 'the policy bundle is not a gzip file',
      cause: error,
    });
  }
  const members = readTar(archive);
  const member = (name: string): Buffer => {
    const content = members.get(name);
    if (content === undefined) {
      throw new PolicyError({
        code: 'POLICY_BUNDLE_UNREADABLE',
        message: `the policy bundle has no ${name}`,
        details: { members: [...members.keys()] },
      });
    }
    return content;
  };
  const wasm = member('/policy.wasm');
  const data = member('/data.json');
  let manifest: z.output<typeof manifestSchema>;
  try {
    manifest = manifestSchema.parse(JSON.parse(member('/.manifest').toString('utf8')));
    JSON.parse(data.toString('utf8'));
  } catch (error) {
    if (PolicyError.isInstance(error)) throw error;
    throw new PolicyError({
      code: 'POLICY_BUNDLE_INVALID',
      message: `the policy bundle's manifest or data is invalid: ${toError(error).message}`,
      cause: error,
    });
  }
  if (!manifest.wasm.some((module) => module.entrypoint === DECISION_ENTRYPOINT)) {
    throw new PolicyError({
      code: 'POLICY_BUNDLE_INVALID',
      message: `the policy bundle does not export ${DECISION_ENTRYPOINT}`,
      details: { entrypoints: manifest.wasm.map((module) => module.entrypoint) },
    });
  }
  return {
    revision: manifest.revision,
    wasm,
    data,
    sha256: createHash('sha256').update(tarball).digest('hex'),
  };
}

/**
 * A minimal reader for the ustar/GNU archives `opa build` and `tar` write: regular files
 * only, names normalised to a leading "/". PAX and GNU long-name records are honoured.
 */
function readTar(archive: Buffer): Map<string, Buffer> {
  const members = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) {
      throw new PolicyError({
        code: 'POLICY_BUNDLE_UNREADABLE',
        message: `the policy bundle is not a valid tar archive (bad header at byte ${offset})`,
      });
    }
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + BLOCK;
    const end = start + size;
    if (end > archive.length) {
      throw new PolicyError({
        code: 'POLICY_BUNDLE_UNREADABLE',
        message: 'the policy bundle is truncated',
      });
    }
    const content = archive.subarray(start, end);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = cString(content);
      continue;
    }
    if (type === 'x') {
      paxPath = parsePaxPath(content) ?? paxPath;
      continue;
    }
    const name = paxPath ?? longName ?? headerName(header);
    longName = undefined;
    paxPath = undefined;
    if (type === '0' || type === '\0') {
      members.set(normalise(name), Buffer.from(content));
    }
  }
  return members;
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const magic = header.subarray(257, 262).toString('latin1');
  const prefix = magic === 'ustar' ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function normalise(name: string): string {
  return `/${name.replace(/^\.?\/+/, '')}`;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function parseOctal(bytes: Buffer): number {
  const text = cString(bytes).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumMatches(header: Buffer): boolean {
  let sum = 0;
  for (let index = 0; index < BLOCK; index += 1) {
    // The checksum field itself counts as spaces.
    sum += index >= 148 && index < 156 ? 0x20 : (header[index] ?? 0);
  }
  return sum === parseOctal(header.subarray(148, 156));
}

function parsePaxPath(content: Buffer): string | undefined {
  // Records are "<length> <key>=<value>\n".
  for (const record of content.toString('utf8').split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}
