/**
 * The worker's own `fetch`, taken when this module is evaluated, before any site code can run
 * (composed mode replaces `self.fetch` for the site: sw/site-fetch.ts). Every request of ours
 * goes through this one, so our origin fetches never come back to our own answer.
 */
declare const self: ServiceWorkerGlobalScope;

export const realFetch: typeof fetch = self.fetch.bind(self);
