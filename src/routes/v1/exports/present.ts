/** The API representation of an export, and its download rendered as JSON or CSV, chunk by chunk. */
import type { ExportRecord } from '../../../db/schema.js';
import type { ExportRow } from '../../../repositories/exports.js';
import type { ExportBody } from '../../../schemas/exports.js';

export const exportPath = (id: number) => `/v1/exports/${id}`;

export function presentExport(row: ExportRow): ExportBody {
  const progress =
    row.status === 'done' ? 100 : row.itemCount ? Math.floor((row.itemsExported * 100) / row.itemCount) : 0;
  return {
    id: row.id,
    status: row.status,
    progress,
    item_count: row.itemCount,
    created_at: row.createdAt,
    completed_at: row.completedAt,
    expires_at: row.expiresAt,
    download_url: row.status === 'done' ? `${exportPath(row.id)}/download` : null,
  };
}

/**
 * The ExportDocument as text, one piece per chunk: `{ export_id, exported_at, bucketlists: [ {
 * ...bucketlist, items: [...] } ] }`. A bucketlist's record opens its object, its items follow.
 */
export async function* renderJson(
  header: { id: number; exportedAt: string },
  chunks: AsyncIterable<ExportRecord[]>,
): AsyncGenerator<string> {
  yield `{"export_id":${header.id},"exported_at":${JSON.stringify(header.exportedAt)},"bucketlists":[`;
  let inBucketlist = false;
  let firstItem = true;
  for await (const records of chunks) {
    let text = '';
    for (const record of records) {
      if ('bucketlist' in record) {
        // The bucketlist's own fields, then its items array: its JSON without the closing brace.
        text += `${inBucketlist ? ']},' : ''}${JSON.stringify(record.bucketlist).slice(0, -1)},"items":[`;
        inBucketlist = true;
        firstItem = true;
      } else {
        text += (firstItem ? '' : ',') + JSON.stringify(record.item);
        firstItem = false;
      }
    }
    yield text;
  }
  yield `${inBucketlist ? ']}' : ''}]}`;
}

export const CSV_COLUMNS = [
  'bucketlist_id',
  'bucketlist_name',
  'bucketlist_description',
  'bucketlist_created_at',
  'bucketlist_updated_at',
  'item_id',
  'item_name',
  'item_done',
  'item_created_at',
  'item_updated_at',
] as const;

/** RFC 4180 §2: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (value: string | number | boolean | null) => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
const csvLine = (fields: (string | number | boolean | null)[]) => `${fields.map(csvField).join(',')}\r\n`;

type BucketlistRecord = Extract<ExportRecord, { bucketlist: unknown }>['bucketlist'];

/** The export as CSV: a line per item, prefixed by its bucketlist's fields; a bucketlist without items has one line. */
export async function* renderCsv(chunks: AsyncIterable<ExportRecord[]>): AsyncGenerator<string> {
  yield csvLine([...CSV_COLUMNS]);
  let bucketlist: BucketlistRecord | undefined;
  let hasItems = false;
  const bucketlistFields = (b: BucketlistRecord) => [b.id, b.name, b.description, b.created_at, b.updated_at];
  const emptyBucketlist = () =>
    bucketlist && !hasItems ? csvLine([...bucketlistFields(bucketlist), null, null, null, null, null]) : '';
  for await (const records of chunks) {
    let text = '';
    for (const record of records) {
      if ('bucketlist' in record) {
        text += emptyBucketlist();
        bucketlist = record.bucketlist;
        hasItems = false;
      } else {
        // Every item record follows its bucketlist's record.
        const item = record.item;
        text += csvLine([
          ...bucketlistFields(bucketlist as BucketlistRecord),
          item.id,
          item.name,
          item.done,
          item.created_at,
          item.updated_at,
        ]);
        hasItems = true;
      }
    }
    yield text;
  }
  yield emptyBucketlist();
}
