/**
 * One live connection to a NUC socket.io namespace, typed by the server's wire.ts. socket.io
 * reconnects on its own; after a server that shut down cleanly it waits, so we reconnect it. The
 * page shows `state`, and `onConnect` runs after every (re)connect so a view re-subscribes by itself.
 */
import { io, type Socket } from 'socket.io-client';
import { ref, type Ref } from 'vue';
import type { NamespaceName, Namespaces } from '../../nuc/server/wire.ts';
import type { ConnectionState } from './types.ts';

/** A socket on namespace N: what the server emits (JPEGs arrive as ArrayBuffers) and what the page may send. */
export type LiveSocket<N extends NamespaceName> = Socket<Namespaces<ArrayBuffer>[N]['toBrowser'], Namespaces<ArrayBuffer>[N]['fromBrowser']>;

export interface LiveConnection<N extends NamespaceName> {
  socket: LiveSocket<N>;
  state: Ref<ConnectionState>;
  close(): void;
}

export interface LiveOptions<N extends NamespaceName> {
  /** the control token, sent in the handshake (the driver namespace lets it drive) */
  token?: string;
  onConnect?: (socket: LiveSocket<NoInfer<N>>) => void;
}

export function connectLive<N extends NamespaceName>(namespace: N, options: LiveOptions<N> = {}): LiveConnection<N> {
  const socket: LiveSocket<N> = io(namespace, {
    transports: ['websocket'],
    reconnectionDelayMax: 2000,
    ...(options.token ? { auth: { token: options.token } } : {}),
  });
  const state = ref<ConnectionState>('connecting');
  socket.on('connect', () => {
    state.value = 'connected';
    options.onConnect?.(socket);
  });
  socket.on('disconnect', (reason) => {
    state.value = 'lost';
    // A server that shut down cleanly says so; socket.io then waits for us to reconnect.
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  socket.on('connect_error', () => {
    if (state.value === 'connected') state.value = 'lost';
  });
  return {
    socket,
    state,
    close() {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}
