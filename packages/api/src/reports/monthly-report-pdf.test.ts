import { monthlyReportPdf, pdfText } from './monthly-report-pdf';
import { sampleReport } from './monthly-report-testing';

/** Page objects in the file (PDFKit writes object dictionaries uncompressed). */
const pages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;

describe('monthlyReportPdf', () => {
  it('should render a PDF, the same bytes for the same data', async () => {
    const first = await monthlyReportPdf(sampleReport());
    const second = await monthlyReportPdf(sampleReport());
    expect(first.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(first.subarray(-6).toString('latin1')).toContain('%%EOF');
    expect(first.equals(second)).toBe(true);
  });

  it('should run onto more pages as the data grows', async () => {
    const small = await monthlyReportPdf(sampleReport());
    const features = Array.from({ length: 10 }, (_, index) => ({
      feature: `feature-${index}`,
      cost: '1',
      requests: 1,
    }));
    const budgets = Array.from({ length: 120 }, (_, index) => ({
      ...sampleReport().budgets[0],
      id: `b-${index}`,
      name: `budget ${index}`,
    }));
    const large = await monthlyReportPdf(sampleReport({ features, budgets }));
    expect(pages(small)).toBeGreaterThanOrEqual(2);
    expect(pages(large)).toBeGreaterThan(pages(small) + 1);
  });

  it('should keep what the standard fonts show and mark the rest', () => {
    expect(pdfText('Café – 100 € ₹')).toBe('Café – 100 € ?');
    expect(pdfText('a\u0000b\nc')).toBe('a?b?c');
    expect(pdfText('检索')).toBe('??');
  });
});
