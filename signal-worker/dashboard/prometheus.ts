/**
 * A tiny encoder for the Prometheus text exposition format (version 0.0.4), the format
 * `GET /peer-connect/metrics` answers in. Why not prom-client: it is Node-only (its registry
 * reads `process`, `cluster`, `perf_hooks`), and this app runs on Deno, Bun and workerd as well;
 * what we need is only the text format, whose rules are these (prometheus.io, "Exposition
 * formats", text format details):
 * - metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`;
 * - in `# HELP` text, `\` is written `\\` and a line feed `\n`;
 * - in a label value, `\` is `\\`, `"` is `\"` and a line feed `\n`;
 * - a value is a float (`NaN`, `+Inf`, `-Inf` spelt so); lines end with `\n`, the last one too.
 */

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/** One metric family: its samples share name, help and type. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

/** The content type of this format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * The families as exposition text. A family with no sample is written with its HELP and TYPE
 * only. Throws on a malformed metric or label name: those are ours, never a client's, so a bad one
 * is a bug to find in a test, not a value to escape.
 */
export function encodePrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`bad metric name ${family.name}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [name] of labels) if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`bad label name ${name}`);
      const labelText = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      lines.push(`${family.name}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
