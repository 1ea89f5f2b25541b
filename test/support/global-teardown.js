const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const started = globalThis.__PURSER_NATS__;
  if (!started) return;
  started.child.kill('SIGTERM');
  fs.rmSync(started.storeDir, { recursive: true, force: true });
};
