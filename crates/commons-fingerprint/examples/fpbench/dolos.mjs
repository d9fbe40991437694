// Runs Dolos (@dodona/dolos-lib) over a list of files, one thread, and prints
// one JSON line: files, CPU seconds, wall seconds, peak resident memory.
// Usage: node dolos.mjs DOLOS_DIR LANGUAGE K W < file-list
// DOLOS_DIR is a directory where `npm install @dodona/dolos-lib` was run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, language, k, w] = process.argv.slice(2);
const entry = join(dir, "node_modules", "@dodona", "dolos-lib", "dist", "index.js");
const { Dolos } = await import(pathToFileURL(entry).href);
const files = readFileSync(0, "utf8").split("\n").filter((line) => line.length > 0);
const startCpu = process.cpuUsage();
const startWall = process.hrtime.bigint();
const dolos = new Dolos({ language, kgramLength: Number(k), kgramsInWindow: Number(w) });
const report = await dolos.analyzePaths(files);
const pairs = report.allPairs().length;
const cpu = process.cpuUsage(startCpu);
const wall = Number(process.hrtime.bigint() - startWall) / 1e9;
const usage = process.resourceUsage();
console.log(JSON.stringify({
  files: files.length,
  pairs,
  cpu_seconds: (cpu.user + cpu.system) / 1e6,
  wall_seconds: wall,
  peak_rss_bytes: usage.maxRSS * 1024,
}));
