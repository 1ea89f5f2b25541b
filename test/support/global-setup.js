// Jest global setup: make sure the integration tests have a NATS server with JetStream.
// NATS_URL set → use it as is. Unset → start `nats-server` from PATH on a free port with a
// throwaway store, and stop it in global-teardown.js.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

module.exports = async function globalSetup() {
  if (process.env.NATS_URL) return;
  const found = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (found.error) {
    throw new Error(
      'The integration tests need a NATS server with JetStream. Either set NATS_URL ' +
        '(e.g. nats://127.0.0.1:4222) or put nats-server on PATH: ' +
        'https://docs.nats.io/running-a-nats-service/introduction/installation ' +
        '(Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server).',
    );
  }
  const port = await freePort();
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-nats-'));
  const child = spawn(
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    {
      stdio: 'ignore',
      detached: false,
    },
  );
  await waitForPort(port, 10000);
  process.env.NATS_URL = `nats://127.0.0.1:${port}`;
  globalThis.__PURSER_NATS__ = { child, storeDir };
};
