/** Data exports: the export resource and the document its download serves. */
import { type Static, Type } from '@sinclair/typebox';
import { Bucketlist } from './bucketlists.js';
import { Id, ref, Timestamp } from './common.js';
import { Item } from './items.js';

export const ExportStatus = Type.Union(
  ['queued', 'running', 'done', 'failed'].map((status) => Type.Literal(status)),
  {
    $id: 'ExportStatus',
    description:
      'queued: waiting for a worker; running: being written; done: ready to download; failed: given up after retries.',
  },
);

export const Export = Type.Object(
  {
    id: Id,
    status: ref(ExportStatus),
    progress: Type.Integer({ minimum: 0, maximum: 100, description: 'Percentage of the items written so far.' }),
    item_count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'How many items the export holds; null until it starts running.',
    }),
    created_at: Timestamp,
    completed_at: Type.Union([Timestamp, Type.Null()], { description: 'When it became done or failed.' }),
    expires_at: Type.String({
      format: 'date-time',
      description: 'An RFC 3339 timestamp in UTC: after it the export and its download are gone (404).',
    }),
    download_url: Type.Union([Type.String(), Type.Null()], {
      description: 'Where to download the export once it is done (JSON, or CSV with Accept: text/csv); else null.',
      examples: ['/v1/exports/1/download'],
    }),
  },
  { $id: 'Export', additionalProperties: false },
);
export type ExportBody = Static<typeof Export>;

export const ExportedBucketlist = Type.Object(
  { ...Bucketlist.properties, items: Type.Array(ref(Item)) },
  { $id: 'ExportedBucketlist', additionalProperties: false, description: 'A bucketlist with all of its items.' },
);

export const ExportDocument = Type.Object(
  {
    export_id: Id,
    exported_at: Timestamp,
    bucketlists: Type.Array(ref(ExportedBucketlist)),
  },
  {
    $id: 'ExportDocument',
    additionalProperties: false,
    description: "All of the caller's bucketlists, each with its items, in id order.",
  },
);

export const ExportCsv = Type.String({
  description:
    "RFC 4180 CSV with a header line: one line per item with its bucketlist's fields, and one line with empty item fields per bucketlist without items.",
});
