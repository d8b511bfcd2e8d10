/**
 * The compliance suite (./suite.ts) against the workerd runtime.
 * Until tests/runtimes/launch-workerd.ts works this fails, naming workerd: never skipped.
 */
import { registerComplianceSuite } from './suite.ts';

registerComplianceSuite('workerd');
