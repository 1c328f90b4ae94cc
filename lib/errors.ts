/**
 * One error type for every failure the proxy reports. It is rendered into a dialect's
 * envelope only at the edge (handler, or the stream's terminal error event).
 * @module
 */

/** Anthropic's error types; the OpenAI dialect maps from these. */
export type ErrorKind =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

/** A failure with an HTTP status, an Anthropic error type and a message that says what to fix. */
export class ProxyError extends Error {
  readonly status: number;
  readonly kind: ErrorKind;
  /** Response headers worth passing to the client (retry-after). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    kind: ErrorKind,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ProxyError";
    this.status = status;
    this.kind = kind;
    this.headers = options.headers ?? {};
  }
}

/** Bad client input: 400 invalid_request_error. */
export function invalidRequest(message: string): ProxyError {
  return new ProxyError(400, "invalid_request_error", message);
}

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  413: "request_too_large",
  422: "invalid_request_error",
  429: "rate_limit_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** Anthropic's status for an error type (used when the status itself is not meaningful). */
export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

// llama.cpp says "the request exceeds the available context size" (type exceed_context_size_error).
const CONTEXT_OVERFLOW =
  /context[_ ]length|maximum context|context window|context[_ ]size|too many tokens|prompt is too long|exceeds? (the )?(max|context)/i;

/** Details pulled from an upstream error body of any common shape. */
export interface UpstreamErrorDetail {
  message: string;
  type?: string;
  code?: string;
}

/**
 * Reads an OpenAI-style error body leniently: `{error:{message,type,code}}`, Gemini's
 * array-wrapped form, `{error:"text"}`, `{message}`, or plain text/HTML.
 */
export function readErrorDetail(body: unknown, fallbackText: string): UpstreamErrorDetail {
  let value: unknown = Array.isArray(body) ? body[0] : body;
  if (value && typeof value === "object" && "error" in value) {
    value = (value as { error: unknown }).error;
  }
  if (typeof value === "string" && value) return { message: value };
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const message = typeof record.message === "string" ? record.message : undefined;
    const type = typeof record.type === "string"
      ? record.type
      : typeof record.status === "string"
      ? record.status
      : undefined;
    const code = record.code === undefined || record.code === null
      ? undefined
      : String(record.code);
    if (message) return { message, type, code };
  }
  const text = fallbackText.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return { message: text.slice(0, 300) || "no error message" };
}

/** Reads a non-2xx response's body (JSON or not) into its error details. */
export async function readErrorResponse(response: Response): Promise<UpstreamErrorDetail> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return readErrorDetail(body, text);
}

/**
 * Maps an upstream HTTP error to the status and type Claude clients act on. Context-window
 * overflows become Anthropic's "prompt is too long" 400, which Claude Code answers by
 * compacting; a 5xx would make it resend the same oversized request.
 */
export function fromUpstreamStatus(
  status: number,
  detail: UpstreamErrorDetail,
  backend: string,
  headers?: Headers,
  inStream = false,
): ProxyError {
  const passHeaders: Record<string, string> = {};
  for (const name of ["retry-after", "retry-after-ms"]) {
    const value = headers?.get(name);
    if (value) passHeaders[name] = value;
  }
  const quoted = inStream
    ? `Upstream ${backend} reported an error in its stream: ${detail.message}`
    : `Upstream ${backend} answered ${status}: ${detail.message}`;
  const codeOrType = `${detail.code ?? ""} ${detail.type ?? ""}`;
  if ((status === 400 || status === 413 || status === 422) && isContextOverflow(detail)) {
    return new ProxyError(400, "invalid_request_error", `prompt is too long: ${quoted}`);
  }
  if (/insufficient_quota|billing/i.test(codeOrType)) {
    return new ProxyError(402, "billing_error", quoted, { headers: passHeaders });
  }
  if (status === 401) {
    return new ProxyError(
      401,
      "authentication_error",
      `${quoted} (check the API key: --api-key / API_KEY, or the key your client sends)`,
    );
  }
  if (status === 404 && /model/i.test(detail.message + codeOrType)) {
    return new ProxyError(
      404,
      "not_found_error",
      `${quoted} (check the model name: --model / OPEN_MODEL)`,
    );
  }
  if (status === 502 || status === 503 || /overloaded|slow_down|unavailable/i.test(codeOrType)) {
    return new ProxyError(529, "overloaded_error", quoted, { headers: passHeaders });
  }
  const kind = KIND_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const outStatus = status >= 500 && kind === "api_error" ? 500 : STATUS_BY_KIND[kind];
  return new ProxyError(outStatus, kind, quoted, { headers: passHeaders });
}

function isContextOverflow(detail: UpstreamErrorDetail): boolean {
  return CONTEXT_OVERFLOW.test(`${detail.message} ${detail.code ?? ""} ${detail.type ?? ""}`);
}

// The status an error object implies when its code is not an HTTP status (first match wins).
const STATUS_BY_NAME: [RegExp, number][] = [
  [/context_length|context_size|too_long/i, 400],
  [/insufficient_quota|billing/i, 402],
  [/rate_limit|too_many_requests|resource_exhausted/i, 429],
  [/authentication|invalid_api_key|unauthenticated/i, 401],
  [/permission|forbidden/i, 403],
  [/not_found/i, 404],
  [/invalid_request|bad_?request|invalid_argument/i, 400],
  [/timeout|deadline/i, 504],
  [/overloaded|unavailable|slow_down/i, 503],
];

/**
 * An error object that arrived inside an HTTP 200 stream: a numeric `code` is the status;
 * otherwise the status follows from the code/type names (`context_length_exceeded` must still
 * become "prompt is too long"), else 500.
 */
export function fromStreamError(detail: UpstreamErrorDetail, backend: string): ProxyError {
  const numeric = Number(detail.code);
  const names = `${detail.code ?? ""} ${detail.type ?? ""}`;
  const status = Number.isInteger(numeric) && numeric >= 400 && numeric < 600
    ? numeric
    : STATUS_BY_NAME.find(([pattern]) => pattern.test(names))?.[1] ??
      (isContextOverflow(detail) ? 400 : 500);
  return fromUpstreamStatus(status, detail, backend, undefined, true);
}

/** fetch() itself failed: DNS, refused connection, TLS. */
export function fromFetchFailure(error: unknown, url: string): ProxyError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = withoutUrlSecrets(cause instanceof Error ? cause.message : String(cause));
  const where = withoutUrlSecrets(url);
  return new ProxyError(
    502,
    "api_error",
    `Cannot reach upstream ${where}: ${reason}; check --base-url and that the backend is running`,
    { cause: error },
  );
}

/**
 * Drops user info and query strings from URLs quoted in a text: fetch errors quote the full
 * request URL, which may carry a key (`?key=…`, `https://user:key@host`).
 */
function withoutUrlSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, "$1")
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*)\?[^\s#)]*/gi, "$1");
}

/** The client went away before its answer was committed (logged, never sent: nobody listens). */
export function clientGone(reason: unknown): ProxyError {
  return new ProxyError(499, "api_error", "The client closed the request", { cause: reason });
}
