#!/usr/bin/env node
'use strict';
// Local Cosmos DB-protocol server for the SDK contract tests.
//
// It runs @vercel/cosmosdb-server in-process and puts a thin layer in front of
// its request handler to bridge the places where Microsoft.Azure.Cosmos 3.x
// (Gateway mode) and that server disagree. See README.md for what works.
//
// Usage: node server.js [--port N]   (or COSMOS_LOCAL_PORT=N; 0 = any free port)
// Prints exactly one line on stdout once listening:
//   COSMOS_ENDPOINT=https://127.0.0.1:<port>/
// Stops on SIGTERM/SIGINT, and when stdin (if it is a pipe) reaches EOF, so a
// test process that dies without cleaning up does not leave the server behind.

const stopWithParent = require('../stop-with-parent');
const { randomUUID } = require('crypto');
const { AsyncLocalStorage } = require('async_hooks');
const { createHttpsServer } = require('@vercel/cosmosdb-server');
// Internal modules, reachable because the package has no "exports" map and its
// version is pinned exactly in package.json; used for the partition scoping
// of single-partition queries and for the change feed below.
const Items = require('@vercel/cosmosdb-server/lib/account/items').default;
const Documents = require('@vercel/cosmosdb-server/lib/account/documents').default;
const accountModule = require('@vercel/cosmosdb-server/lib/account');

const HOST = '127.0.0.1';
const DEBUG = process.env.COSMOS_LOCAL_LOG === '1';
// Standard headers the change feed and conditional writes use, logged besides the x-ms-* ones.
const LOGGED_HEADERS = new Set(['a-im', 'if-none-match', 'if-modified-since', 'if-match']);

function parsePort(argv) {
  let value = process.env.COSMOS_LOCAL_PORT;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--port' || argv[i] === '-p') value = argv[i + 1];
    else if (/^\d+$/.test(argv[i])) value = argv[i];
  }
  const port = value === undefined || value === '' ? 0 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`cosmos-local: invalid port "${value}"`);
    process.exit(2);
  }
  return port;
}

// Header values arrive as strings ("True") or, if repeated, arrays.
function headerIsTrue(req, name) {
  const v = req.headers[name];
  return [].concat(v || []).some((x) => String(x).toLowerCase() === 'true');
}

const DOCS_FEED = /^\/+dbs\/([^/]+)\/colls\/([^/]+)\/docs\/*$/;
const DOC_ITEM = /^\/+dbs\/[^/]+\/colls\/[^/]+\/docs\/[^/]+\/*$/;

// On Linux the .NET SDK does not build query plans itself (unless
// AZURE_COSMOS_USE_QUERY_PLAN_INTEROP_LINUX=true, with which the server cannot
// run the rewritten aggregate queries), so before every query it POSTs the
// query to the docs feed with header x-ms-cosmos-is-query-plan-request: True
// and expects a PartitionedQueryExecutionInfo back. The wrapped server would
// run the query instead and return documents, which the SDK reads as a plan
// without queryInfo and then dereferences (CosmosNullReferenceException).
//
// We answer with a "pass-through" plan: no ORDER BY / aggregate / DISTINCT /
// TOP / OFFSET features declared and the whole key space as the one range.
// The SDK then simply forwards the original query text to the server and
// streams the server's pages and continuation tokens back unchanged, so the
// server's own ORDER BY, TOP and aggregates apply. This is only sound because
// the server has exactly one partition key range ("" .. "FF"): nothing needs
// merging across partitions on the client.
// Field names and CurrentVersion = 2 checked against the 3.64.0 assemblies.
function passThroughQueryPlan() {
  return {
    partitionedQueryExecutionInfoVersion: 2,
    queryInfo: {
      distinctType: 'None',
      top: null,
      offset: null,
      limit: null,
      orderBy: [],
      orderByExpressions: [],
      groupByExpressions: [],
      groupByAliases: [],
      aggregates: [],
      groupByAliasToAggregateType: {},
      rewrittenQuery: '',
      hasSelectValue: false,
      hasNonStreamingOrderBy: false,
    },
    queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }],
  };
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-ms-request-charge': '0',
    'x-ms-activity-id': randomUUID(),
  });
  res.end(text);
}

// A point read of a missing id makes the wrapped server throw (it reads a
// property of the undefined document) and answer 500. The SDK must see 404
// NotFound, as real Cosmos DB returns, so tests can rely on CosmosException
// with StatusCode == NotFound. We patch res.end for GETs of a single document
// only, and only when the server's 500 body is that TypeError, so genuine
// server errors still surface as 500.
function mapMissingItemTo404(req, res) {
  if (req.method !== 'GET' || !DOC_ITEM.test(req.url.split('?')[0])) return;
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    if (res.statusCode === 500 && !res.headersSent) {
      let message = '';
      try { message = JSON.parse(String(chunk)).message || ''; } catch { /* not JSON */ }
      if (/Cannot read propert(y|ies) of undefined/.test(message)) {
        res.statusCode = 404;
        res.removeHeader('etag');
        return end(JSON.stringify({
          code: 'NotFound',
          message: 'Entity with the specified id does not exist in the system.',
        }), ...rest);
      }
    }
    return end(chunk, ...rest);
  };
}

