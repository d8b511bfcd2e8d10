/**
 * Node side of the transport probe: bundles bench/transport/probe/page.ts for the browser (the same
 * esbuild settings as the product's bridge bundle), injects it into a visitor's page, and
 * connects two pages' probes by relaying their SDP through Node (no signaling server involved).
 */

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import type { PieceSource, ProbeKind, ProbeWindow, RunResult } from './api.ts';

const ENTRY = fileURLToPath(new URL('./page.ts', import.meta.url));
const OPEN_TIMEOUT_MS = 10_000;

let bundled: Promise<string> | null = null;

function probeSource(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  }).then((r) => {
    const file = r.outputFiles[0];
    if (!file) throw new Error('esbuild produced no probe bundle');
    return file.text;
  });
  return bundled;
}

/** Adds the probe to a page already loaded (it needs the page's origin for IndexedDB). */
export async function injectProbe(page: Page): Promise<void> {
  await page.addScriptTag({ content: await probeSource() });
  await page.waitForFunction(() => (window as ProbeWindow).__pcProbe !== undefined, undefined, { timeout: 5_000 });
}

/** The probe API, one page.evaluate per call (page functions cannot close over Node values, hence the repetition). */
export function probe(page: Page) {
  return {
    offer: (kind: ProbeKind) => page.evaluate((k) => (window as ProbeWindow).__pcProbe!.offer(k), kind),
    answer: (kind: ProbeKind, sdp: string) =>
      page.evaluate(([k, s]) => (window as ProbeWindow).__pcProbe!.answer(k, s), [kind, sdp] as const),
    accept: (kind: ProbeKind, sdp: string) =>
      page.evaluate(([k, s]) => (window as ProbeWindow).__pcProbe!.accept(k, s), [kind, sdp] as const),
    opened: (kind: ProbeKind) =>
      page.evaluate(([k, ms]) => (window as ProbeWindow).__pcProbe!.opened(k, ms), [kind, OPEN_TIMEOUT_MS] as const),
    rawArm: (bytes: number) => page.evaluate((b) => (window as ProbeWindow).__pcProbe!.rawArm(b), bytes),
    rawSend: (bytes: number, messageBytes: number) =>
      page.evaluate(([b, m]) => (window as ProbeWindow).__pcProbe!.rawSend(b, m), [bytes, messageBytes] as const),
    rawResult: (timeoutMs: number): Promise<RunResult> => page.evaluate((t) => (window as ProbeWindow).__pcProbe!.rawResult(t), timeoutMs),
    rawServe: (pieceBytes: number) => page.evaluate((b) => (window as ProbeWindow).__pcProbe!.rawServe(b), pieceBytes),
    rawFetch: (pieces: number, window: number, timeoutMs: number): Promise<RunResult> =>
      page.evaluate(([n, w, t]) => (globalThis as unknown as ProbeWindow).__pcProbe!.rawFetch(n, w, t), [
        pieces,
        window,
        timeoutMs,
      ] as const),
    linkServe: (source: PieceSource) => page.evaluate((s) => (window as ProbeWindow).__pcProbe!.linkServe(s), source),
    linkFetch: (hash: string, pieces: number, window: number, timeoutMs: number): Promise<RunResult> =>
      page.evaluate(([h, n, w, t]) => (globalThis as unknown as ProbeWindow).__pcProbe!.linkFetch(h, n, w, t), [
        hash,
        pieces,
        window,
        timeoutMs,
      ] as const),
  };
}

/** Connects `from` (offers, and is the uploader in every run) to `to`; throws if no channel opens. */
export async function connectProbes(kind: ProbeKind, from: Page, to: Page): Promise<void> {
  const a = probe(from);
  const b = probe(to);
  const offer = await a.offer(kind);
  const answer = await b.answer(kind, offer);
  await a.accept(kind, answer);
  const [openA, openB] = await Promise.all([a.opened(kind), b.opened(kind)]);
  if (!openA || !openB) throw new Error(`${kind} probe channel did not open (${openA}/${openB})`);
}
