/**
 * The site owner's switch: each swarm's P2P mode (`on`, `download-only`, `off`), from the server's
 * configuration or an authenticated request. Runtime-free; the hub tells connected bridges when
 * their swarm's mode changes and tells joiners in `joined`.
 */
import { modeOf, type P2pMode, type P2pModes } from '../../../protocol/usage-report.ts';

export class P2pSwitch {
  private modes: P2pModes;

  constructor(modes: P2pModes = {}) {
    this.modes = { ...modes };
  }

  modeOf(swarm: string): P2pMode {
    return modeOf(this.modes, swarm);
  }

  /** The configured modes, as written (`*` for every swarm not named). */
  get current(): P2pModes {
    return { ...this.modes };
  }

  /**
   * Replaces the modes; `changed(swarm)` says whether a swarm's mode differs from before (the
   * caller tells that swarm's bridges).
   */
  replace(modes: P2pModes): (swarm: string) => boolean {
    const before = this.modes;
    this.modes = { ...modes };
    return (swarm) => modeOf(before, swarm) !== modeOf(this.modes, swarm);
  }
}
