/**
 * What onnxruntime-node (DETECTOR=onnx) costs the function packages: each zip's size, zipped and unzipped, the
 * unzipped bytes under node_modules/onnxruntime-node (and which of its platform folders are there), and the room left
 * under Lambda's limits (50 MB zipped for a direct upload, 250 MB unzipped). Reads the zips `npm run package` wrote.
 *
 *   npm run package && npm run bench:onnx-package-size [-- --dir .serverless]
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { dir: { type: 'string', default: '.serverless' } } });

const MB = 1024 * 1024;
const UNZIPPED_LIMIT = 250 * MB;
const ZIPPED_LIMIT = 50 * MB;

interface Entry {
  name: string;
  size: number;
}

/** The entries of a zip's central directory (names and uncompressed sizes), as `unzip -l` lists them. */
function zipEntries(zip: Buffer): Entry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({ size: zip.readUInt32LE(offset + 24), name: zip.toString('utf8', offset + 46, offset + 46 + nameLength) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

const zips = (await readdir(values.dir)).filter((name) => name.endsWith('.zip')).sort();
if (zips.length === 0) throw new Error(`No zips in ${values.dir}: run npm run package first`);
console.log('function                zipped    unzipped  onnxruntime  platforms          unzipped room');
for (const name of zips) {
  const path = join(values.dir, name);
  const entries = zipEntries(await readFile(path));
  const zipped = (await stat(path)).size;
  const unzipped = entries.reduce((total, entry) => total + entry.size, 0);
  const onnx = entries.filter((entry) => entry.name.startsWith('node_modules/onnxruntime-node/'));
  const platforms = [...new Set(onnx.flatMap((entry) => /bin\/napi-v\d+\/([^/]+\/[^/]+)\//.exec(entry.name)?.[1] ?? []))];
  console.log(
    [
      name.replace(/\.zip$/, '').padEnd(22),
      mb(zipped).padStart(9),
      mb(unzipped).padStart(10),
      mb(onnx.reduce((total, entry) => total + entry.size, 0)).padStart(12),
      `  ${(platforms.join(',') || '-').padEnd(17)}`,
      `${mb(UNZIPPED_LIMIT - unzipped)} (zipped ${mb(ZIPPED_LIMIT - zipped)})`,
    ].join(' '),
  );
}
