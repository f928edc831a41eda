/** A client's security on the NUC bus: CURVE for its sockets, and the seal for what it sends. */
import type { ClientKeys } from './keys.ts';
import { Sealer } from './seal.ts';

export class ClientSecurity {
  readonly sealer: Sealer;

  constructor(readonly keys: ClientKeys) {
    this.sealer = new Sealer(keys);
  }

  /** zeromq socket options: this socket is a CURVE client of the NUC. */
  socketOptions(): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string } {
    return { curveServerKey: this.keys.serverKey, curvePublicKey: this.keys.publicKey, curveSecretKey: this.keys.secretKey };
  }
}
