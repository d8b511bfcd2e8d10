/**
 * What the worker answered each of a visitor's page requests for a manifest asset, read from the
 * response headers the page saw: where the bytes came from (`x-peer-connect-source`) and, for an
 * answer handed to the network whole, why peers were not used (`x-peer-connect-why`). Playwright
 * also reports the worker's own requests (its origin fetches) on the context; they are kept apart.
 */
import type { Response } from 'playwright-core';
import { manifestKeyFor } from '../../../protocol/manifest.ts';
import { SOURCE_HEADER, WHY_HEADER } from '../../../sw/serve-asset.ts';
import type { Visitor } from './browser.ts';
import type { TestSite } from './site.ts';

export interface WorkerAnswer {
  key: string;
  status: number;
  /**
   * `worker`: a page request the worker answered; `worker-fetch`: a request the worker itself made
   * (to the origin); `network`: a page request no worker answered (before one controlled the page).
   */
  via: 'worker' | 'worker-fetch' | 'network';
  source: string | null;
  why: string | null;
}

export interface AnswerLog {
  /** Answers recorded so far, in the order their headers were read. */
  answers: WorkerAnswer[];
  /** Stops recording and returns every answer (waits for headers still being read). */
  stop(): Promise<WorkerAnswer[]>;
}

/** Records every response of the visitor's tabs for a manifest asset of `site`, from now until `stop`. */
export function recordAnswers(visitor: Visitor, site: TestSite): AnswerLog {
  const answers: WorkerAnswer[] = [];
  const reading: Promise<void>[] = [];
  const scope = `${site.origin.url}/`;
  const onResponse = (r: Response): void => {
    let key: string | null;
    try {
      key = manifestKeyFor(r.url(), scope);
    } catch {
      key = null;
    }
    if (key === null || !(key in site.manifest.assets)) return;
    const assetKey = key;
    reading.push(
      Promise.all([r.headerValue(SOURCE_HEADER), r.headerValue(WHY_HEADER)])
        .then(([source, why]) => {
          const via = r.fromServiceWorker() ? 'worker' : r.request().serviceWorker() !== null ? 'worker-fetch' : 'network';
          answers.push({ key: assetKey, status: r.status(), via, source, why });
        })
        .catch(() => undefined),
    );
  };
  visitor.context.on('response', onResponse);
  return {
    answers,
    async stop() {
      visitor.context.off('response', onResponse);
      await Promise.all(reading);
      return answers;
    },
  };
}

/** Counts answers by a label (e.g. `why ?? source`), for a printed line. */
export function countBy(answers: WorkerAnswer[], label: (a: WorkerAnswer) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const l = label(a);
    out[l] = (out[l] ?? 0) + 1;
  }
  return out;
}
