/** Every named schema, registered once with Fastify and the validators; the OpenAPI components. */
import { AdminUser, AdminUserPage } from './admin.js';
import { Credentials, RefreshRequest, Registration, Tokens, User } from './auth.js';
import { Bucketlist, BucketlistInput, BucketlistPage, BucketlistPatch } from './bucketlists.js';
import { Export, ExportDocument, ExportedBucketlist, ExportStatus } from './exports.js';
import { Health, Problem, ProblemCode, ValidationIssue } from './common.js';
import { Item, ItemCreate, ItemPage, ItemPatch, ItemReplace } from './items.js';
import { Member, MemberCreate, MemberPage, MemberPatch } from './members.js';

export const sharedSchemas = [
  ProblemCode,
  ValidationIssue,
  Problem,
  Health,
  User,
  Tokens,
  Registration,
  Credentials,
  RefreshRequest,
  Bucketlist,
  BucketlistInput,
  BucketlistPatch,
  BucketlistPage,
  Item,
  ItemCreate,
  ItemReplace,
  ItemPatch,
  ItemPage,
  ExportStatus,
  Export,
  ExportedBucketlist,
  ExportDocument,
  Member,
  MemberCreate,
  MemberPatch,
  MemberPage,
  AdminUser,
  AdminUserPage,
];
