/** The committed dashboard bundle is what the sources make now: a changed client.ts or uPlot without `npm run bundle:dashboard` fails here. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { BUNDLE_FILE, dashboardBundleSource } from '../../signal-worker/dashboard/page/bundle.ts';

it('signal-worker/dashboard/page/bundle.gen.ts is up to date with client.ts and uPlot', async () => {
  const fresh = await dashboardBundleSource();
  assert.ok(fresh.includes('uplot'), 'uPlot is in the bundle');
  assert.equal(await readFile(BUNDLE_FILE, 'utf8'), fresh, 'run: npm run bundle:dashboard');
});
