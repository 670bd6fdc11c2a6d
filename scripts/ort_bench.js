#!/usr/bin/env node
// ort_bench.js: times one model on onnxruntime-node (CPU EP), for scripts/bench.sh.
//
// node ort_bench.js MODEL INPUT.raw DIMS THREADS ITERS WARMUP [OUTPUT.raw]
//   INPUT.raw: float32 little-endian for the model's first input, of shape DIMS (e.g. 1,3,224,224).
//   Prints {"median_ms":..,"min_ms":..,"iters":..} on stdout; writes the first output to OUTPUT.raw.
// onnxruntime-node is found through NODE_PATH (bench.sh installs it into a cache folder).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, input, dimsText, threads, iters, warmup, output] = process.argv.slice(2);
  if (!warmup) throw new Error('usage: ort_bench.js MODEL INPUT.raw DIMS THREADS ITERS WARMUP [OUTPUT.raw]');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const dims = dimsText.split(',').map(Number);
  const bytes = fs.readFileSync(input);
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * 4) throw new Error(`${input}: ${bytes.length} bytes, expected ${count * 4}`);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };

  for (let i = 0; i < Number(warmup); i++) await session.run(feeds);
  const times = [];
  let result;
  for (let i = 0; i < Number(iters); i++) {
    const start = process.hrtime.bigint();
    result = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  if (output) {
    const out = result[session.outputNames[0]].data;
    fs.writeFileSync(output, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  }
  console.log(JSON.stringify({ median_ms: median, min_ms: times[0], iters: n }));
}

main().catch((e) => {
  console.error(`ort_bench.js: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
