'use strict';
// Shared by the local test servers (cosmos-local, smtp-local): stop on SIGTERM/SIGINT, and when the parent
// closes our stdin — but only if stdin is a pipe or socket: with </dev/null (CI) or a terminal it would end
// at once or never, and not mean "the parent is gone".
const fs = require('fs');

module.exports = function stopWithParent(stop) {
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let st;
  try { st = fs.fstatSync(0); } catch { st = null; }
  if (st && (st.isFIFO() || st.isSocket())) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
};
