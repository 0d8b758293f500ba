// Fixes up binaries shipped inside npm packages whose install scripts npm did not run
// (npm here runs no install scripts unless approved): they only need their run bit.
import { chmodSync, existsSync } from 'node:fs';

const binaries = ['node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool'];

for (const file of binaries) {
  if (existsSync(file)) chmodSync(file, 0o755);
}
