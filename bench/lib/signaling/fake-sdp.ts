/**
 * SDP strings of the size and shape Chromium makes for a data-channel-only connection with one
 * host candidate (~600 characters), so both signaling servers carry realistic payloads. The
 * servers never parse SDP; only size matters, and uniqueness, so nothing is cached by accident.
 */
let n = 0;

export function fakeSdp(type: 'offer' | 'answer'): string {
  const id = `${Date.now().toString(36)}${(n++).toString(36)}`.padEnd(16, '0').slice(0, 16);
  const fp = Array.from({ length: 32 }, (_, i) => ((i * 37 + n) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return [
    'v=0',
    `o=- ${4611731400430051336n + BigInt(n)} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=application 50712 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 127.0.0.1',
    'a=candidate:1467250027 1 udp 2122260223 127.0.0.1 50712 typ host generation 0 network-id 1',
    `a=ice-ufrag:${id.slice(0, 4)}`,
    `a=ice-pwd:${id}${id.slice(0, 8)}`,
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${fp}`,
    `a=setup:${type === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    '',
  ].join('\r\n');
}
