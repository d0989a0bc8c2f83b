/** The Lua data file that bench/lua/requests.lua loads: the requests of one wrk scenario. */

/** A string as a Lua literal: printable ASCII as is, everything else as decimal byte escapes. */
export function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** One request of a wrk scenario (see bench/lua/requests.lua). */
export interface ScriptedRequest {
  method: string;
  path: string;
  token?: string;
  body?: string;
  /** For conditional writes: the id whose ETag the script tracks, and the tag to start from. */
  etagKey?: string;
  etag?: string;
}

/** The Lua data file that bench/lua/requests.lua loads. */
export function renderLuaRequests(requests: ScriptedRequest[], trackEtags: boolean): string {
  const lines = requests.map((request) => {
    const fields = [`method = ${luaString(request.method)}`, `path = ${luaString(request.path)}`];
    if (request.token !== undefined) fields.push(`token = ${luaString(request.token)}`);
    if (request.body !== undefined) fields.push(`body = ${luaString(request.body)}`);
    if (request.etagKey !== undefined) fields.push(`etag_key = ${luaString(request.etagKey)}`);
    if (request.etag !== undefined) fields.push(`etag = ${luaString(request.etag)}`);
    return `    { ${fields.join(', ')} },`;
  });
  return `return {\n  track_etags = ${trackEtags},\n  requests = {\n${lines.join('\n')}\n  },\n}\n`;
}
