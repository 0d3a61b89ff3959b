#!/usr/bin/env node
'use strict';
// Local SMTP server for the notification tests: accepts every message (no TLS,
// no auth required) and prints it as one JSON line on stdout.
//
// Usage: node server.js [--port N]   (or SMTP_LOCAL_PORT=N; 0 = any free port)
// Prints exactly one line on stdout once listening:
//   SMTP_PORT=<port>
// then one line per received message:
//   {"from":"<envelope sender>","to":["<envelope recipients>"],"subject":"…","text":"…"}
// Stops on SIGTERM/SIGINT, and when stdin (if it is a pipe) reaches EOF, so a
// test process that dies without cleaning up does not leave the server behind.

const stopWithParent = require('../stop-with-parent');
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const HOST = '127.0.0.1';

function parsePort(argv) {
  let value = process.env.SMTP_LOCAL_PORT;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--port' || argv[i] === '-p') value = argv[i + 1];
    else if (/^\d+$/.test(argv[i])) value = argv[i];
  }
  const port = value === undefined || value === '' ? 0 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`smtp-local: invalid port "${value}"`);
    process.exit(2);
  }
  return port;
}

function main() {
  const port = parsePort(process.argv.slice(2));
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // A client configured with a username (SmtpOptions.Username) must be able
    // to log in over this plain connection; any credentials are accepted.
    allowInsecureAuth: true,
    onAuth(auth, session, callback) {
      callback(null, { user: auth.username });
    },
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          if (stream.sizeExceeded) {
            callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
            return;
          }
          // Printed before the reply, so a client's send returns only after its line is out.
          process.stdout.write(`${JSON.stringify({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            subject: mail.subject || '',
            text: mail.text || '',
          })}\n`);
          callback();
        },
        (err) => {
          console.error(`smtp-local: could not parse a message: ${err.message}`);
          callback(err);
        },
      );
    },
  });

  server.on('error', (err) => {
    console.error(`smtp-local: ${err.message}`);
  });
  server.server.once('error', (err) => {
    console.error(`smtp-local: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, HOST, () => {
    process.stdout.write(`SMTP_PORT=${server.server.address().port}\n`);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    // Open client connections would delay close(); nothing is worth waiting for.
    setTimeout(() => process.exit(0), 500).unref();
  };
  stopWithParent(stop);
}

main();
