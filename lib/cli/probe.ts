/**
 * Talks to a backend the way a person debugging it would: list its models, send one tiny chat
 * request, and say in plain words what went wrong (wrong key, wrong URL, unknown model,
 * rejected max_tokens, unreachable). Used by `setup` (the live test) and `doctor`.
 * @module
 */
import type { BackendType } from "../config.ts";
import { messagesUrl } from "../dialect.ts";
import { readErrorResponse } from "../errors.ts";
import { inferProvider, PRESETS } from "../providers.ts";
import { ANTHROPIC_VERSION } from "../upstream.ts";

/** Where to send the probe. */
export interface ProbeTarget {
  baseUrl: string;
  apiKey?: string;
  model?: string;
  /** Header for the key instead of Bearer (default: the host's preset, `api-key` on Azure). */
  apiKeyHeader?: string;
  /** The API the backend speaks (default openai). */
  type?: BackendType;
}

/** The outcome of one probe, ready to print. */
export interface ProbeResult {
  ok: boolean;
  /** The HTTP status, when the backend answered. */
  status?: number;
  /** One plain sentence: what happened. */
  summary: string;
  /** The upstream's own words, when it gave a reason. */
  reason?: string;
  /** What to do about it. */
  advice?: string;
}

/** Injectable fetch and deadline. */
export interface ProbeOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

function headers(target: ProbeTarget): Record<string, string> {
  const result: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
  };
  if (target.type === "anthropic") {
    result["anthropic-version"] = ANTHROPIC_VERSION;
    if (target.apiKey) result["x-api-key"] = target.apiKey;
    return result;
  }
  const header = target.apiKeyHeader ?? PRESETS[inferProvider(target.baseUrl)].apiKeyHeader;
  if (target.apiKey && header) result[header] = target.apiKey;
  else if (target.apiKey) result.authorization = `Bearer ${target.apiKey}`;
  return result;
}

/** base URL + path, keeping a query (Azure's `?api-version=`) at the end. */
function endpoint(baseUrl: string, path: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  return url.href;
}

/** Where the backend lists models and answers chat: per its dialect, as the proxy joins them. */
function endpoints(target: ProbeTarget): { models: string; chat: string } {
  if (target.type !== "anthropic") {
    return {
      models: endpoint(target.baseUrl, "/models"),
      chat: endpoint(target.baseUrl, "/chat/completions"),
    };
  }
  const chat = messagesUrl(target.baseUrl);
  const models = new URL(chat);
  models.pathname = models.pathname.replace(/\/messages$/, "/models");
  return { models: models.href, chat };
}

/** Why a fetch never got an answer, in plain words. */
export function unreachable(url: string, error: unknown): ProbeResult {
  const err = error as { name?: string; message?: string; cause?: { code?: string } };
  const text = `${err?.message ?? error} ${err?.cause?.code ?? ""}`;
  let why = (err?.message ?? String(error)).trim();
  if (err?.name === "TimeoutError" || /timed? ?out/i.test(text)) why = "no answer in time";
  else if (/refused/i.test(text)) why = "connection refused: nothing listens there";
  else if (/ENOTFOUND|EAI_AGAIN|dns|lookup|resolve|name or service/i.test(text)) {
    why = "the host name does not resolve";
  } else if (/certificate|tls|ssl/i.test(text)) why = `TLS failed: ${why}`;
  return {
    ok: false,
    summary: `cannot reach ${new URL(url).origin}: ${why}`,
    advice: "check --base-url (scheme, host, port) and that the backend is running",
  };
}

async function readReason(response: Response): Promise<string> {
  return (await readErrorResponse(response)).message;
}

/** Turns a non-2xx answer into plain words. */
export function explain(
  status: number,
  reason: string,
  target: ProbeTarget,
  url: string,
): ProbeResult {
  const base = { ok: false, status, reason };
  const model = target.model ?? "(none)";
  const mentionsModel = /model/i.test(reason);
  const notFound =
    /not[ _-]?found|does not exist|doesn't exist|unknown|invalid|no such|not available|unsupported/i
      .test(reason);
  if (status === 401) {
    return {
      ...base,
      summary: target.apiKey
        ? "the backend rejected the API key (401)"
        : "the backend wants an API key (401) and none is configured",
      advice: "pass the right key with --api-key (or API_KEY in the env file)",
    };
  }
  if (status === 403) {
    return {
      ...base,
      summary: "the API key is not allowed to do this (403)",
      advice: "check the key's permissions, project, region or billing at the provider",
    };
  }
  if (/max_tokens|max_completion_tokens/i.test(reason) && status === 400) {
    return {
      ...base,
      summary: "the backend rejects max_tokens (400)",
      advice: "if it says the value is too large, set --max-tokens-cap to the model's output " +
        "limit; if it wants max_completion_tokens, it is an OpenAI reasoning model",
    };
  }
  if ((status === 404 || status === 400 || status === 422) && mentionsModel && notFound) {
    return {
      ...base,
      summary: `the backend does not know the model "${model}" (${status})`,
      advice: "pick a model the backend lists (claude-proxy doctor shows them) with --model",
    };
  }
  if (status === 404) {
    return {
      ...base,
      summary: `${url} does not exist (404): the base URL looks wrong`,
      advice: target.type === "anthropic"
        ? "an anthropic base URL is the API root, as Anthropic's SDKs take it " +
          "(https://api.anthropic.com); /v1/messages is appended"
        : "OpenAI-compatible base URLs usually end in /v1 (Gemini: /v1beta/openai)",
    };
  }
  if (status === 429) {
    return {
      ...base,
      summary: "the backend is rate-limiting or the quota is used up (429)",
      advice: "wait, or check the plan and billing at the provider",
    };
  }
  if (status >= 500) {
    return { ...base, summary: `the backend failed (${status})`, advice: "try again later" };
  }
  return { ...base, summary: `the backend refused the request (${status})` };
}

