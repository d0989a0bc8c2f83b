/**
 * Date-based API versions, chosen per request with the `Api-Version` header (as GitHub's
 * `X-GitHub-Api-Version` and Stripe's `Stripe-Version`): a version only ever adds to what clients
 * see, so a client that sends none keeps the contract it was written against.
 */
/** Every version, oldest first, with what it adds over the one before it. */
export const API_VERSIONS = {
  '2026-11-21': 'The original contract (the default).',
  '2026-12-03': 'Sharing: User.role, and Bucketlist.owner_id and Bucketlist.role.',
} as const;

export type ApiVersion = keyof typeof API_VERSIONS;

export const SUPPORTED_API_VERSIONS = Object.keys(API_VERSIONS) as ApiVersion[];

/** The version of a request without the header: the one today's clients were written against. */
export const DEFAULT_API_VERSION: ApiVersion = '2026-11-21';

/** The version that added the sharing fields. */
export const SHARING_API_VERSION: ApiVersion = '2026-12-03';

/** The request header, declared once as an OpenAPI component parameter of every /v1 operation. */
export const API_VERSION_PARAMETER = {
  name: 'Api-Version',
  in: 'header',
  required: false,
  description: `The API version, a date: ${SUPPORTED_API_VERSIONS.map((version) => `\`${version}\`: ${API_VERSIONS[version]}`).join(' ')} Without the header the default, ${DEFAULT_API_VERSION}, applies; any other value is a 400. The response's Api-Version header names the version used.`,
  schema: { type: 'string', enum: SUPPORTED_API_VERSIONS, default: DEFAULT_API_VERSION },
} as const;

/** The description of a field that only the given version and later ones include. */
export const since = (version: ApiVersion, description: string) =>
  `${description} Included from API version ${version} (the \`Api-Version\` request header) on; absent under earlier versions.`;
