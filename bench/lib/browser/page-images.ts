/**
 * How many `<img>` the author wrote in a page of the unbuilt site (outside `<noscript>` and
 * `<template>`). A visit waits for at least this many complete images, so a PeerConnect page
 * whose first-visit swap silently failed cannot pass as "loaded" with fewer.
 * (The harness has `expectedImageCount`, but its cache is keyed by page path alone, which two
 * sites with an `index.html` each would share.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DefaultTreeAdapterMap, parse } from 'parse5';

type P5Node = DefaultTreeAdapterMap['node'];
type P5Element = DefaultTreeAdapterMap['element'];

const counted = new Map<string, number>();

export function authoredImages(siteDir: string, page: string): number {
  const file = join(siteDir, page);
  const cached = counted.get(file);
  if (cached !== undefined) return cached;
  let n = 0;
  const visit = (node: P5Node): void => {
    if (!('tagName' in node)) return;
    const el = node as P5Element;
    if (el.tagName === 'img') n++;
    if (el.tagName === 'noscript' || el.tagName === 'template') return;
    for (const c of el.childNodes) visit(c);
  };
  // Scripting on: noscript content is text, as in a browser that runs the bridge.
  for (const c of parse(readFileSync(file, 'utf8'), { scriptingEnabled: true }).childNodes) visit(c);
  counted.set(file, n);
  return n;
}
