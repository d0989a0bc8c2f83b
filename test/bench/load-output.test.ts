import t from 'tap';
import { parseAutocannonJson, parseWrkDuration, parseWrkOutput } from '../../bench/lib/load-output.js';
import { luaString, renderLuaRequests } from '../../bench/lib/lua-data.js';

// What wrk 4.1 prints with --latency (captured on this machine).
const WRK_TEXT = `Running 1s test @ http://127.0.0.1:39123/nothing
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.19ms    3.76ms  38.75ms   89.54%
    Req/Sec    11.16k     6.23k   19.85k    60.00%
  Latency Distribution
     50%  421.00us
     75%    2.49ms
     90%    6.13ms
     99%   18.47ms
  11144 requests in 1.01s, 2.73MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 144
Requests/sec:  11062.97
Transfer/sec:      2.71MB
`;

t.test('wrk durations in every unit become milliseconds', async (t) => {
  t.equal(parseWrkDuration('421.00us'), 0.421);
  t.equal(parseWrkDuration('5.04ms'), 5.04);
  t.equal(parseWrkDuration('1.20s'), 1200);
  t.equal(parseWrkDuration('2.00m'), 120_000);
  t.equal(parseWrkDuration('1.00h'), 3_600_000);
  t.throws(() => parseWrkDuration('fast'), /not a wrk duration/);
});

t.test("wrk's text summary gives rate, percentiles, errors and failed responses", async (t) => {
  const result = parseWrkOutput(WRK_TEXT);
  t.equal(result.requests, 11144);
  t.equal(result.durationSeconds, 1.01);
  t.equal(result.requestsPerSecond, 11062.97);
  t.equal(result.okRequestsPerSecond, 11000 / 1.01);
  t.equal(result.latencyP50Ms, 0.421);
  t.equal(result.latencyP99Ms, 18.47);
  t.same(result.errors, { connect: 0, read: 2, write: 0, timeout: 3 });
  t.equal(result.non2xx, 144);
  t.notOk('statuses' in result);
});

t.test('a clean wrk run has no errors and no failed responses', async (t) => {
  const clean = WRK_TEXT.replace(/ {2}Socket errors.*\n/, '')
    .replace(/ {2}Non-2xx.*\n/, '')
    .replace('11144 requests', '9500 requests');
  const result = parseWrkOutput(clean);
  t.equal(result.requests, 9500);
  t.equal(result.non2xx, 0);
  t.same(result.errors, { connect: 0, read: 0, write: 0, timeout: 0 });
});

t.test('a wrk run of zero length reports no rate rather than dividing by zero', async (t) => {
  const result = parseWrkOutput(WRK_TEXT.replace('in 1.01s', 'in 0.00us'));
  t.equal(result.okRequestsPerSecond, 0);
});

t.test('the JSON line of our Lua script wins over the text summary', async (t) => {
  const line =
    'BENCH_JSON {"requests":2000,"duration_us":2000000,"p50_us":1500,"p99_us":9000,' +
    '"errors":{"connect":1,"read":0,"write":0,"status":20,"timeout":0},"statuses":{"200":1980,"412":20}}';
  const result = parseWrkOutput(`${WRK_TEXT}${line}\n`);
  t.equal(result.requests, 2000);
  t.equal(result.durationSeconds, 2);
  t.equal(result.requestsPerSecond, 1000);
  t.equal(result.okRequestsPerSecond, 990);
  t.equal(result.latencyP50Ms, 1.5);
  t.equal(result.latencyP99Ms, 9);
  t.same(result.errors, { connect: 1, read: 0, write: 0, timeout: 0 });
  t.equal(result.non2xx, 20);
  t.same(result.statuses, { '200': 1980, '412': 20 });
});

t.test('a JSON line without statuses or duration still parses', async (t) => {
  const line =
    'BENCH_JSON {"requests":0,"duration_us":0,"p50_us":0,"p99_us":0,' +
    '"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"statuses":{}}';
  const result = parseWrkOutput(line);
  t.equal(result.requestsPerSecond, 0);
  t.equal(result.okRequestsPerSecond, 0);
  t.notOk('statuses' in result);
});

t.test('output that is not a wrk summary is an error that shows it', async (t) => {
  t.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1'), /unrecognised wrk output[\s\S]*unable to connect/);
});

t.test("autocannon's JSON gives the same measurement", async (t) => {
  const json = JSON.stringify({
    requests: { average: 1000, total: 10_000 },
    latency: { p50: 4, p99: 12 },
    duration: 10,
    errors: 5,
    timeouts: 2,
    non2xx: 100,
  });
  const result = parseAutocannonJson(`Running 10s test\n${json}`);
  t.equal(result.requests, 10_000);
  t.equal(result.requestsPerSecond, 1000);
  t.equal(result.okRequestsPerSecond, 990);
  t.equal(result.latencyP50Ms, 4);
  t.equal(result.latencyP99Ms, 12);
  t.same(result.errors, { connect: 0, read: 3, write: 0, timeout: 2 });
  t.equal(result.non2xx, 100);
});

t.test('autocannon output of zero duration falls back to its average', async (t) => {
  const json = JSON.stringify({
    requests: { average: 7, total: 0 },
    latency: { p50: 0, p99: 0 },
    duration: 0,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
  });
  const result = parseAutocannonJson(json);
  t.equal(result.requestsPerSecond, 7);
  t.equal(result.okRequestsPerSecond, 0);
});

t.test('autocannon output without JSON is an error', async (t) => {
  t.throws(() => parseAutocannonJson('npm ERR! 404'), /unrecognised autocannon output/);
});

t.test('Lua string literals escape quotes, backslashes and every non-ASCII byte', async (t) => {
  t.equal(luaString('plain /v1/x?q=a'), '"plain /v1/x?q=a"');
  t.equal(luaString('say "hi" \\ there'), '"say \\"hi\\" \\\\ there"');
  t.equal(luaString('a\nb'), '"a\\010b"');
  t.equal(luaString('é'), '"\\195\\169"');
});

t.test('the Lua data file lists each request with only the fields it has', async (t) => {
  const text = renderLuaRequests(
    [
      { method: 'GET', path: '/v1/bucketlists/1', token: 'abc' },
      { method: 'PATCH', path: '/v1/b/1/items/2', token: 't', body: '{"done":true}', etagKey: '2', etag: '"2-1"' },
    ],
    true,
  );
  t.match(text, /^return \{\n {2}track_etags = true,\n/);
  t.match(text, '{ method = "GET", path = "/v1/bucketlists/1", token = "abc" },');
  t.match(
    text,
    '{ method = "PATCH", path = "/v1/b/1/items/2", token = "t", body = "{\\"done\\":true}", etag_key = "2", etag = "\\"2-1\\"" },',
  );
  t.match(renderLuaRequests([{ method: 'GET', path: '/' }], false), 'track_etags = false');
});
