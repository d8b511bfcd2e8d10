/**
 * The compliance suite (./suite.ts) against the deno runtime.
 */
import { registerComplianceSuite } from './suite.ts';

registerComplianceSuite('deno');
