import PDFDocument from 'pdfkit';
import { dailyChart } from './monthly-report-pdf-chart';

/** The chart drawn alone on an uncompressed page: its content stream, as text. */
async function drawn(costs: string[]): Promise<string> {
  const doc = new PDFDocument({ compress: false, info: { CreationDate: new Date(0) } });
  const chunks: Buffer[] = [];
  const done = new Promise<string>((resolve) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
  dailyChart(
    doc,
    costs.map((cost, index) => ({
      day: `2026-11-${String(index + 1).padStart(2, '0')}`,
      cost,
      requests: 1,
    })),
    'USD',
  );
  doc.end();
  return done;
}

/** Heights of the rectangles drawn (`x y w h re`), in drawing order. */
const bars = (content: string) =>
  [...content.matchAll(/[\d.-]+ [\d.-]+ [\d.]+ ([\d.]+) re/g)].map((match) => Number(match[1]));

describe('dailyChart', () => {
  it('should draw one bar a day with spend, the largest full height, the others in proportion', async () => {
    const heights = bars(await drawn(['10', '0', '5', '2.5', '0.0000001']));
    expect(heights).toHaveLength(4);
    expect(heights[0]).toBeCloseTo(90);
    expect(heights[1]).toBeCloseTo(45);
    expect(heights[2]).toBeCloseTo(22.5);
    // A tiny day still shows, at the least visible height.
    expect(heights[3]).toBeCloseTo(0.5);
  });

  it('should draw no bar for a month without spend, and name its scale', async () => {
    const content = await drawn(['0', '0', '0']);
    expect(bars(content)).toEqual([]);
  });
});
