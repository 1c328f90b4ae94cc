/**
 * Upstream error bodies and statuses → the Anthropic error types Claude clients act on
 * (protocol C.4, D.8, G.61–63).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  fromFetchFailure,
  fromStreamError,
  fromUpstreamStatus,
  ProxyError,
  readErrorDetail,
  type UpstreamErrorDetail,
} from "../lib/errors.ts";
import { fixtureJson } from "./_helpers.ts";

const BACKEND = "http://upstream.test/v1";

// ---- readErrorDetail -------------------------------------------------------------------------

Deno.test("readErrorDetail reads Gemini's array-wrapped error with a numeric code and status", () => {
  deepStrictEqual(readErrorDetail(fixtureJson("openai/gemini_error_array.json"), "raw"), {
    message: "API key not valid. Please pass a valid API key.",
    type: "INVALID_ARGUMENT",
    code: "400",
  });
});

Deno.test("readErrorDetail reads Ollama's error with null code", () => {
  deepStrictEqual(readErrorDetail(fixtureJson("openai/ollama_error.json"), "raw"), {
    message: 'model "gemma3:12b" not found, try pulling it first',
    type: "api_error",
    code: undefined,
  });
});

Deno.test("readErrorDetail reads OpenAI's context-length error", () => {
  deepStrictEqual(readErrorDetail(fixtureJson("openai/openai_error_context_length.json"), "raw"), {
    message: "This model's maximum context length is 128000 tokens. However, your messages " +
      "resulted in 131297 tokens. Please reduce the length of the messages.",
    type: "invalid_request_error",
    code: "context_length_exceeded",
  });
});

Deno.test("readErrorDetail accepts an error string, a top-level message and a numeric code", () => {
  deepStrictEqual(readErrorDetail({ error: "Model is loading" }, "raw"), {
    message: "Model is loading",
  });
  deepStrictEqual(readErrorDetail({ message: "Bad input", code: 42 }, "raw"), {
    message: "Bad input",
    type: undefined,
    code: "42",
  });
});

Deno.test("readErrorDetail falls back to the text of HTML and plain-text bodies", () => {
  const html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>";
  deepStrictEqual(readErrorDetail(undefined, html), {
    message: "502 Bad Gateway 502 Bad Gateway nginx",
  });
  deepStrictEqual(readErrorDetail(undefined, "upstream connect error or disconnect/reset\n"), {
    message: "upstream connect error or disconnect/reset",
  });
  // A JSON body without a usable message also falls back to the raw text.
  deepStrictEqual(readErrorDetail({ detail: "Not Found" }, '{"detail":"Not Found"}'), {
    message: '{"detail":"Not Found"}',
  });
  deepStrictEqual(readErrorDetail(undefined, ""), { message: "no error message" });
  equal(readErrorDetail(undefined, "x".repeat(1000)).message, "x".repeat(300));
});

// ---- fromUpstreamStatus (protocol D.8) -------------------------------------------------------

function detail(message: string, code?: string, type?: string): UpstreamErrorDetail {
  return { message, code, type };
}

function check(
  error: ProxyError,
  status: number,
  kind: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  ok(error instanceof ProxyError);
  deepStrictEqual(
    { status: error.status, kind: error.kind, message: error.message, headers: error.headers },
    { status, kind, message, headers },
  );
}

Deno.test("fromUpstreamStatus maps 400 to invalid_request_error", () => {
  check(
    fromUpstreamStatus(400, detail("Unrecognized request argument: top_k"), BACKEND),
    400,
    "invalid_request_error",
    `Upstream ${BACKEND} answered 400: Unrecognized request argument: top_k`,
  );
  // Gemini's invalid key arrives as a 400.
  check(
    fromUpstreamStatus(
      400,
      readErrorDetail(fixtureJson("openai/gemini_error_array.json"), ""),
      BACKEND,
    ),
    400,
    "invalid_request_error",
    `Upstream ${BACKEND} answered 400: API key not valid. Please pass a valid API key.`,
  );
  check(
    fromUpstreamStatus(422, detail("field required"), BACKEND),
    400,
    "invalid_request_error",
    `Upstream ${BACKEND} answered 422: field required`,
  );
});

Deno.test('fromUpstreamStatus turns a context overflow into 400 "prompt is too long"', () => {
  const openai = readErrorDetail(fixtureJson("openai/openai_error_context_length.json"), "");
  check(
    fromUpstreamStatus(400, openai, BACKEND),
    400,
    "invalid_request_error",
    `prompt is too long: Upstream ${BACKEND} answered 400: ${openai.message}`,
  );
  // llama.cpp names it in the type.
  check(
    fromUpstreamStatus(
      400,
      detail("request (9000 tokens) > n_ctx (8192)", "400", "exceed_context_size_error"),
      BACKEND,
    ),
    400,
    "invalid_request_error",
    `prompt is too long: Upstream ${BACKEND} answered 400: request (9000 tokens) > n_ctx (8192)`,
  );
  // Recognized by the message alone, and on 413/422 too.
  for (
    const [status, message] of [
      [400, "the request exceeds the available context size"],
      [413, "too many tokens in prompt"],
      [422, "Input length exceeds the context window of 32768"],
    ] as const
  ) {
    check(
      fromUpstreamStatus(status, detail(message), BACKEND),
      400,
      "invalid_request_error",
      `prompt is too long: Upstream ${BACKEND} answered ${status}: ${message}`,
    );
  }
});

Deno.test("fromUpstreamStatus maps 401 to authentication_error with a hint", () => {
  check(
    fromUpstreamStatus(401, detail("Incorrect API key provided", "invalid_api_key"), BACKEND),
    401,
    "authentication_error",
    `Upstream ${BACKEND} answered 401: Incorrect API key provided ` +
      "(check the API key: --api-key / API_KEY, or the key your client sends)",
  );
});

Deno.test("fromUpstreamStatus maps 402 and insufficient_quota to billing_error 402", () => {
  check(
    fromUpstreamStatus(402, detail("Insufficient credits"), BACKEND),
    402,
    "billing_error",
    `Upstream ${BACKEND} answered 402: Insufficient credits`,
  );
  // OpenAI sends quota exhaustion as 429; SDKs would retry a 429 forever.
  const headers = new Headers({ "retry-after": "20" });
  check(
    fromUpstreamStatus(
      429,
      detail("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
      BACKEND,
      headers,
    ),
    402,
    "billing_error",
    `Upstream ${BACKEND} answered 429: You exceeded your current quota`,
    { "retry-after": "20" },
  );
});

Deno.test("fromUpstreamStatus maps 403 to permission_error", () => {
  check(
    fromUpstreamStatus(403, detail("Project does not have access"), BACKEND),
    403,
    "permission_error",
    `Upstream ${BACKEND} answered 403: Project does not have access`,
  );
});

Deno.test("fromUpstreamStatus maps 404 to not_found_error, with a model hint for a missing model", () => {
  const ollama = readErrorDetail(fixtureJson("openai/ollama_error.json"), "");
  check(
    fromUpstreamStatus(404, ollama, BACKEND),
    404,
    "not_found_error",
    `Upstream ${BACKEND} answered 404: ${ollama.message} (check the model name: --model / OPEN_MODEL)`,
  );
  check(
    fromUpstreamStatus(404, detail("The model `gpt-9` does not exist", "model_not_found"), BACKEND),
    404,
    "not_found_error",
    `Upstream ${BACKEND} answered 404: The model \`gpt-9\` does not exist ` +
      "(check the model name: --model / OPEN_MODEL)",
  );
  check(
    fromUpstreamStatus(404, detail("404 page not found"), BACKEND),
    404,
    "not_found_error",
    `Upstream ${BACKEND} answered 404: 404 page not found`,
  );
});

Deno.test("fromUpstreamStatus maps 413 to request_too_large and 408/504 to timeout_error", () => {
  check(
    fromUpstreamStatus(413, detail("Request Entity Too Large"), BACKEND),
    413,
    "request_too_large",
    `Upstream ${BACKEND} answered 413: Request Entity Too Large`,
  );
  check(
    fromUpstreamStatus(408, detail("Request Timeout"), BACKEND),
    504,
    "timeout_error",
    `Upstream ${BACKEND} answered 408: Request Timeout`,
  );
  check(
    fromUpstreamStatus(504, detail("Gateway Timeout"), BACKEND),
    504,
    "timeout_error",
    `Upstream ${BACKEND} answered 504: Gateway Timeout`,
  );
});

Deno.test("fromUpstreamStatus maps 429 to rate_limit_error and keeps retry-after", () => {
  const headers = new Headers({ "retry-after": "7", "retry-after-ms": "6500", "x-other": "1" });
  check(
    fromUpstreamStatus(429, detail("Rate limit reached", "rate_limit_exceeded"), BACKEND, headers),
    429,
    "rate_limit_error",
    `Upstream ${BACKEND} answered 429: Rate limit reached`,
    { "retry-after": "7", "retry-after-ms": "6500" },
  );
});

Deno.test("fromUpstreamStatus maps 500 and other 5xx to api_error 500", () => {
  for (const status of [500, 520, 599]) {
    check(
      fromUpstreamStatus(status, detail("boom", undefined, "server_error"), BACKEND),
      500,
      "api_error",
      `Upstream ${BACKEND} answered ${status}: boom`,
    );
  }
});

Deno.test("fromUpstreamStatus maps 502, 503 and overloaded codes to 529 overloaded_error", () => {
  const headers = new Headers({ "retry-after": "3" });
  for (const status of [502, 503]) {
    check(
      fromUpstreamStatus(status, detail("Service Unavailable"), BACKEND, headers),
      529,
      "overloaded_error",
      `Upstream ${BACKEND} answered ${status}: Service Unavailable`,
      { "retry-after": "3" },
    );
  }
  check(
    fromUpstreamStatus(500, detail("The server is overloaded", "server_is_overloaded"), BACKEND),
    529,
    "overloaded_error",
    `Upstream ${BACKEND} answered 500: The server is overloaded`,
  );
  check(
    fromUpstreamStatus(500, detail("Slow down", "slow_down"), BACKEND),
    529,
    "overloaded_error",
    `Upstream ${BACKEND} answered 500: Slow down`,
  );
});

Deno.test("fromUpstreamStatus maps an unknown 4xx to invalid_request_error 400", () => {
  check(
    fromUpstreamStatus(418, detail("I'm a teapot"), BACKEND),
    400,
    "invalid_request_error",
    `Upstream ${BACKEND} answered 418: I'm a teapot`,
  );
});

// ---- fromStreamError -------------------------------------------------------------------------

Deno.test("fromStreamError takes a numeric code as the status", () => {
  check(
    fromStreamError(detail("Provider disconnected unexpectedly", "502"), BACKEND),
    529,
    "overloaded_error",
    `Upstream ${BACKEND} reported an error in its stream: Provider disconnected unexpectedly`,
  );
  check(
    fromStreamError(detail("Too many requests", "429"), BACKEND),
    429,
    "rate_limit_error",
    `Upstream ${BACKEND} reported an error in its stream: Too many requests`,
  );
});

Deno.test("fromStreamError infers the status from code and type names", () => {
  const cases: [UpstreamErrorDetail, number, string, string][] = [
    [
      detail(
        "maximum context length is 8192 tokens",
        "context_length_exceeded",
        "invalid_request_error",
      ),
      400,
      "invalid_request_error",
      `prompt is too long: Upstream ${BACKEND} reported an error in its stream: maximum context length is 8192 tokens`,
    ],
    // No code at all, but the message is a context overflow.
    [
      detail("This model's maximum context length is 4096 tokens"),
      400,
      "invalid_request_error",
      `prompt is too long: Upstream ${BACKEND} reported an error in its stream: This model's maximum context length is 4096 tokens`,
    ],
    [
      detail("Rate limit reached", "rate_limit_exceeded", "tokens"),
      429,
      "rate_limit_error",
      `Upstream ${BACKEND} reported an error in its stream: Rate limit reached`,
    ],
    [
      detail("quota", "insufficient_quota"),
      402,
      "billing_error",
      `Upstream ${BACKEND} reported an error in its stream: quota`,
    ],
    [
      detail("Overloaded", undefined, "overloaded_error"),
      529,
      "overloaded_error",
      `Upstream ${BACKEND} reported an error in its stream: Overloaded`,
    ],
    [
      detail("Resource has been exhausted", undefined, "RESOURCE_EXHAUSTED"),
      429,
      "rate_limit_error",
      `Upstream ${BACKEND} reported an error in its stream: Resource has been exhausted`,
    ],
    [
      detail("bad key", "invalid_api_key", "invalid_request_error"),
      401,
      "authentication_error",
      `Upstream ${BACKEND} reported an error in its stream: bad key ` +
      "(check the API key: --api-key / API_KEY, or the key your client sends)",
    ],
    [
      detail("Something broke", null as unknown as undefined, "server_error"),
      500,
      "api_error",
      `Upstream ${BACKEND} reported an error in its stream: Something broke`,
    ],
  ];
  for (const [input, status, kind, message] of cases) {
    check(fromStreamError(input, BACKEND), status, kind, message);
  }
});

// ---- fromFetchFailure ------------------------------------------------------------------------

Deno.test("fromFetchFailure names the URL and the cause, never a key from the URL", () => {
  const error = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (http://host.invalid/v1/chat/completions?key=SECRET-KEY): " +
        "client error (Connect): dns error: failed to lookup address information",
    ),
  });
  const failure = fromFetchFailure(error, "http://host.invalid/v1");
  check(
    failure,
    502,
    "api_error",
    "Cannot reach upstream http://host.invalid/v1: error sending request for url " +
      "(http://host.invalid/v1/chat/completions): client error (Connect): dns error: failed to " +
      "lookup address information; check --base-url and that the backend is running",
  );
  equal(failure.cause, error);

  // Credentials in the URL itself (user info, query) are dropped too.
  const userInfo = fromFetchFailure(
    new Error("connection refused: https://user:sk-SECRET@api.example.com/v1?api-key=SECRET2"),
    "https://user:sk-SECRET@api.example.com/v1?api-key=SECRET2",
  );
  equal(
    userInfo.message,
    "Cannot reach upstream https://api.example.com/v1: connection refused: " +
      "https://api.example.com/v1; check --base-url and that the backend is running",
  );
  ok(!userInfo.message.includes("SECRET"));

  // A non-Error cause.
  equal(
    fromFetchFailure("socket hang up", "http://127.0.0.1:8080/v1").message,
    "Cannot reach upstream http://127.0.0.1:8080/v1: socket hang up; check --base-url and " +
      "that the backend is running",
  );
});
