/**
 * Which first visit a page gets. `auto` (the default) picks `reload` where a page names enough
 * manifest bytes to be worth a second load of its HTML, and `off` elsewhere; it never picks `swap`,
 * which changes the DOM the page's scripts see while it parses and leaves content to our script
 * (a CSP sent as a header, invisible to the build, would hide it for good). An owner may still ask
 * for `swap` or `reload` on every page. A page whose CSP forbids what the mode needs gets `off`.
 */
import type { FirstVisitMode, FirstVisitOption } from '../../protocol/first-visit.ts';
import { FIRST_VISIT_MIN_ASSET_BYTES } from '../../protocol/limits.ts';

export interface PageFacts {
  /** Manifest assets the page's markup names (src, href of stylesheets and preloads, srcset, poster, CSS url() in the page). */
  assetCount: number;
  assetBytes: number;
  /** The page's own size: a `reload` fetches it twice on a first visit. */
  htmlBytes: number;
  /** Why the page's CSP rules out first-visit changes, or null. */
  cspRefusal: string | null;
  /** `--start manual`: P2P waits for the page's consent, so a first visit has nothing to hold for. */
  startsManually?: boolean;
}

export interface FirstVisitChoice {
  mode: FirstVisitMode;
  /** One line for the build's report. */
  reason: string;
}

export function chooseFirstVisit(option: FirstVisitOption, facts: PageFacts): FirstVisitChoice {
  if (facts.cspRefusal !== null) return { mode: 'off', reason: facts.cspRefusal };
  const named = `${facts.assetCount} assets, ${kib(facts.assetBytes)} named by the page`;
  if (option !== 'auto') return { mode: option, reason: `--first-visit ${option} (${named})` };
  if (facts.startsManually)
    return { mode: 'off', reason: 'P2P starts on peerConnect.start() (--start manual): nothing to hold a first visit for' };
  if (facts.assetCount === 0) return { mode: 'off', reason: 'names no manifest asset' };
  const worth = Math.max(FIRST_VISIT_MIN_ASSET_BYTES, 2 * facts.htmlBytes);
  if (facts.assetBytes < worth) return { mode: 'off', reason: `${named}: less than ${kib(worth)}, not worth loading the page twice` };
  return { mode: 'reload', reason: `${named} come through peers` };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KiB`;
