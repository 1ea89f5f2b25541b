import { Money } from '@purser/pricing';
import type PDFDocument from 'pdfkit';
import type { DailySpend } from './monthly-report-types';
import { displayMoney } from './monthly-report-view';

type Doc = InstanceType<typeof PDFDocument>;

const CHART_HEIGHT = 90;

/**
 * The month's daily spend as a bar chart (vector, below the current position), with the
 * largest day's amount as its scale and the 1st, 8th, 15th, 22nd and 29th labelled. A bar's
 * height is the day's share of the largest day: a layout ratio, never a figure shown.
 */
export function dailyChart(doc: Doc, daily: readonly DailySpend[], currency: string): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  if (doc.y + CHART_HEIGHT + 40 > doc.page.height - doc.page.margins.bottom - 20) doc.addPage();
  const largest = daily.reduce((max, day) => Money.max(max, new Money(day.cost)), new Money(0));
  doc.font('Helvetica').fontSize(7).fillColor('#4a5568');
  doc.text(`largest day: ${displayMoney(largest.toFixed())} ${currency}`, left, doc.y, {
    lineBreak: false,
  });
  const top = doc.y + 12;
  const base = top + CHART_HEIGHT;
  const slot = width / Math.max(daily.length, 1);
  daily.forEach((day, index) => {
    if (largest.isZero()) return;
    const cost = new Money(day.cost);
    // A day with spend shows, however small against the largest.
    const share = cost.dividedBy(largest).toDecimalPlaces(4).toNumber();
    const height = cost.isPositive() && !cost.isZero() ? Math.max(share * CHART_HEIGHT, 0.5) : 0;
    if (height > 0) {
      doc
        .rect(left + index * slot + slot * 0.15, base - height, slot * 0.7, height)
        .fill('#3867d6');
    }
  });
  doc
    .moveTo(left, base)
    .lineTo(left + width, base)
    .lineWidth(0.5)
    .strokeColor('#4a5568')
    .stroke();
  doc.font('Helvetica').fontSize(7).fillColor('#4a5568');
  daily.forEach((day, index) => {
    if (index % 7 !== 0) return;
    doc.text(day.day.slice(5), left + index * slot, base + 3, { lineBreak: false });
  });
  doc.fillColor('#1d2433');
  doc.x = left;
  doc.y = base + 16;
}
