import PDFDocument from 'pdfkit';
import { dailyChart } from './monthly-report-pdf-chart';
import type { MonthlyReportData } from './monthly-report-types';
import {
  displayCount,
  displayMoney,
  displayShare,
  displayThreshold,
  monthOverMonth,
  monthTitle,
  NO_FEATURE,
  topCostCenters,
  topFeatures,
} from './monthly-report-view';

type Doc = InstanceType<typeof PDFDocument>;

interface Column {
  title: string;
  /** Share of the text width. */
  width: number;
  numeric?: boolean;
}

const ROW_HEIGHT = 15;
const FONT_SIZE = 9;

/**
 * Text the standard PDF fonts can show (WinAnsi): printable Latin-1 kept, every other
 * character (control characters, scripts the standard fonts lack) shown as `?`.
 */
export function pdfText(value: string): string {
  return value.replace(
    /[^\u0020-\u007e\u00a0-\u00ff\u2013\u2014\u2019\u201c\u201d\u2026\u20ac]/gu,
    '?',
  );
}

/** Cuts `text` to fit `width` at the current font, ending with an ellipsis when cut. */
function fit(doc: Doc, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  let cut = text;
  while (cut.length > 0 && doc.widthOfString(`${cut}…`) > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function bottom(doc: Doc): number {
  return doc.page.height - doc.page.margins.bottom - 20;
}

function heading(doc: Doc, text: string): void {
  if (doc.y + 60 > bottom(doc)) doc.addPage();
  doc.moveDown(0.8);
  doc.font('Helvetica-Bold').fontSize(13).fillColor('#1d2433');
  doc.text(pdfText(text), doc.page.margins.left, doc.y);
  doc.moveDown(0.3);
}

function note(doc: Doc, text: string): void {
  doc.font('Helvetica-Oblique').fontSize(FONT_SIZE).fillColor('#4a5568');
  doc.text(pdfText(text), doc.page.margins.left, doc.y, {
    width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
  });
  doc.fillColor('#1d2433');
}

/** A table: the header row again at the top of each page it runs onto. */
function table(doc: Doc, columns: Column[], rows: string[][]): void {
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const total = columns.reduce((sum, column) => sum + column.width, 0);
  const widths = columns.map((column) => (column.width / total) * width);
  const drawRow = (cells: string[], bold: boolean) => {
    if (doc.y + ROW_HEIGHT > bottom(doc)) {
      doc.addPage();
      if (!bold)
        drawRow(
          columns.map((column) => column.title),
          true,
        );
    }
    const y = doc.y;
    if (bold)
      doc
        .rect(left, y - 2, width, ROW_HEIGHT)
        .fill('#eef1f5')
        .fillColor('#1d2433');
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
    let x = left;
    cells.forEach((value, index) => {
      const cellWidth = widths[index] - 6;
      doc.text(fit(doc, pdfText(value), cellWidth), x + 3, y + 1, {
        width: cellWidth,
        align: columns[index].numeric ? 'right' : 'left',
        lineBreak: false,
      });
      x += widths[index];
    });
    doc
      .moveTo(left, y + ROW_HEIGHT - 2)
      .lineTo(left + width, y + ROW_HEIGHT - 2)
      .lineWidth(0.5)
      .strokeColor('#d5dae3')
      .stroke();
    doc.x = left;
    doc.y = y + ROW_HEIGHT;
  };
  drawRow(
    columns.map((column) => column.title),
    true,
  );
  for (const row of rows) drawRow(row, false);
}

function summary(doc: Doc, data: MonthlyReportData): void {
  doc
    .font('Helvetica-Bold')
    .fontSize(20)
    .text(pdfText(`Purser monthly report: ${monthTitle(data.month)}`));
  note(
    doc,
    `${data.from.toISOString().slice(0, 10)} to ${data.to.toISOString().slice(0, 10)} (UTC, end excluded), in ${data.currency}.`,
  );
  doc.moveDown(0.5);
  table(
    doc,
    [
      { title: 'Total spend', width: 3, numeric: true },
      { title: 'Requests', width: 2, numeric: true },
      { title: 'Against last month', width: 2, numeric: true },
      { title: 'Unpriced requests', width: 2, numeric: true },
    ],
    [
      [
        `${displayMoney(data.total)} ${data.currency}`,
        displayCount(data.requests),
        monthOverMonth(data) ?? '–',
        displayCount(data.unpricedRequests),
      ],
    ],
  );
}

function trend(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Spend trend');
  const months = [...data.previousMonths, { month: data.month, total: data.total }];
  table(
    doc,
    [
      { title: 'Month', width: 3 },
      { title: `Total (${data.currency})`, width: 2, numeric: true },
    ],
    months.map((row) => [monthTitle(row.month), displayMoney(row.total)]),
  );
  heading(doc, 'Daily spend');
  dailyChart(doc, data.daily, data.currency);
  table(
    doc,
    [
      { title: 'Day', width: 2 },
      { title: `Spend (${data.currency})`, width: 2, numeric: true },
      { title: 'Requests', width: 1, numeric: true },
      { title: 'Share', width: 1, numeric: true },
    ],
    data.daily.map((day) => [
      day.day,
      displayMoney(day.cost),
      displayCount(day.requests),
      displayShare(day.cost, data.total),
    ]),
  );
}

function costCenters(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Top cost centers');
  const rows = topCostCenters(data);
  const money = (value: string) => (value === '' ? '' : displayMoney(value));
  table(
    doc,
    [
      { title: 'Code', width: 2 },
      { title: 'Cost center', width: 4 },
      { title: 'Direct', width: 2, numeric: true },
      { title: 'Shared', width: 2, numeric: true },
      { title: 'True-up', width: 2, numeric: true },
      { title: `Total (${data.currency})`, width: 2, numeric: true },
    ],
    [
      ...rows.map((row) => [
        row.code,
        row.name,
        money(row.direct),
        money(row.shared),
        money(row.trueUp),
        money(row.total),
      ]),
      ['', 'Unallocated', '', '', '', money(data.unallocated)],
      ['', 'Prior-period adjustments', '', '', '', money(data.adjustments)],
      ['', 'Chargeback total', '', '', '', money(data.chargebackTotal)],
    ],
  );
}

function features(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Top features');
  const rows = topFeatures(data);
  table(
    doc,
    [
      { title: 'Feature', width: 4 },
      { title: `Spend (${data.currency})`, width: 2, numeric: true },
      { title: 'Requests', width: 1, numeric: true },
      { title: 'Share', width: 1, numeric: true },
    ],
    rows.map((row) => [
      row.feature ?? NO_FEATURE,
      displayMoney(row.cost),
      row.requests < 0 ? '' : displayCount(row.requests),
      displayShare(row.cost, data.total),
    ]),
  );
}

function variance(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Variance against provider bills');
  if (data.variance.length === 0) note(doc, 'No provider bill covers this month.');
  else {
    table(
      doc,
      [
        { title: 'Provider', width: 2 },
        { title: 'Purser estimate', width: 2, numeric: true },
        { title: 'Billed', width: 2, numeric: true },
        { title: 'Delta', width: 2, numeric: true },
        { title: 'Delta %', width: 1, numeric: true },
      ],
      data.variance.map((row) => [
        row.provider,
        displayMoney(row.estimated),
        displayMoney(row.billed),
        displayMoney(row.delta),
        row.deltaPercent === null ? '–' : `${row.deltaPercent} %`,
      ]),
    );
  }
  if (data.unbilledProviders.length > 0) {
    note(doc, `No bill imported for: ${data.unbilledProviders.join(', ')}.`);
  }
}

function waste(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Waste found');
  if (data.waste === null) return note(doc, 'No waste analysis is configured.');
  if (data.waste.length === 0) return note(doc, 'No waste found this month.');
  table(
    doc,
    [
      { title: 'Category', width: 3 },
      { title: 'Findings', width: 1, numeric: true },
      { title: 'Spend concerned', width: 2, numeric: true },
      { title: 'Recoverable', width: 2, numeric: true },
    ],
    data.waste.map((row) => [
      row.category,
      displayCount(row.findings),
      displayMoney(row.spend),
      displayMoney(row.recoverable),
    ]),
  );
}

function unitEconomics(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Unit economics');
  if (data.unitEconomics.length === 0)
    return note(doc, 'No business metric was recorded this month.');
  table(
    doc,
    [
      { title: 'Metric', width: 3 },
      { title: 'Value', width: 2, numeric: true },
      { title: `AI cost (${data.currency})`, width: 2, numeric: true },
      { title: 'Cost per unit', width: 2, numeric: true },
    ],
    data.unitEconomics.map((row) => [
      row.metric,
      `${row.value}${row.metricCurrency ? ` ${row.metricCurrency}` : ''}`,
      displayMoney(row.cost),
      row.costPerUnit ?? '–',
    ]),
  );
}

function budgets(doc: Doc, data: MonthlyReportData): void {
  heading(doc, 'Budget outcomes');
  if (data.budgets.length === 0) return note(doc, 'No budget.');
  table(
    doc,
    [
      { title: 'Budget', width: 3 },
      { title: 'Period', width: 1.4 },
      { title: 'Limit', width: 2, numeric: true },
      { title: 'Spent', width: 2, numeric: true },
      { title: 'Peak', width: 2.4, numeric: true },
      { title: 'Over', width: 1, numeric: true },
      { title: 'Alerts', width: 2 },
    ],
    data.budgets.map((row) => [
      row.name,
      row.period,
      `${displayMoney(row.limit)} ${row.currency}`,
      displayMoney(row.spent),
      `${displayMoney(row.peak)}${row.peakPercent === null ? '' : ` (${row.peakPercent} %)`}`,
      `${row.overLimit}/${row.windows}`,
      row.alerts.map(displayThreshold).join(', ') || 'none',
    ]),
  );
  note(doc, 'Spent and peak are over the budget windows that overlap the month.');
}

/**
 * The monthly report as a PDF, rendered in the process (PDFKit, the standard Helvetica
 * fonts: real text a PDF reader can search and extract), A4, as many pages as it takes,
 * each numbered. Dated by the end of the month it covers, so the same data gives the same
 * bytes (the CLI and the route agree).
 */
export function monthlyReportPdf(data: MonthlyReportData): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    bufferPages: true,
    info: {
      Title: pdfText(`Purser monthly report: ${monthTitle(data.month)}`),
      Author: 'Purser',
      CreationDate: data.to,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  summary(doc, data);
  trend(doc, data);
  costCenters(doc, data);
  features(doc, data);
  variance(doc, data);
  waste(doc, data);
  unitEconomics(doc, data);
  budgets(doc, data);
  const range = doc.bufferedPageRange();
  for (let index = range.start; index < range.start + range.count; index += 1) {
    doc.switchToPage(index);
    const y = doc.page.height - doc.page.margins.bottom - 10;
    doc.font('Helvetica').fontSize(8).fillColor('#4a5568');
    doc.text(
      `Purser monthly report ${data.month} - page ${index + 1} of ${range.count}`,
      doc.page.margins.left,
      y,
      { lineBreak: false },
    );
  }
  doc.end();
  return done;
}
