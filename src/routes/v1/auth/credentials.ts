/** Password hashing and refresh-token minting for the auth routes. */
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * At most one argon2 computation per core at a time. More would not finish sooner (each takes a
 * core for its whole run), but each holds its 19 MiB while it waits for one, and they would fill
 * libuv's thread pool (4 threads), which the log writes and file system need too.
 */
export const passwordHashing = pLimit(availableParallelism());

export const hashPassword = (password: string) => passwordHashing(() => hash(password, ARGON2_OPTIONS));

// Verified against when the email is unknown, so that login costs the same either way.
const decoyHash = hashPassword('decoy password that never matches anything');

/** True when the password matches; spends one argon2 verification even without a stored hash. */
export async function checkPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  const against = storedHash ?? (await decoyHash);
  const matches = await passwordHashing(() => verify(against, password));
  return storedHash !== undefined && matches;
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** An opaque refresh token: the session id (to find it) and 256 random bits (to prove it). */
export function mintRefreshToken(sessionId: string) {
  const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

// A canonical, lower-case UUID: anything looser (36 dashes, say) would reach the uuid column
// and fail there with a 500 instead of a 401.
const REFRESH_TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/;

/** The session id inside a refresh token, or undefined when it is not one of ours. */
export function sessionOfRefreshToken(token: string): string | undefined {
  return REFRESH_TOKEN.exec(token)?.[1];
}
