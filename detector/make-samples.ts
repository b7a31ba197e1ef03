import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseArgs } from './evaluation';

const USAGE = 'tsx detector/make-samples.ts --from <photos dir with good/ and anomalous/> --to samples/wafer-photos [--side 512] [--quality 90]';

/** Write downscaled JPEG copies (same file names) of good/ and anomalous/ photos: small enough to commit, large enough to train on. */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const from = args.get('from');
  const to = args.get('to');
  if (!from || !to) {
    console.error(USAGE);
    process.exit(2);
  }
  const side = Number(args.get('side') ?? 512);
  const quality = Number(args.get('quality') ?? 90);
  for (const folder of ['good', 'anomalous']) {
    await mkdir(join(to, folder), { recursive: true });
    for (const name of (await readdir(join(from, folder))).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort()) {
      const bytes = await sharp(join(from, folder, name))
        .resize(side, side, { fit: 'inside', kernel: 'linear' })
        .jpeg({ quality, progressive: false, chromaSubsampling: '4:4:4' })
        .toBuffer();
      await writeFile(join(to, folder, name.replace(/\.(jpe?g|png)$/i, '.jpg')), bytes);
      console.log(`${folder}/${name}: ${bytes.length} bytes`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
