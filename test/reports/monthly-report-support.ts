import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningPurser } from '../support/purser';

/** A report answer: status, headers that matter, and the body's bytes. */
export interface ReportAnswer {
  status: number;
  contentType: string | null;
  headers: Headers;
  body: Buffer;
}

/** GETs `/v1/reports/monthly?<query>` with `token` (none: no Authorization header). */
export async function getReport(
  service: RunningPurser,
  query: string,
  token: string | null = service.adminToken,
): Promise<ReportAnswer> {
  const response = await fetch(`${service.url}/v1/reports/monthly?${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

const EXTRACTOR = path.join(__dirname, 'pdf-text.mjs');

/** The text of each page of a PDF, as Mozilla's pdf.js reads it (in a Node process of its own). */
export async function pdfPages(pdf: Buffer): Promise<string[]> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-report-pdf-'));
  const file = path.join(directory, 'report.pdf');
  try {
    fs.writeFileSync(file, pdf);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [EXTRACTOR, file], { maxBuffer: 16 << 20 }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    return (JSON.parse(stdout) as { pages: string[] }).pages;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
