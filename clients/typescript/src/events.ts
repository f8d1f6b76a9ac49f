/**
 * The daemon's event stream (`GET /v1/events`, Server-Sent Events) read with `fetch`, so
 * the token travels in the `Authorization` header: the daemon never takes it from a URL,
 * and a browser's `EventSource` cannot send headers. The SSE framing is parsed by
 * `eventsource-parser`; this file adds what `EventSource` would do: reconnect after a
 * drop, resume with `Last-Event-ID`, honour the server's `retry:`.
 */
import { createParser } from "eventsource-parser";

/** Where a stream stands: receiving, waiting to reconnect, or stopped for good. */
export type StreamState = "open" | "reconnecting" | "closed";

/** A running event stream. */
export interface EventStream {
  /** Stops the stream (no more events, no reconnection). */
  close(): void;
  /** The id of the last event received (sent back as `Last-Event-ID` on reconnection). */
  readonly lastEventId: string | undefined;
}

/** What {@link openEventStream} needs. */
export interface EventStreamOptions {
  /** `https://localhost:39443/v1/events`. */
  url: string;
  /** The headers of every attempt (`Authorization`). */
  headers: Record<string, string>;
  fetch: typeof fetch;
  /** Every event's `data`, parsed as JSON (events whose data is not JSON are skipped). */
  onData: (data: unknown) => void;
  /**
   * Each change of state. `closed` with an error: the daemon refused the stream (an
   * error answer, as `toError` makes it); the stream is not retried.
   */
  onState?: (state: StreamState, error?: Error) => void;
  /** Turns an error answer into an Error (the client's `PasserelleError`). */
  toError: (resp: Response) => Promise<Error>;
}

/** Waits before reconnecting: the server's `retry:` (1 s by default), doubled per failure, 30 s at most. */
function backoff(retryMs: number, failures: number): number {
  return Math.min(retryMs * 2 ** Math.min(failures, 5), 30_000);
}

/** Opens the stream and keeps it open until `close()` or a refusal. */
export function openEventStream(options: EventStreamOptions): EventStream {
  const controller = new AbortController();
  const { signal } = controller;
  let lastEventId: string | undefined;
  let retryMs = 1000;
  const parser = createParser({
    onEvent(message) {
      if (message.id !== undefined) lastEventId = message.id;
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      options.onData(data);
    },
    onRetry(ms) {
      retryMs = ms;
    },
  });

  const attempt = async (): Promise<"ended" | "refused"> => {
    const headers: Record<string, string> = { ...options.headers, Accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
    const resp = await options.fetch(options.url, { headers, signal, cache: "no-store" });
    if (!resp.ok || !resp.body) {
      const error = await options.toError(resp);
      // 5xx and 429 are passing troubles; any other refusal will not change by retrying.
      if (resp.status >= 500 || resp.status === 429) throw error;
      options.onState?.("closed", error);
      return "refused";
    }
    options.onState?.("open");
    parser.reset();
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "ended";
      parser.feed(value);
    }
  };

  const run = async () => {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if ((await attempt()) === "refused") return;
        failures = 0;
        options.onState?.("reconnecting");
      } catch (e) {
        if (signal.aborted) return;
        options.onState?.("reconnecting", e instanceof Error ? e : new Error(String(e)));
        failures += 1;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff(retryMs, failures));
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  };
  void run();

  return {
    close() {
      if (signal.aborted) return;
      controller.abort();
      options.onState?.("closed");
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
