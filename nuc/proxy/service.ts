/**
 * The NUC's bus proxy: publishers connect to XSUB (5560), subscribers to XPUB (5559). It checks
 * every message before forwarding it; with `bus.security: curve` (the default) both sides are CURVE
 * servers that admit only the keys in the allow-list, which it follows while it runs (pairing and
 * revoking take effect at once), and it records per key what it accepted and refused, and when it last
 * saw it, for `npm run bus -- list` and `GET /api/bus/clients` (activity.json in the keys directory).
 */
import { socketMessageLimit, startProxy, subscriberQueueLimit, type ProxySecurity, type RunningProxy } from '../../protocol/index.ts';
import { busKeysDir, busLimits, nucBusBind, type ServiceDefinition } from '../../runtime/index.ts';
import { BusKeyStore, pairedClient, watchAllowList, type AllowListEntry } from '../pairing/index.ts';

/** how often the per-key counts and last-seen times are written when they changed (read by `bus list` and the server) */
const ACTIVITY_FLUSH_MS = 1000;

const nucProxy: ServiceDefinition = {
  name: 'proxy',
  description: 'NUC ZeroMQ proxy (XSUB for publishers, XPUB for subscribers), CURVE and the allow-list',
  async start(context) {
    const { config, log } = context;
    const bind = nucBusBind(config);
    const limits = busLimits(config);
    const maxMessageBytes = socketMessageLimit(limits);
    // the configuration loader has checked that the byte bound leaves a usable queue; the same bound
    // holds for what a publisher has sent and the proxy not yet forwarded
    const queue = subscriberQueueLimit({ messages: config.bus.proxyQueueMessages, bytes: config.bus.proxyQueueBytes }, maxMessageBytes, 1)!;
    const store = new BusKeyStore(busKeysDir(config));
    const security: ProxySecurity | undefined =
      config.bus.security === 'curve' ? { serverKeys: store.ensureNucKeys(), clients: store.entries().map(pairedClient) } : undefined;
    const proxy: RunningProxy = await startProxy({
      publishersEndpoint: bind.publishers,
      subscribersEndpoint: bind.subscribers,
      sendHighWaterMark: queue,
      receiveHighWaterMark: queue,
      maxMessageBytes,
      counters: context.metrics.counters,
      checks: { limits, releaseHintIntervalMs: config.bus.releaseHintIntervalMs },
      ...(security ? { security } : {}),
      log,
    });
    for (const [name, read] of Object.entries({
      bus_handshakes_allowed: () => proxy.stats.handshakesAllowed,
      bus_handshakes_refused: () => proxy.stats.handshakesRefused,
      bus_handshakes_failed: () => proxy.stats.handshakesFailed,
      bus_subscriptions_applied: () => proxy.stats.subscriptionsApplied,
      bus_renewals: () => proxy.stats.renewals,
      bus_paired_clients: () => security?.clients.length ?? 0,
    })) {
      context.metrics.gauge(name, read);
    }

    let stopWatching = (): void => {};
    let stopFlushing = (): void => {};
    const since = Date.now();
    let written = -1;
    const flushActivity = (force = false): void => {
      const version = proxy.activityVersion();
      if (!force && version === written) return;
      try {
        store.writeActivity(since, proxy.activity());
        written = version;
      } catch (error) {
        log.warn({ err: error }, 'could not record what the bus clients sent');
      }
    };
    if (security) {
      stopWatching = watchAllowList(store, log, context.guard.wrap('allow_list', (entries: AllowListEntry[]) => {
        const clients = entries.map(pairedClient);
        security.clients = clients;
        void proxy
          .setClients(clients)
          .then(() => log.info({ clients: clients.map((c) => c.name) }, 'bus allow-list changed'))
          .catch((error: unknown) => log.error({ err: error }, 'bus allow-list not applied'));
      }));
      flushActivity(true);
      stopFlushing = context.guard.every('client_activity', ACTIVITY_FLUSH_MS, () => flushActivity());
    }
    context.ready({ publishers: bind.publishers, subscribers: bind.subscribers, security: config.bus.security, queue });
    return {
      async stop() {
        stopWatching();
        stopFlushing();
        if (security) flushActivity(true);
        await proxy.close();
      },
    };
  },
};

export default nucProxy;
