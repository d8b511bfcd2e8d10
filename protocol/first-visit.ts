/**
 * Facts the build's first-visit script and the page bridge share. The build writes the script
 * (builder/page-script.ts); the bridge reads the same keys.
 */

/** Site-wide `--first-visit`: `auto` decides per page (builder/first-visit/choose-mode.ts). */
export type FirstVisitOption = 'auto' | 'reload' | 'swap' | 'off';
/** What one page gets. */
export type FirstVisitMode = Exclude<FirstVisitOption, 'auto'>;

export const FIRST_VISIT_OPTIONS: readonly FirstVisitOption[] = ['auto', 'reload', 'swap', 'off'];

/**
 * localStorage key set by the first-visit script the one time it holds a page for the worker.
 * Per origin and kept: a page that finds it set and no controlling worker is a hard reload, a
 * browser without the worker, or a worker that failed, and loads as written.
 */
export const FIRST_VISIT_DONE_KEY = 'peer-connect:first-visit';

/** Attribute on the build's inline page script (builder/page-script.ts), so a rebuild finds and replaces it. */
export const PAGE_SCRIPT_ATTRIBUTE = 'data-peer-connect-page';

/** localStorage key of a visitor's stored opt-out (`peerConnect.stop()`): no first-visit hold either. */
export const OPT_OUT_KEY = 'peer-connect:opt-out';
