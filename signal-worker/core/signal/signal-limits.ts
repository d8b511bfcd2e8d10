/**
 * The signaling server's limits, as one object so tests (and operators) can lower them
 * (`resolveLimits` in ../socket/limits.ts: lowered, never raised past protocol/limits.ts).
 * README "Limits and deadlines" has a row for each: its default and what happens on hitting it.
 */
import {
  IDLE_TIMEOUT_MS,
  MAX_HASHES_PER_SWARM,
  MAX_HAVE_PER_PEER,
  MAX_MESSAGES_PER_SECOND,
  MAX_OFFERS_PER_HOLDER_PER_REQUESTER,
  MAX_PARKED_OFFER_CHARS,
  MAX_PARKED_OFFERS,
  MAX_PEERS_PER_ADDRESS_IN_SWARM,
  MAX_PEERS_PER_SWARM,
  MAX_PEERS_PER_WANT,
  MAX_SIGNAL_CONNECTIONS,
  MAX_SIGNAL_CONNECTIONS_PER_ADDRESS,
  MAX_SIGNAL_HASHES,
  MAX_SIGNAL_HAVE_ENTRIES,
  MAX_SIGNAL_MESSAGE_CHARS,
  MAX_SIGNAL_PEERS,
  MAX_SIGNAL_SWARMS,
  MAX_SOCKET_BUFFERED_BYTES,
  MAX_UNANSWERED_OFFERS,
  MESSAGE_BURST,
  OFFER_COOLDOWN_MS,
  OFFER_WINDOW_MS,
} from '../../../protocol/limits.ts';

export interface SignalLimits {
  /** Largest text frame, in UTF-16 code units, checked before parsing. */
  maxMessageChars: number;
  /** Distinct asset hashes one peer may announce in total. */
  maxHavePerPeer: number;
  /** Peers in one swarm; one more is let in by evicting an idle non-holder, else refused with `swarm-full`. */
  maxPeersPerSwarm: number;
  /** Offers one peer may have parked; extra offers evict its oldest. */
  maxParkedOffers: number;
  /** Holders returned for one `want`. */
  maxPeersPerWant: number;
  /** Token-bucket refill rate per connection, in messages per second. */
  messagesPerSecond: number;
  /** Token-bucket capacity per connection, in messages. */
  messageBurst: number;
  /** A connection silent for this long, in ms, is closed with `idle`. */
  idleTimeoutMs: number;
  /** Open sockets on this hub; one more gets 503 before the upgrade (`server-full` if it raced in). */
  maxConnections: number;
  /** Open sockets from one client address; one more gets 503 before the upgrade (`too-many-connections`). */
  maxConnectionsPerAddress: number;
  /** Swarms held at once; a `join` opening one more gets `server-full`. */
  maxSwarms: number;
  /** Joined peers, all swarms together; one more `join` gets `server-full`. */
  maxPeers: number;
  /** Joined peers from one client address in one swarm; one more `join` gets `too-many-peers`. */
  maxPeersPerAddressInSwarm: number;
  /** Distinct asset hashes announced in one swarm; an announcement past it gets `too-many-hashes`. */
  maxHashesPerSwarm: number;
  /** Distinct (swarm, hash) pairs on this hub; an announcement past it gets `server-full`. */
  maxHashes: number;
  /** (peer, hash) announcements on this hub, all peers together; past it `server-full`. */
  maxHaveEntries: number;
  /** SDP characters parked on this hub, all offers together; past it a new offer is not parked (its holder is listed without one). */
  maxParkedOfferChars: number;
  /** Bytes queued for one socket, in bytes; a relay to a socket past it gets `peer-busy` and that socket is closed (`slow-reader`). */
  maxBufferedBytes: number;
  /** The window, in ms, over which offers from one holder to one requester are counted. */
  offerWindowMs: number;
  /** Parked offers one holder hands one requester per `offerWindowMs`; past it the holder is listed without an offer. */
  maxOffersPerHolderPerRequester: number;
  /** Offers a requester may hold unanswered; past it it gets holders without offers for `offerCooldownMs`. */
  maxUnansweredOffers: number;
  /** How long, in ms, a requester over `maxUnansweredOffers` gets no offers. */
  offerCooldownMs: number;
}

export const DEFAULT_SIGNAL_LIMITS: Readonly<SignalLimits> = Object.freeze({
  maxMessageChars: MAX_SIGNAL_MESSAGE_CHARS,
  maxHavePerPeer: MAX_HAVE_PER_PEER,
  maxPeersPerSwarm: MAX_PEERS_PER_SWARM,
  maxParkedOffers: MAX_PARKED_OFFERS,
  maxPeersPerWant: MAX_PEERS_PER_WANT,
  messagesPerSecond: MAX_MESSAGES_PER_SECOND,
  messageBurst: MESSAGE_BURST,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  maxConnections: MAX_SIGNAL_CONNECTIONS,
  maxConnectionsPerAddress: MAX_SIGNAL_CONNECTIONS_PER_ADDRESS,
  maxSwarms: MAX_SIGNAL_SWARMS,
  maxPeers: MAX_SIGNAL_PEERS,
  maxPeersPerAddressInSwarm: MAX_PEERS_PER_ADDRESS_IN_SWARM,
  maxHashesPerSwarm: MAX_HASHES_PER_SWARM,
  maxHashes: MAX_SIGNAL_HASHES,
  maxHaveEntries: MAX_SIGNAL_HAVE_ENTRIES,
  maxParkedOfferChars: MAX_PARKED_OFFER_CHARS,
  maxBufferedBytes: MAX_SOCKET_BUFFERED_BYTES,
  offerWindowMs: OFFER_WINDOW_MS,
  maxOffersPerHolderPerRequester: MAX_OFFERS_PER_HOLDER_PER_REQUESTER,
  maxUnansweredOffers: MAX_UNANSWERED_OFFERS,
  offerCooldownMs: OFFER_COOLDOWN_MS,
});
