import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * An output written whole or not at all: the data goes to a temporary file beside the target (same folder, so
 * the rename is atomic), which replaces the target only once complete. A failure leaves an existing target as it
 * was and no partial or empty file behind.
 */
export class AtomicFile {
  /** Where to write until `commit`. */
  readonly temporary: string;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.temporary = join(
      dirname(path),
      `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
    );
  }

  /** Puts the finished file in place. */
  commit(): void {
    renameSync(this.temporary, this.path);
  }

  /** Drops the unfinished file; the target is untouched. */
  discard(): void {
    rmSync(this.temporary, { force: true });
  }
}

/** Writes a whole file atomically (see AtomicFile). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const file = new AtomicFile(path);
  try {
    await writeFile(file.temporary, data);
    await rename(file.temporary, path);
  } catch (error) {
    await rm(file.temporary, { force: true });
    throw error;
  }
}
