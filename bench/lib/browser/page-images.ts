/**
 * How many `<img>` the author wrote in a page of the unbuilt site (outside `<noscript>` and
 * `<template>`). A visit waits for at least this many complete images, so a PeerConnect page
 * whose first-visit swap silently failed cannot pass as "loaded" with fewer.
 * (The harness has `expectedImageCount`, but its cache is keyed by page path alone, which two
 * sites with an `index.html` each would share; the count itself is the harness's.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authoredImageCount } from '../../../tests/e2e/harness/page-view.ts';

const counted = new Map<string, number>();

export function authoredImages(siteDir: string, page: string): number {
  const file = join(siteDir, page);
  const cached = counted.get(file);
  if (cached !== undefined) return cached;
  const n = authoredImageCount(readFileSync(file, 'utf8'));
  counted.set(file, n);
  return n;
}
