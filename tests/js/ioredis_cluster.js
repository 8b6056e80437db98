#!/usr/bin/env node
// ioredis Cluster smoke check against a Darner cluster (run by tests/test_cluster_clients.py).
//
//   node tests/js/ioredis_cluster.js 127.0.0.1:7001 [127.0.0.1:7002 ...] [--keys N] [--prefix P]
//
// Connects with ioredis' Cluster client to the given seed nodes, then:
//   * SETs and GETs N keys spread over all slots (the client follows the slot map / MOVED);
//   * MSET/MGET of keys sharing a hash tag;
//   * a cross-slot MSET, which must fail with the server's CROSSSLOT error;
//   * a pipeline of same-slot commands.
// Prints one JSON object on stdout ({"ok": bool, "checks": {...}, "errors": [...]}) and exits 0
// if every check passed, 1 otherwise, 2 on bad usage. Bounded: a global timer aborts after
// IOREDIS_TIMEOUT_MS (default 30000) milliseconds.
"use strict";

const Redis = require("ioredis");

function usage(msg) {
  process.stderr.write(`${msg}\nusage: ioredis_cluster.js host:port [host:port ...] [--keys N] [--prefix P]\n`);
  process.exit(2);
}

const seeds = [];
let nkeys = 300;
let prefix = "iokey";
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--keys") nkeys = parseInt(argv[++i], 10);
  else if (argv[i] === "--prefix") prefix = argv[++i];
  else {
    const m = /^(.*):(\d+)$/.exec(argv[i]);
    if (!m) usage(`bad seed '${argv[i]}'`);
    seeds.push({ host: m[1], port: parseInt(m[2], 10) });
  }
}
if (!seeds.length) usage("no seed nodes");
if (!(nkeys > 0)) usage("--keys must be a positive integer");

const summary = { ok: false, seeds: seeds.map((s) => `${s.host}:${s.port}`), checks: {}, errors: [] };
let cluster = null;

function finish(code) {
  process.stdout.write(JSON.stringify(summary) + "\n");
  const done = () => process.exit(code);
  if (cluster) cluster.disconnect();
  setImmediate(done);
}

const hardTimeout = setTimeout(() => {
  summary.errors.push(`timed out after ${process.env.IOREDIS_TIMEOUT_MS || 30000} ms`);
  finish(1);
}, parseInt(process.env.IOREDIS_TIMEOUT_MS || "30000", 10));
hardTimeout.unref();

function check(name, cond, detail) {
  summary.checks[name] = !!cond;
  if (!cond) summary.errors.push(`${name}: ${detail === undefined ? "failed" : JSON.stringify(detail)}`);
}

async function main() {
  cluster = new Redis.Cluster(seeds, {
    enableReadyCheck: true,           // runs CLUSTER INFO and waits for cluster_state:ok
    slotsRefreshTimeout: 2000,
    maxRedirections: 16,
    clusterRetryStrategy: (times) => (times > 5 ? null : 100),
    redisOptions: { connectTimeout: 3000, commandTimeout: 5000, maxRetriesPerRequest: 3 },
  });
  cluster.on("error", (e) => summary.errors.push(`client error event: ${e.message}`));
  await new Promise((resolve, reject) => {
    cluster.once("ready", resolve);
    cluster.once("end", () => reject(new Error("cluster connection ended before ready")));
  });

  // Slot map as ioredis sees it (from CLUSTER SLOTS).
  const nodes = cluster.nodes("master").map((n) => `${n.options.host}:${n.options.port}`).sort();
  summary.masters = nodes;
  check("three_masters", nodes.length === 3, nodes);

  // 1. SET / GET across all slots.
  const keys = [];
  for (let i = 0; i < nkeys; i++) keys.push(`${prefix}:${i}`);
  const setReplies = await Promise.all(keys.map((k) => cluster.set(k, `v-${k}`)));
  const badSet = setReplies.filter((r) => r !== "OK");
  check("set_all", badSet.length === 0, badSet.slice(0, 5));
  const got = await Promise.all(keys.map((k) => cluster.get(k)));
  const badGet = keys.filter((k, i) => got[i] !== `v-${k}`);
  check("get_all", badGet.length === 0, badGet.slice(0, 5));
  summary.keys_written = nkeys;

  // 2. Hash-tagged multi-key commands (one slot).
  const tagged = [];
  for (let i = 0; i < 10; i++) tagged.push(`{${prefix}-tag}:${i}`);
  const msetArgs = [];
  tagged.forEach((k, i) => msetArgs.push(k, `t${i}`));
  check("mset_tagged", (await cluster.mset(...msetArgs)) === "OK");
  const mget = await cluster.mget(...tagged);
  check("mget_tagged", JSON.stringify(mget) === JSON.stringify(tagged.map((_, i) => `t${i}`)), mget);
  check("del_tagged", (await cluster.del(...tagged.slice(0, 5))) === 5);

  // 3. Cross-slot MSET: ioredis routes by the first key; the server must refuse it.
  const a = `${prefix}:x:a`, b = `${prefix}:x:b`;
  const slotA = await cluster.cluster("KEYSLOT", a), slotB = await cluster.cluster("KEYSLOT", b);
  check("crossslot_keys_differ", slotA !== slotB, [slotA, slotB]);
  let crossErr = null;
  try {
    await cluster.mset(a, "1", b, "2");
  } catch (e) {
    crossErr = e.message;
  }
  summary.crossslot_error = crossErr;
  check("crossslot_rejected", crossErr === "CROSSSLOT Keys in request don't hash to the same slot", crossErr);
  const after = await Promise.all([cluster.exists(a), cluster.exists(b)]);
  check("crossslot_wrote_nothing", after[0] === 0 && after[1] === 0, after);

  // 4. Pipeline of same-slot commands.
  const pk = `{${prefix}-pipe}`;
  const res = await cluster.pipeline().set(`${pk}:a`, "1").incr(`${pk}:n`).incr(`${pk}:n`).get(`${pk}:a`).exec();
  const vals = res.map(([err, v]) => (err ? `ERR ${err.message}` : v));
  check("pipeline", JSON.stringify(vals) === JSON.stringify(["OK", 1, 2, "1"]), vals);

  summary.ok = summary.errors.length === 0;
}

main().then(
  () => finish(summary.ok ? 0 : 1),
  (e) => {
    summary.errors.push(`exception: ${e && e.stack ? e.stack : e}`);
    finish(1);
  },
);
