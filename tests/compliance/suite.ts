/**
 * Registers the whole compliance suite against one runtime, started for real on 127.0.0.1. A
 * runtime that cannot start fails every case with its name and reason: node:test would only
 * count the cases "cancelled" after a failing `before`, which a summary can read as passing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchRuntime } from '../runtimes/launch.ts';
import type { LaunchOptions, RuntimeName, RuntimeServer } from '../runtimes/types.ts';
import { hostileCases, hostileServerCases } from './cases/hostile.ts';
import { limitCases } from './cases/limits.ts';
import { malformedCases } from './cases/malformed.ts';
import { originCases } from './cases/origin.ts';
import { signalCases } from './cases/signal.ts';
import { trackerCases } from './cases/tracker.ts';
import { trackerHostileCases } from './cases/tracker-hostile.ts';
import { usageCases } from './cases/usage.ts';
import { webTorrentClientCases } from './cases/webtorrent-client.ts';
import { type ComplianceCase, runCase } from './support/case.ts';
import { COMPLIANCE_LAUNCH, HOSTILE_LAUNCH } from './support/config.ts';

export const COMPLIANCE_CASES: readonly ComplianceCase[] = [
  ...signalCases,
  ...originCases,
  ...malformedCases,
  ...limitCases,
  ...hostileCases,
  ...trackerCases,
  ...trackerHostileCases,
  ...webTorrentClientCases,
  ...usageCases,
];

type Started = { ok: true; server: RuntimeServer; ms: number } | { ok: false; error: Error };

/**
 * The cases that need limits of their own (full-size messages, the default rate, no quick idle
 * timeout: see HOSTILE_LIMITS), against a second server of the same runtime.
 */
export const HOSTILE_SERVER_CASES: readonly ComplianceCase[] = hostileServerCases;

export function registerComplianceSuite(runtime: RuntimeName): void {
  registerAgainst(runtime, `${runtime}: signaling compliance`, COMPLIANCE_LAUNCH, COMPLIANCE_CASES);
  registerAgainst(runtime, `${runtime}: signaling under hostile clients`, HOSTILE_LAUNCH, HOSTILE_SERVER_CASES);
}

function registerAgainst(runtime: RuntimeName, title: string, launch: LaunchOptions, cases: readonly ComplianceCase[]): void {
  describe(title, () => {
    let started: Promise<Started>;
    const server = async (): Promise<RuntimeServer> => {
      const result = await started;
      if (!result.ok)
        throw new Error(`${runtime} did not start, so this case could not run: ${result.error.message}`, { cause: result.error });
      return result.server;
    };

    before(() => {
      const t0 = performance.now();
      started = launchRuntime(runtime, launch).then(
        (s): Started => ({ ok: true, server: s, ms: performance.now() - t0 }),
        (error: unknown): Started => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    });
    after(async () => {
      const result = await started;
      if (result.ok) await result.server.stop();
    });

    it(`${runtime} starts and listens on 127.0.0.1`, async (t) => {
      const result = await started;
      if (!result.ok) throw result.error;
      t.diagnostic(
        `${runtime} listening after ${result.ms.toFixed(0)} ms, ${((await result.server.rssBytes()) / 2 ** 20).toFixed(1)} MiB resident`,
      );
      assert.match(result.server.url, /^ws:\/\/127\.0\.0\.1:\d+\/peer-connect\/signal$/);
      assert.equal(result.server.trackerUrl, result.server.url.replace(/\/signal$/, '/announce'));
      assert.equal(result.server.runtime, runtime);
    });

    for (const testCase of cases) {
      it(testCase.name, async (t) => runCase(testCase, await server(), t));
    }
  });
}
