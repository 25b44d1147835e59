// The stored export: the JSON file as a sequence of chunks, each sealed (AES-256-GCM)
// under the user's data key with AAD bound to the request and the chunk's position,
// plus a privacy_exports row describing the file. Writing holds at most one chunk
// of plain text; reading yields one decrypted chunk at a time.
import { createHash } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import type { DataKeys } from '../crypto/data-keys';

const CHUNK = ENCRYPTED_COLUMNS.dataExportChunk;
/** Plain-text bytes per stored chunk. */
export const EXPORT_CHUNK_BYTES = 256 * 1024;

/** The row id a chunk's AAD names: the request and the chunk's position in the file. */
const chunkId = (requestId: string, seq: number) => `${requestId}:${seq}`;

export interface WrittenFile {
  sizeBytes: number;
  chunkCount: number;
  sha256: string;
}

/**
 * A sink for the export's text: buffers up to `chunkBytes`, then seals and stores a
 * chunk. Call `finish()` once everything is written. Starts from chunk 0: the caller
 * deletes any chunks a previous attempt left.
 */
export function chunkWriter(prisma: PrismaClient, dataKeys: DataKeys, owner: { requestId: string; userId: string }, chunkBytes = EXPORT_CHUNK_BYTES) {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let size = 0;
  const store = async (plain: Buffer) => {
    const ciphertext = await dataKeys.seal(CHUNK, chunkId(owner.requestId, seq), owner.userId, plain.toString('utf8'));
    await prisma.dataExportChunk.create({ data: { requestId: owner.requestId, seq, userId: owner.userId, ciphertext } });
    seq += 1;
  };
  const flush = async (all: boolean) => {
    while (pendingBytes >= chunkBytes || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending);
      // Cut on a UTF-8 character boundary so each chunk is valid text on its own.
      let cut = Math.min(chunkBytes, joined.length);
      while (cut < joined.length && cut > 0 && ((joined[cut] as number) & 0xc0) === 0x80) cut -= 1;
      await store(joined.subarray(0, cut));
      const rest = joined.subarray(cut);
      pending = rest.length ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
    }
  };
  return {
    async write(text: string): Promise<void> {
      if (!text) return;
      const bytes = Buffer.from(text, 'utf8');
      hash.update(bytes);
      size += bytes.length;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= chunkBytes) await flush(false);
    },
    async finish(): Promise<WrittenFile> {
      await flush(true);
      return { sizeBytes: size, chunkCount: seq, sha256: hash.digest('hex') };
    },
  };
}

/** Deletes every stored chunk of an export (a retried writer starting over, or the file's expiry). */
export async function deleteChunks(prisma: PrismaClient, requestId: string): Promise<number> {
  return (await prisma.dataExportChunk.deleteMany({ where: { requestId } })).count;
}

/** The file's chunks, decrypted, in order: one chunk in memory at a time. */
export async function* readChunks(prisma: PrismaClient, dataKeys: DataKeys, file: { requestId: string; userId: string; chunkCount: number }): AsyncGenerator<Buffer> {
  for (let seq = 0; seq < file.chunkCount; seq += 1) {
    const chunk = await prisma.dataExportChunk.findUnique({ where: { requestId_seq: { requestId: file.requestId, seq } } });
    if (!chunk) throw new Error(`chunk ${seq} of export ${file.requestId} is missing (deleted at expiry meanwhile?)`);
    yield Buffer.from(await dataKeys.open(CHUNK, chunkId(file.requestId, seq), file.userId, chunk.ciphertext), 'utf8');
  }
}