/** GET {base}/models: the model ids, or why not. */
export async function listModels(
  target: ProbeTarget,
  options: ProbeOptions = {},
): Promise<ProbeResult & { models?: string[] }> {
  const url = endpoints(target).models;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: headers(target),
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    return unreachable(url, error);
  }
  if (!response.ok) {
    const reason = await readReason(response);
    if (response.status === 404 || response.status === 405) {
      return {
        ok: false,
        status: response.status,
        reason,
        summary: `no model list at ${url} (${response.status}); not every backend has one`,
      };
    }
    return explain(response.status, reason, target, url);
  }
  const body = await response.json().catch(() => undefined) as
    | { data?: Array<{ id?: unknown }>; models?: Array<{ id?: unknown; name?: unknown }> }
    | undefined;
  const list = body?.data ?? body?.models;
  if (!Array.isArray(list)) {
    return {
      ok: false,
      status: response.status,
      summary: `${url} answered, but not with an OpenAI model list`,
      advice: "check --base-url: it should be the API root, usually ending in /v1",
    };
  }
  const models = list.map((item) => String(item?.id ?? (item as { name?: unknown })?.name))
    .filter((id) => id && id !== "undefined");
  return { ok: true, status: response.status, models, summary: `${models.length} models` };
}

/**
 * One tiny request with max_tokens 1: POST {base}/chat/completions, or the Messages API for an
 * anthropic backend.
 */
export async function chatProbe(
  target: ProbeTarget,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  if (target.type === "anthropic") return await messagesProbe(target, options);
  const url = endpoints(target).chat;
  const send = (limit: Record<string, number>) =>
    (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: headers(target),
      body: JSON.stringify({
        model: target.model,
        messages: [{ role: "user", content: "Say OK." }],
        ...limit,
        stream: false,
      }),
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  let response: Response;
  let note = "";
  try {
    response = await send({ max_tokens: 1 });
    if (response.status === 400) {
      const reason = await readReason(response);
      // OpenAI reasoning models refuse max_tokens; the proxy sends max_completion_tokens to them.
      if (/max_completion_tokens/.test(reason)) {
        response = await send({ max_completion_tokens: 16 });
        note = " (with max_completion_tokens: the backend refuses max_tokens for this model)";
      } else {
        return explain(400, reason, target, url);
      }
    }
  } catch (error) {
    return unreachable(url, error);
  }
  if (!response.ok) return explain(response.status, await readReason(response), target, url);
  const text = await response.text().catch(() => "");
  let body: { choices?: unknown; model?: unknown } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!body || !Array.isArray(body.choices)) {
    return {
      ok: false,
      status: response.status,
      summary: `${url} answered ${response.status}, but not like an OpenAI chat completions API`,
      advice: "check --base-url: it should be the API root, usually ending in /v1",
    };
  }
  const answered = typeof body.model === "string" ? ` (answered by ${body.model})` : "";
  return {
    ok: true,
    status: response.status,
    summary: `a chat request to ${
      target.model ?? "the default model"
    } went through${answered}${note}`,
  };
}

/** POST {base}/v1/messages with one tiny message and max_tokens 1. */
async function messagesProbe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const url = endpoints(target).chat;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: headers(target),
      body: JSON.stringify({
        model: target.model,
        max_tokens: 1,
        messages: [{ role: "user", content: "Say OK." }],
      }),
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    return unreachable(url, error);
  }
  if (!response.ok) return explain(response.status, await readReason(response), target, url);
  const body = await response.json().catch(() => undefined) as
    | { content?: unknown; model?: unknown }
    | undefined;
  if (!body || !Array.isArray(body.content)) {
    return {
      ok: false,
      status: response.status,
      summary: `${url} answered ${response.status}, but not like Anthropic's Messages API`,
      advice: "check --base-url and --backend-type: an anthropic base URL is the API root " +
        "(https://api.anthropic.com)",
    };
  }
  const answered = typeof body.model === "string" ? ` (answered by ${body.model})` : "";
  return {
    ok: true,
    status: response.status,
    summary: `a Messages request to ${target.model ?? "the default model"} went through${answered}`,
  };
}
