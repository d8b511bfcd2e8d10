// The parts of @thaunknown/simple-peer (lite build) we use; the package ships no types.
declare module '@thaunknown/simple-peer/lite.js' {
  export interface SignalData {
    type: 'offer' | 'answer' | 'pranswer' | 'rollback' | 'renegotiate' | 'transceiverRequest' | 'candidate';
    sdp?: string;
  }
  export interface PeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelConfig?: RTCDataChannelInit;
  }
  export default class Peer {
    constructor(options?: PeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    readonly bufferSize: number;
    signal(data: SignalData): void;
    write(chunk: Uint8Array): boolean;
    /** Straight to the data channel, no stream buffering; throws if the channel is not open. */
    send(chunk: Uint8Array): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: SignalData) => void): this;
    on(event: 'connect' | 'close' | 'drain', listener: () => void): this;
    on(event: 'data', listener: (data: Uint8Array | string) => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
    off(event: 'drain' | 'close', listener: () => void): this;
  }
}
