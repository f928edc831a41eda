/**
 * A ZAP handler (ZeroMQ RFC 27) for one zeromq context: libzmq asks it about every CURVE handshake
 * on that context's server sockets, and a connection proceeds only on a "200". zeromq.js has no ZAP
 * helper, so this binds a Router at `inproc://zeromq.zap.01` and answers each request itself.
 */
import { Router, type Context } from 'zeromq';

export interface ZapRequest {
  /** the server socket's ZAP domain (which side of the proxy) */
  domain: string;
  /** the peer's IP address */
  address: string;
  mechanism: string;
  /** CURVE: the client's public key, raw */
  publicKey: Buffer | undefined;
}

export type ZapAnswer = { ok: true; userId: string } | { ok: false; reason: string };

export interface ZapHandler {
  close(): Promise<void>;
}

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
const ZAP_VERSION = '1.0';

/**
 * Starts answering; it must be bound before any server socket of the context binds. Should the
 * handler fail, `onError` hears of it and handshakes are refused from then on (ZAP fails closed when
 * the server sockets set `zapEnforceDomain`).
 */
export async function startZapHandler(context: Context, authenticate: (request: ZapRequest) => ZapAnswer, onError: (error: unknown) => void): Promise<ZapHandler> {
  const router = new Router({ context, linger: 0 });
  await router.bind(ZAP_ENDPOINT);
  const loop = (async () => {
    try {
      for await (const frames of router) {
        const [routingId, delimiter, version, requestId, domain, address, , mechanism, ...credentials] = frames;
        if (!routingId || !delimiter || !requestId) continue;
        const reply = (code: string, text: string, userId = ''): Promise<void> => router.send([routingId, delimiter, ZAP_VERSION, requestId, code, text, userId, '']);
        if (version?.toString() !== ZAP_VERSION || !mechanism) {
          await reply('500', 'malformed ZAP request');
          continue;
        }
        const name = mechanism.toString();
        const key = name === 'CURVE' && credentials.length === 1 && credentials[0]!.length === 32 ? credentials[0] : undefined;
        const answer = authenticate({ domain: domain?.toString() ?? '', address: address?.toString() ?? '', mechanism: name, publicKey: key });
        await (answer.ok ? reply('200', 'OK', answer.userId) : reply('400', answer.reason));
      }
    } catch (error) {
      if (!router.closed) onError(error);
    }
  })();
  return {
    async close() {
      router.close();
      await loop;
    },
  };
}
