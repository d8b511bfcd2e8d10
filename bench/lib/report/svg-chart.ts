/**
 * A tiny SVG chart writer, no dependencies: line charts over categorical x values and grouped
 * bar charts, each a panel; panels laid out in a grid make one standalone SVG document.
 * Enough for the benchmarks' figures and no more: linear y axis from zero, "nice" ticks,
 * a legend, and a colour-blind-safe palette (Okabe-Ito). Missing values (null) leave a gap.
 */

export interface Series {
  name: string;
  /** One value per x label (line) or per group (bar); null where there is no measurement. */
  values: ReadonlyArray<number | null>;
  /** Dashed line: the baseline (plain origin) series. */
  dashed?: boolean;
  color?: string;
}

export interface ChartSpec {
  title: string;
  /** Line chart: the x positions (equally spaced); bar chart: the groups. */
  categories: readonly string[];
  xLabel?: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}

export interface Panel {
  width: number;
  height: number;
  /** SVG elements, drawn with (0, 0) at the panel's top left. */
  body: string;
}

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const MARGIN = { top: 40, right: 16, bottom: 52, left: 64 };
const LEGEND_ROW = 18;

const esc = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 1 ? 2 : 1));
const px = (x: number): string => x.toFixed(1);

/** Tick step of 1, 2 or 5 × 10^k giving about five ticks up to `max`. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9 || ticks.length < 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

const colorOf = (s: Series, i: number): string => s.color ?? PALETTE[i % PALETTE.length]!;

interface Frame {
  plotW: number;
  plotH: number;
  top: number;
  yMax: number;
  y(v: number): number;
  parts: string[];
}

/** Title, legend, y axis with grid lines and labels: what both chart kinds share. */
function frame(spec: ChartSpec, dataMax: number): Frame {
  const width = spec.width ?? 560;
  const height = spec.height ?? 360;
  const legendRows = Math.ceil(spec.series.length / 2);
  const top = MARGIN.top + legendRows * LEGEND_ROW;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - top - MARGIN.bottom;
  const ticks = niceTicks(dataMax);
  const yMax = ticks[ticks.length - 1]!;
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" ${FONT}>${esc(spec.title)}</text>`,
  ];
  spec.series.forEach((s, i) => {
    const lx = MARGIN.left + (i % 2) * (plotW / 2);
    const ly = MARGIN.top + Math.floor(i / 2) * LEGEND_ROW - 4;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${colorOf(s, i)}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 28}" y="${ly + 4}" font-size="12" ${FONT}>${esc(s.name)}</text>`,
    );
  });
  for (const t of ticks) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${px(y(t))}" x2="${MARGIN.left + plotW}" y2="${px(y(t))}" stroke="${t === 0 ? '#444' : '#ddd'}" stroke-width="1"/>`,
      `<text x="${MARGIN.left - 6}" y="${px(y(t) + 4)}" text-anchor="end" font-size="11" ${FONT}>${fmt(t)}</text>`,
    );
  }
  const midY = top + plotH / 2;
  parts.push(
    `<text x="16" y="${px(midY)}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${px(midY)})" ${FONT}>${esc(spec.yLabel)}</text>`,
  );
  if (spec.xLabel)
    parts.push(
      `<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle" font-size="12" ${FONT}>${esc(spec.xLabel)}</text>`,
    );
  return { plotW, plotH, top, yMax, y, parts };
}

const finite = (spec: ChartSpec): number[] =>
  spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));

/** Lines over equally spaced categories (e.g. N = 1, 2, 5, 10, 20), a dot on every value. */
export function lineChart(spec: ChartSpec): Panel {
  const f = frame(spec, Math.max(0, ...finite(spec)));
  const n = spec.categories.length;
  const x = (i: number): number => MARGIN.left + (n <= 1 ? f.plotW / 2 : 12 + (i * (f.plotW - 24)) / (n - 1));
  spec.categories.forEach((c, i) => {
    f.parts.push(`<text x="${px(x(i))}" y="${px(f.top + f.plotH + 18)}" text-anchor="middle" font-size="11" ${FONT}>${esc(c)}</text>`);
  });
  spec.series.forEach((s, si) => {
    const color = colorOf(s, si);
    // A gap (null) ends one polyline and starts the next.
    let run: string[] = [];
    const flush = (): void => {
      if (run.length > 1)
        f.parts.push(
          `<polyline points="${run.join(' ')}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
        );
      run = [];
    };
    for (const [i, v] of s.values.entries()) {
      if (v === null || !Number.isFinite(v)) {
        flush();
        continue;
      }
      run.push(`${px(x(i))},${px(f.y(v))}`);
      f.parts.push(
        `<circle cx="${px(x(i))}" cy="${px(f.y(v))}" r="3.5" fill="${color}"><title>${esc(`${s.name}, ${spec.categories[i] ?? ''}: ${fmt(v)}`)}</title></circle>`,
      );
    }
    flush();
  });
  return { width: spec.width ?? 560, height: spec.height ?? 360, body: f.parts.join('\n') };
}

/** Grouped bars: one group per category, one bar per series, the value written above each bar. */
export function barChart(spec: ChartSpec): Panel {
  const f = frame(spec, Math.max(0, ...finite(spec)));
  const groups = spec.categories.length;
  const groupW = f.plotW / Math.max(1, groups);
  const barW = Math.min(36, (groupW * 0.8) / Math.max(1, spec.series.length));
  spec.categories.forEach((c, g) => {
    const cx = MARGIN.left + groupW * (g + 0.5);
    f.parts.push(`<text x="${px(cx)}" y="${px(f.top + f.plotH + 18)}" text-anchor="middle" font-size="11" ${FONT}>${esc(c)}</text>`);
    spec.series.forEach((s, si) => {
      const v = s.values[g];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const left = cx - (barW * spec.series.length) / 2 + si * barW;
      const yTop = f.y(v);
      f.parts.push(
        `<rect x="${px(left + 1)}" y="${px(yTop)}" width="${px(barW - 2)}" height="${px(f.top + f.plotH - yTop)}" fill="${colorOf(s, si)}"${s.dashed ? ' fill-opacity="0.45"' : ''}><title>${esc(`${s.name}, ${c}: ${fmt(v)}`)}</title></rect>`,
        `<text x="${px(left + barW / 2)}" y="${px(yTop - 3)}" text-anchor="middle" font-size="9" ${FONT}>${fmt(Math.round(v))}</text>`,
      );
    });
  });
  return { width: spec.width ?? 560, height: spec.height ?? 360, body: f.parts.join('\n') };
}

/** Panels in a grid (row by row), with an optional caption under them, as one SVG document. */
export function svgDocument(panels: readonly Panel[], columns: number, caption?: string): string {
  const cols = Math.max(1, Math.min(columns, panels.length));
  const cellW = Math.max(...panels.map((p) => p.width));
  const cellH = Math.max(...panels.map((p) => p.height));
  const rows = Math.ceil(panels.length / cols);
  const captionH = caption ? 28 : 0;
  const width = cols * cellW;
  const height = rows * cellH + captionH;
  const placed = panels.map((p, i) => `<g transform="translate(${(i % cols) * cellW} ${Math.floor(i / cols) * cellH})">\n${p.body}\n</g>`);
  const text = caption ? `<text x="8" y="${rows * cellH + 18}" font-size="11" fill="#444" ${FONT}>${esc(caption)}</text>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>
${placed.join('\n')}
${text}
</svg>
`;
}
