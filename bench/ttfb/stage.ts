/**
 * One source, measured: REPS timed fetches of each asset in turn (small, large, small, ... so a
 * drift hits both alike). For sources other than the cache, each fetch starts with the asset
 * forgotten locally and ends once the worker has stored it again.
 */
import type { Page } from 'playwright-core';
import { forgetAsset, waitStored } from '../lib/browser/local-store.ts';
import type { Budget } from '../lib/run/budget.ts';
import { sleep } from '../lib/run/budget.ts';
import { type FetchTiming, timedFetch } from './timed-fetch.ts';

export type Source = 'plain' | 'cache' | 'peer' | 'origin' | 'signal-down';

export interface BenchAsset {
  id: 'small' | 'large';
  /** Manifest key, e.g. `img/harbour-dawn.jpg`. */
  key: string;
  /** Path as requested, URL-encoded, with its leading slash. */
  urlPath: string;
  hash: string;
  size: number;
  pieces: number;
}

export interface Sample {
  source: Source;
  asset: BenchAsset['id'];
  rep: number;
  timing: FetchTiming;
}

export const REPS = 20;
const FETCH_TIMEOUT_MS = 20_000;
/** Do not start a fetch with less than this left in the budget. */
const FETCH_RESERVE_MS = 25_000;

export async function measureStage(
  page: Page,
  source: Source,
  assets: readonly BenchAsset[],
  budget: Budget,
  samples: Sample[],
): Promise<number> {
  const viaWorker = source !== 'plain';
  const forgetFirst = viaWorker && source !== 'cache';
  let skipped = 0;
  for (let rep = 0; rep < REPS; rep++) {
    for (const asset of assets) {
      if (budget.short(FETCH_RESERVE_MS)) {
        skipped++;
        continue;
      }
      if (forgetFirst) await forgetAsset(page, asset.hash, asset.pieces);
      const timing = await timedFetch(page, asset.urlPath, viaWorker ? asset.key : null, FETCH_TIMEOUT_MS);
      samples.push({ source, asset: asset.id, rep, timing });
      if (forgetFirst) await waitStored(page, asset.hash, asset.pieces);
      // Let the worker finish its bookkeeping (the `stored` broadcast) before the next request.
      await sleep(viaWorker ? 50 : 10);
    }
  }
  return skipped;
}
