#!/usr/bin/env node
// ort_net_run.js: runs an ONNX model with onnxruntime-node (CPU EP) over a qforge/QNN input list
// and writes OUTPUT_DIR/Result_N/<output>.raw (float32 little-endian), the layout qforge-net-run
// writes, so that scripts/accuracy.py and qforge-diff read both alike. Cross-checks only.
//
// node ort_net_run.js MODEL INPUT_LIST OUTPUT_DIR [THREADS]
//   Input lists: one inference per line, `name:=path` entries (or one bare path for a single-input
//   model); relative paths resolve against the list's folder; '#'/'%' lines and blank lines skipped.
// onnxruntime-node is found through NODE_PATH (scripts/bench.sh installs it into a cache folder).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readList(file) {
  const dir = path.dirname(file);
  return fs.readFileSync(file, 'utf8').split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('%'))
    .map((l) => l.split(/\s+/).map((e) => {
      const at = e.indexOf(':=');
      const name = at >= 0 ? e.slice(0, at) : null;
      const p = at >= 0 ? e.slice(at + 2) : e;
      return { name, path: path.isAbsolute(p) ? p : path.join(dir, p) };
    }));
}

// Raw files hold float32 values whatever the input's dtype, converted at load as qforge-net-run does
// (lib/io/input_list.h): integers truncate toward zero, NaN becomes 0 (an infinity is refused here).
function convert(data, type, file) {
  if (type === 'float32') return data;
  const int = (v) => {
    if (Number.isNaN(v)) return 0;
    if (!Number.isFinite(v)) throw new Error(`${file}: an infinity for an input of type ${type}`);
    return Math.trunc(v);
  };
  if (type === 'int64') return BigInt64Array.from(data, (v) => BigInt(int(v)));
  if (type === 'int32') return Int32Array.from(data, int);
  throw new Error(`${file}: inputs of type ${type} are not supported`);
}

function fileName(tensor) {
  // The percent-encoding qforge uses for tensor file names (lib/io/input_list.h).
  return tensor.replace(/[%/:\\\x00-\x1f]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

async function main() {
  const [model, list, outDir, threads] = process.argv.slice(2);
  if (!outDir) throw new Error('usage: ort_net_run.js MODEL INPUT_LIST OUTPUT_DIR [THREADS]');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: Number(threads || 1), graphOptimizationLevel: 'all',
  });
  const inputs = session.inputNames;
  const meta = session.inputMetadata || [];
  const lines = readList(list);
  for (let i = 0; i < lines.length; i++) {
    const feeds = {};
    lines[i].forEach((entry, k) => {
      const name = entry.name || inputs[k];
      const m = meta.find ? meta.find((x) => x.name === name) : null;
      const bytes = fs.readFileSync(entry.path);
      const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const dims = m && m.shape ? m.shape.map((d) => (typeof d === 'number' ? d : 1)) : [data.length];
      const type = m && m.type ? m.type : 'float32';
      feeds[name] = new ort.Tensor(type, convert(data, type, entry.path), dims);
    });
    const result = await session.run(feeds);
    const dir = path.join(outDir, `Result_${i}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const name of session.outputNames) {
      const t = result[name];
      const f32 = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data, Number);
      fs.writeFileSync(path.join(dir, fileName(name) + '.raw'), Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength));
    }
  }
}

main().catch((e) => {
  console.error(`ort_net_run.js: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
