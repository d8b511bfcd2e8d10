/**
 * Rewrites signal-worker/dashboard/page/bundle.gen.ts (the dashboard's script and uPlot's CSS,
 * bundled): run after changing the dashboard client or upgrading uPlot.
 *   node --import tsx scripts/bundle-dashboard.ts
 */
import { writeFile } from 'node:fs/promises';
import { BUNDLE_FILE, dashboardBundleSource } from '../signal-worker/dashboard/page/bundle.ts';

await writeFile(BUNDLE_FILE, await dashboardBundleSource());
console.log(`wrote ${BUNDLE_FILE}`);
