// The part of bittorrent-tracker's server (v11, ships no types) the signaling benchmark uses.
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { Server as HttpServer } from 'node:http';
  export interface TrackerServerOptions {
    udp?: boolean;
    http?: boolean;
    ws?: boolean;
    stats?: boolean;
  }
  export class Server extends EventEmitter {
    constructor(options?: TrackerServerOptions);
    http: HttpServer | null;
    listen(port: number, hostname: string, onListening?: () => void): void;
    close(cb?: () => void): void;
  }
}
