/**
 * Entry of the transport probe bundle (see bundle.ts): puts `window.__pcProbe` on the page.
 * Browser code; bundled with esbuild, never run by Node.
 */
import type { ProbeApi, ProbeWindow } from './api.ts';
import { linkAccept, linkAnswer, linkFetch, linkOffer, linkOpened, linkServe } from './link.ts';
import { rawAccept, rawAnswer, rawArm, rawFetch, rawOffer, rawOpened, rawResult, rawSend, rawServe } from './raw.ts';

const api: ProbeApi = {
  offer: (kind) => (kind === 'raw' ? rawOffer() : linkOffer()),
  answer: (kind, offer) => (kind === 'raw' ? rawAnswer(offer) : linkAnswer(offer)),
  accept: (kind, answer) => (kind === 'raw' ? rawAccept(answer) : linkAccept(answer)),
  opened: (kind, ms) => (kind === 'raw' ? rawOpened(ms) : linkOpened(ms)),
  rawArm,
  rawSend,
  rawResult,
  rawServe,
  rawFetch,
  linkServe,
  linkFetch,
};
(window as ProbeWindow).__pcProbe = api;
