/**
 * An init script that makes `navigator.connection.saveData` true (Save-Data, as a data-saver
 * setting does): the bridge then prefetches nothing (page-bridge/prefetch/policy.ts).
 */
export const SAVE_DATA_SCRIPT = `Object.defineProperty(Navigator.prototype, 'connection', {
  configurable: true,
  get: () => ({ saveData: true, type: 'wifi', effectiveType: '4g', addEventListener() {}, removeEventListener() {} }),
});`;