// The package prints the stack of every handler exception; the missing-item
// TypeError above is expected traffic (every 404 test), so keep it out of the
// test logs. Every other error is still printed.
const printError = console.error.bind(console);
console.error = (...args) => {
  const [first] = args;
  if (first instanceof TypeError && /handler[\\/]read-document\.js/.test(first.stack || '')) return;
  printError(...args);
};

// A single-partition query (SDK sends x-ms-documentdb-partitionkey and no
// enable-cross-partition header) must only see that logical partition, as in
// Cosmos DB. The package instead runs it over the whole container and rejects
// it with 400 "missing partition keys" unless the WHERE clause itself filters
// on the partition key path (which breaks LINQ queries that rely on
// QueryRequestOptions.PartitionKey). We mark such requests as cross-partition
// so the package's check is skipped, and narrow the documents the query runs
// over to the requested partition. The value travels via AsyncLocalStorage
// because the package's query method only receives the query text.
const queryPartition = new AsyncLocalStorage();
const runQuery = Items.prototype.query;
Items.prototype.query = function queryInPartition(params, options) {
  const scope = queryPartition.getStore();
  if (!scope) return runQuery.call(this, params, options);
  const all = this._data;
  // query() is synchronous, so swapping the map cannot interleave with other requests.
  this._data = new Map([...all].filter(([, item]) => this._getPartition(item.read()) === scope.value));
  try {
    return runQuery.call(this, params, options);
  } finally {
    this._data = all;
  }
};

// Returns { value } for a single-component partition key header of a
// non-cross-partition query, else null (leave the request as it is).
function singlePartitionOfQuery(req) {
  const isQuery = headerIsTrue(req, 'x-ms-documentdb-isquery')
    || req.headers['content-type'] === 'application/query+json';
  if (!isQuery || headerIsTrue(req, 'x-ms-documentdb-query-enablecrosspartition')) return null;
  let key;
  try { key = JSON.parse(req.headers['x-ms-documentdb-partitionkey']); } catch { return null; }
  if (!Array.isArray(key) || key.length !== 1 || (key[0] !== null && typeof key[0] === 'object')) return null;
  return { value: key[0] };
}

// The change feed, pull model, latest-version mode. The package answers an
// `A-IM: Incremental Feed` read with its first page and etag "1" and then 304
// forever, so the wrapper serves it itself. Every document write the package
// makes (create, replace, upsert and patch all end in Items#_set; a replace
// deletes and sets again) gets the collection's next log sequence number (LSN);
// a delete drops the document from the log. A change feed read returns the
// current version of each document whose latest write is after the requested
// LSN, in LSN order, and the LSN to continue from as its etag.
const FEED_DEFAULT_PAGE = 100;

