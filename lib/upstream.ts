/**
 * The one place that talks to a backend: POST JSON with the injected fetch, and turn every
 * failure (unreachable, non-2xx) into a ProxyError before anything reaches the client.
 * @module
 */
import { fromFetchFailure, fromUpstreamStatus, ProxyError, readErrorDetail } from "./errors.ts";

/** A fetch function; tests inject a fake one. */
export type Fetch = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/** One upstream call. */
export interface UpstreamCall {
  url: string;
  /** Names the backend in error messages (no credentials). */
  label: string;
  apiKey: string | undefined;
  body: string;
  signal: AbortSignal;
}

/** Posts the body; resolves only with a 2xx response, else throws ProxyError. */
export async function postUpstream(fetchFn: Fetch, call: UpstreamCall): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
  let response: Response;
  try {
    response = await fetchFn(call.url, {
      method: "POST",
      headers,
      body: call.body,
      signal: call.signal,
    });
  } catch (error) {
    if (call.signal.aborted) {
      throw new ProxyError(499 as number, "api_error", "The client closed the request", {
        cause: error,
      });
    }
    throw fromFetchFailure(error, call.label);
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  throw fromUpstreamStatus(
    response.status,
    readErrorDetail(body, text),
    call.label,
    response.headers,
  );
}
