#!/usr/bin/env node
'use strict';
// Azurite's blob service for the local Functions host and the tests: in memory, no telemetry, no access log.
//
// Usage: node server.js [--port N]   (0 or none = any free port)
// Prints exactly one line on stdout once listening:
//   AZURITE_BLOB_ENDPOINT=http://127.0.0.1:<port>/devstoreaccount1
// Stops on SIGTERM/SIGINT and when stdin (if a pipe) reaches EOF, like the other local servers.

const stopWithParent = require('../stop-with-parent');

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const value = i >= 0 ? argv[i + 1] : '0';
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`azurite: invalid port "${value}"`);
    process.exit(2);
  }
  return port;
}

const port = parsePort(process.argv.slice(2));
// BlobEnvironment reads its options from process.argv, as the azurite-blob command does.
process.argv = [process.argv[0], 'azurite-blob',
  '--blobHost', '127.0.0.1', '--blobPort', String(port),
  '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent', '--loose'];

const { BlobServerFactory } = require('azurite/dist/src/blob/BlobServerFactory');
const BlobEnvironment = require('azurite/dist/src/blob/BlobEnvironment').default;

async function main() {
  const server = await new BlobServerFactory().createServer(new BlobEnvironment());
  await server.start();
  const address = server.httpServer.address();
  console.log(`AZURITE_BLOB_ENDPOINT=http://127.0.0.1:${address.port}/devstoreaccount1`);
  let stopping = false;
  stopWithParent(() => {
    if (stopping) return;
    stopping = true;
    server.close().finally(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(`azurite: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
