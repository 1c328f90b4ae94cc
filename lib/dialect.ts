/**
 * Which API a request or a backend speaks, and the endpoint URLs per dialect.
 *
 * Base URLs are joined per dialect: an openai backend's base URL ends where `/chat/completions`
 * is appended (`https://api.openai.com/v1`); an anthropic backend's base URL is the API root, as
 * Anthropic's SDKs take it (`https://api.anthropic.com`), and `/v1/messages` is appended — a base
 * URL that already ends in `/v1` gets only `/messages`, and a full `/v1/messages` URL is kept.
 * @module
 */

/** The messages endpoint of an anthropic backend's base URL (query kept at the end). */
export function messagesUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  if (/\/messages$/.test(path)) return url.href;
  url.pathname = /\/v1$/.test(path) ? `${path}/messages` : `${path}/v1/messages`;
  return url.href;
}

/** The Messages API's count_tokens endpoint beside messagesUrl's (query kept). */
export function countTokensUrl(baseUrl: string): string {
  const url = new URL(messagesUrl(baseUrl));
  url.pathname += "/count_tokens";
  return url.href;
}

/**
 * Whether a client asks in OpenAI's style: no `anthropic-version` header. Anthropic's SDKs and
 * Claude Code always send one (Claude Code authenticates with a Bearer token too, so Bearer
 * alone does not decide it).
 */
export function asksOpenAIStyle(request: Request): boolean {
  return !request.headers.get("anthropic-version");
}
