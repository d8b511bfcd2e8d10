/**
 * The compliance suite (./suite.ts) against the bun runtime.
 */
import { registerComplianceSuite } from './suite.ts';

registerComplianceSuite('bun');
