/**
 * The inline page script's swap on a controlled `swap` page (builder/page-script.ts), run in a vm
 * against a fake document: it puts the wrapped elements back once, at readyState "interactive",
 * and, as the rest of the script, never throws into the page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { pageScriptText } from '../../builder/page-script.ts';

type Listener = () => void;

/** A document being parsed with `count` wrapped elements; `refuse` makes the template's `innerHTML` throw (Trusted Types). */
function fakePage(count: number, refuse: boolean) {
  const listeners: Listener[] = [];
  const replaced: string[] = [];
  const noscripts = Array.from({ length: count }, (_, i) => {
    const ns = {
      textContent: `<img src="img/${i}.png">`,
      parentNode: { replaceChild: (_content: unknown, old: unknown) => replaced.push(old === ns ? `ns${i}` : '?') },
    };
    return ns;
  });
  const document = {
    readyState: 'loading',
    querySelectorAll: (selector: string) =>
      selector === 'noscript[data-peer-connect]' ? noscripts.filter((_, i) => !replaced.includes(`ns${i}`)) : [],
    createElement: () => ({
      content: {},
      set innerHTML(_html: string) {
        if (refuse) throw new TypeError("This document requires 'TrustedHTML' assignment.");
      },
    }),
    addEventListener: (type: string, listener: Listener) => type === 'readystatechange' && listeners.push(listener),
  };
  const posted: unknown[] = [];
  const navigator = { serviceWorker: { controller: { postMessage: (m: unknown) => posted.push(m) } } };
  vm.runInNewContext(pageScriptText({ build: 'b1', hold: null, swap: true }), { document, navigator });
  const fire = (state: string): void => {
    document.readyState = state;
    for (const l of listeners) l();
  };
  return { fire, replaced, posted };
}

describe('page script: a controlled swap page', () => {
  it('names its build, then swaps each wrapped element once, at interactive', () => {
    assert.ok(!pageScriptText({ build: 'b1', hold: null, swap: true }).includes('<'), 'no `<` in the inline script');
    const page = fakePage(3, false);
    assert.equal(page.posted.length, 1);
    assert.deepEqual(page.replaced, [], 'nothing while the document is parsed');
    page.fire('interactive');
    page.fire('complete');
    assert.deepEqual(page.replaced, ['ns0', 'ns1', 'ns2']);
  });

  it('an element that cannot be parsed back (Trusted Types) throws nothing into the page', () => {
    const page = fakePage(2, true);
    assert.doesNotThrow(() => page.fire('interactive'));
    assert.deepEqual(page.replaced, [], 'left for the bridge, which tries the same');
  });
});
