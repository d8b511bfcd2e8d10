/**
 * The compliance suite (./suite.ts) against the node runtime.
 */
import { registerComplianceSuite } from './suite.ts';

registerComplianceSuite('node');