function feedOf(documents) {
  if (!documents.changeFeed) {
    // entries: { lsn, rid } in LSN order, including superseded ones (skipped on
    // read, compacted away); current: rid -> LSN of the document's latest write.
    documents.changeFeed = { lsn: 0, entries: [], current: new Map() };
  }
  return documents.changeFeed;
}

const setDocument = Items.prototype._set;
Documents.prototype._set = function setAndLog(data) {
  const stored = setDocument.call(this, data);
  const feed = feedOf(this);
  feed.lsn += 1;
  feed.current.set(data._rid, feed.lsn);
  feed.entries.push({ lsn: feed.lsn, rid: data._rid });
  if (feed.entries.length > 1000 && feed.entries.length > 2 * feed.current.size) {
    feed.entries = feed.entries.filter((e) => feed.current.get(e.rid) === e.lsn);
  }
  return stored;
};

const deleteDocument = Items.prototype.delete;
Documents.prototype.delete = function deleteAndUnlog(idOrRid, partition) {
  const data = this._item('/id', idOrRid, partition).read();
  deleteDocument.call(this, idOrRid, partition);
  if (data) feedOf(this).current.delete(data._rid);
};

// The package creates its account (databases, collections) when the server
// starts listening and keeps it in a closure; a subclass lets us keep it too.
let account = null;
const PackageAccount = accountModule.default;
accountModule.default = class RememberedAccount extends PackageAccount {
  constructor(...args) {
    super(...args);
    account = this;
  }
};

function isChangeFeedRead(req, path) {
  return req.method === 'GET' && DOCS_FEED.test(path)
    && [].concat(req.headers['a-im'] || []).some((v) => String(v).toLowerCase() === 'incremental feed');
}

// If-None-Match: absent = from the beginning, "*" = from now, else an LSN we
// handed out as an etag (quoted, as Cosmos DB does; the SDK sends it back as
// it got it). If-Modified-Since (ChangeFeedStartFrom.Time) starts at the
// first document written at or after that time.
function startOfFeed(req, feed, documents) {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch === '*') return feed.lsn;
  if (ifNoneMatch !== undefined) {
    const text = String(ifNoneMatch).replace(/^"(.*)"$/, '$1');
    return /^\d+$/.test(text) ? Number(text) : null;
  }
  const since = req.headers['if-modified-since'];
  if (since !== undefined) {
    const seconds = Date.parse(since) / 1000;
    if (Number.isNaN(seconds)) return null;
    const first = feed.entries.find((e) => feed.current.get(e.rid) === e.lsn
      && documents._data.get(e.rid).read()._ts >= seconds);
    return first ? first.lsn - 1 : feed.lsn;
  }
  return 0;
}

function firstEntryAfter(entries, lsn) {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (entries[mid].lsn <= lsn) low = mid + 1;
    else high = mid;
  }
  return low;
}

