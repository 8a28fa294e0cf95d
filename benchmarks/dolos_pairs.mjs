// Dolos (npm @dodona/dolos-lib) on a list of files: every pair's similarity, as one JSON object
// on stdout. Used by bench_similarity.py; not part of the course.
//
//     node benchmarks/dolos_pairs.mjs MANIFEST.json
//
// MANIFEST holds {"files": [absolute paths], "template": path or null, "options": {...}}: the
// template is Dolos's "ignored" boilerplate file (the released notebook's code), the options go
// to `new Dolos(...)` as they are. The library is loaded from $DOLOS_LIB (the package folder),
// by default /tmp/doltry/node_modules/@dodona/dolos-lib: ES modules ignore NODE_PATH.
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const manifest = JSON.parse(readFileSync(process.argv[2], "utf8"));
const lib = process.env.DOLOS_LIB || "/tmp/doltry/node_modules/@dodona/dolos-lib";
const { Dolos } = await import(pathToFileURL(path.join(lib, "dist", "index.js")).href);

const started = performance.now();
const dolos = new Dolos({ language: "python", ...(manifest.options || {}) });
const report = await dolos.analyzePaths(manifest.files, manifest.template || undefined);
const index = new Map(manifest.files.map((file, i) => [path.resolve(file), i]));
const pairs = [];
for (const pair of report.allPairs()) {
  pairs.push([index.get(path.resolve(pair.leftFile.path)), index.get(path.resolve(pair.rightFile.path)),
              pair.similarity, pair.leftCovered, pair.rightCovered, pair.leftTotal, pair.rightTotal,
              pair.longest]);
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ seconds, pairs }) + "\n");
