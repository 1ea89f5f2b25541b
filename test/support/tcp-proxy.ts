import net from 'node:net';

/** A TCP forwarder whose connections a test can cut, to play a server restart. */
export interface TcpProxy {
  /** The port clients connect to (on 127.0.0.1). */
  port: number;
  /** Connections accepted so far (to check that clients really went through the proxy). */
  readonly connections: number;
  /**
   * Destroys every open connection and stops listening, so new connections are refused
   * (ECONNREFUSED), as while a database server is down.
   */
  cut(): Promise<void>;
  /** Listens again on the same port; new connections are forwarded again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a random 127.0.0.1 port that forwards every connection to
 * `target` (default 127.0.0.1:5432).
 */
export async function startTcpProxy(
  target: { host?: string; port?: number } = {},
): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const targetPort = target.port ?? 5432;
  const sockets = new Set<net.Socket>();
  let connections = 0;

  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(targetPort, host);
    sockets.add(client);
    sockets.add(upstream);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    // An error on either side ends both, as a broken network path would.
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  let listening = true;

  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      // Resolves once the listener is closed; open sockets are destroyed just below.
      server.close(() => resolve());
    });

  return {
    port,
    get connections() {
      return connections;
    },
    async cut() {
      const closed = stopListening();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    async restore() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    async close() {
      const closed = stopListening();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
  };
}
