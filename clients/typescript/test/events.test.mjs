// The event stream of the client (dist/events.js through PasserelleClient.events) against
// a small local SSE server: the token goes as a header, never in the URL; after a drop the
// stream reconnects and sends Last-Event-ID; the server's retry: is honoured; a refusal
// (401) closes the stream with the daemon's error; close() stops everything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { PasserelleClient, PasserelleError } from "../dist/index.js";

/** A server answering each GET /v1/events with `answers[n]` (n = the attempt). */
async function serve(answers) {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, auth: req.headers["authorization"], last: req.headers["last-event-id"] });
    const answer = answers[seen.length - 1] ?? answers[answers.length - 1];
    answer(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, seen, url: `http://127.0.0.1:${server.address().port}` };
}

const sse = (chunks) => (res) => {
  res.writeHead(200, { "Content-Type": "text/event-stream" });
  for (const c of chunks) res.write(c);
  res.end();
};
const refuse = (res) => {
  res.writeHead(401, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ error: { code: "unauthorized", message: "Application non autorisée." } }));
};

test("reconnects with Last-Event-ID, then stops on a refusal", async () => {
  const { server, seen, url } = await serve([
    sse(["retry: 20\n\n", 'id: 1\nevent: card_inserted\ndata: {"id":1,"type":"card_inserted"}\n\n',
         'id: 2\nevent: card_removed\ndata: {"id":2,', '"type":"card_removed"}\n\n']),
    sse(['id: 3\nevent: reader_added\ndata: {"id":3,"type":"reader_added"}\n\n', "data: not json\n\n"]),
    refuse,
  ]);
  const client = new PasserelleClient({ baseUrl: url, token: "pst_secret" });
  const events = [];
  const states = [];
  const closed = new Promise((resolve) => {
    client.events(
      (e) => events.push(e.id),
      (state, error) => {
        states.push(state);
        if (state === "closed") resolve(error);
      },
    );
  });
  const error = await closed;
  server.close();
  assert.deepEqual(events, [1, 2, 3]);
  assert.deepEqual(states, ["open", "reconnecting", "open", "reconnecting", "closed"]);
  assert.ok(error instanceof PasserelleError);
  assert.equal(error.code, "unauthorized");
  assert.equal(error.status, 401);
  assert.deepEqual(seen.map((s) => s.last), [undefined, "2", "3"]);
  for (const s of seen) {
    assert.equal(s.url, "/v1/events");
    assert.equal(s.auth, "Bearer pst_secret");
  }
});

test("close() stops the stream and any reconnection", async () => {
  const { server, seen, url } = await serve([sse(["retry: 10\n\n"])]);
  const client = new PasserelleClient({ baseUrl: url, token: "pst_secret" });
  const states = [];
  let stream;
  await new Promise((resolve) => {
    stream = client.events(() => {}, (state) => {
      states.push(state);
      if (state === "reconnecting") resolve();
    });
  });
  stream.close();
  const attempts = seen.length;
  await new Promise((r) => setTimeout(r, 100));
  server.close();
  assert.equal(seen.length, attempts, "no attempt after close()");
  assert.equal(states.at(-1), "closed");
});