function serveChangeFeed(req, res, path) {
  req.resume();
  const [, dbId, collId] = DOCS_FEED.exec(path).map((p) => p && decodeURIComponent(p));
  const collection = account && account.database(dbId).read() ? account.database(dbId).collection(collId) : null;
  if (!collection || !collection.read()) {
    sendJson(res, 404, { code: 'NotFound', message: 'Resource Not Found' });
    return;
  }
  const range = req.headers['x-ms-documentdb-partitionkeyrangeid'];
  if (range !== undefined && String(range) !== '0') {
    // The server has one partition key range, "0" ("" .. "FF").
    sendJson(res, 410, { code: 'Gone', message: `Partition key range ${range} does not exist.` });
    return;
  }
  let partition = null;
  if (req.headers['x-ms-documentdb-partitionkey'] !== undefined) {
    try {
      const key = JSON.parse(req.headers['x-ms-documentdb-partitionkey']);
      partition = { value: Array.isArray(key) ? key[0] : key };
    } catch {
      sendJson(res, 400, { code: 'BadRequest', message: 'Invalid x-ms-documentdb-partitionkey header.' });
      return;
    }
  }
  const { documents } = collection;
  const feed = feedOf(documents);
  const after = startOfFeed(req, feed, documents);
  if (after === null) {
    sendJson(res, 400, { code: 'BadRequest', message: 'Invalid change feed continuation (If-None-Match / If-Modified-Since).' });
    return;
  }
  const requested = Number.parseInt(req.headers['x-ms-max-item-count'], 10);
  const pageSize = requested > 0 ? requested : FEED_DEFAULT_PAGE;

  const page = [];
  let continuation = Math.max(after, feed.lsn);
  for (let i = firstEntryAfter(feed.entries, after); i < feed.entries.length; i += 1) {
    const { lsn, rid } = feed.entries[i];
    if (feed.current.get(rid) === lsn) {
      const data = documents._data.get(rid).read();
      if (!partition || documents._getPartition(data) === partition.value) {
        if (page.length === pageSize) {
          continuation = page[page.length - 1]._lsn;
          break;
        }
        page.push({ ...data, _lsn: lsn });
      }
    }
  }

  if (DEBUG) {
    console.error(`cosmos-local: change feed after ${after}: ${page.length} document(s), etag "${continuation}"`);
  }
  const headers = {
    etag: `"${continuation}"`,
    'x-ms-request-charge': '0',
    'x-ms-activity-id': randomUUID(),
    'x-ms-item-count': String(page.length),
  };
  if (page.length === 0) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const text = JSON.stringify({ _rid: collection.read()._rid, Documents: page, _count: page.length });
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function main() {
  const port = parsePort(process.argv.slice(2));
  // keepAlive: the package's default answers "connection: close" on every
  // response, which forces a new TLS handshake per SDK request (~7x slower).
  const server = createHttpsServer({ keepAlive: true });
  // Idle sockets are kept longer than .NET's pooled-connection idle timeout (1 min)
  // so the client, not the server, closes them: no request races a server-side close.
  server.keepAliveTimeout = 5 * 60_000;

  // Take over the package's request listener so we can answer some requests
  // ourselves and post-process others before delegating.
  const [inner] = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const path = req.url.split('?')[0];
    if (DEBUG) {
      const h = Object.entries(req.headers)
        .filter(([k]) => (k.startsWith('x-ms-') && k !== 'x-ms-date') || LOGGED_HEADERS.has(k))
        .map(([k, v]) => `${k}=${v}`).join(' ');
      console.error(`cosmos-local: ${req.method} ${req.url} ${h}`);
    }
    if (req.method === 'POST' && DOCS_FEED.test(path)
        && headerIsTrue(req, 'x-ms-cosmos-is-query-plan-request')) {
      req.resume(); // the query text is not needed for a pass-through plan
      sendJson(res, 200, passThroughQueryPlan());
      return;
    }
    if (isChangeFeedRead(req, path)) {
      serveChangeFeed(req, res, path);
      return;
    }
    mapMissingItemTo404(req, res);
    const partition = req.method === 'POST' && DOCS_FEED.test(path) ? singlePartitionOfQuery(req) : null;
    if (partition) {
      req.headers['x-ms-documentdb-query-enablecrosspartition'] = 'True';
      queryPartition.run(partition, () => inner.call(server, req, res));
      return;
    }
    inner.call(server, req, res);
  });

  server.listen(port, HOST, () => {
    process.stdout.write(`COSMOS_ENDPOINT=https://${HOST}:${server.address().port}/\n`);
  });
  server.on('error', (err) => {
    console.error(`cosmos-local: ${err.message}`);
    process.exit(1);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections(); // idle keep-alive sockets would delay close()
    setImmediate(() => process.exit(0));
  };
  stopWithParent(stop);
}

main();
