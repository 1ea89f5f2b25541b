import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
  Filler,
);

/** Colours that stay apart for the common colour-vision deficiencies (Okabe–Ito, then more). */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
  '#999999',
];

export interface ChartProps {
  type: 'bar' | 'line';
  labels: string[];
  datasets: ChartDataset<'bar' | 'line', (number | null)[]>[];
  stacked?: boolean;
  /** What the chart shows, for screen readers (the table beside it has the numbers). */
  label: string;
  /** The exact data the chart draws (decimal strings), for tests and tools: data-series. */
  series: unknown;
}

/** A Chart.js chart on a canvas; the instance is Chart.getChart(canvas). */
export function ChartView({ type, labels, datasets, stacked, label, series }: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type,
      data: { labels, datasets: datasets as ChartDataset<'bar', (number | null)[]>[] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: !!stacked },
          y: { stacked: !!stacked, beginAtZero: true },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    return () => chart.destroy();
  }, [type, JSON.stringify(labels), JSON.stringify(datasets), stacked]);
  return (
    <div class="chart" data-series={JSON.stringify(series)}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
