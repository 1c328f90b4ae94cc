/**
 * Anthropic's web search server tool (`web_search_*`) through an OpenAI-compatible backend: the
 * backend's own search where one exists (OpenAI search models: `web_search_options`; OpenRouter:
 * the `web` plugin), answered with `server_tool_use` + `web_search_tool_result` blocks built from
 * the answer's `url_citation` annotations. Where none exists the tool is dropped and the answer
 * says so: `usage.server_tool_use.web_search_requests: 0`, and a short text note when search was
 * the request's only tool (Claude Code's WebSearch) — the proxy never pretends it searched.
 * @module
 */
import type {
  MessageParam,
  ResponseContentBlock,
  ToolDefinition,
  Usage,
  WebSearchResult,
} from "../anthropic/schema.ts";
import { randomId } from "./tool_names.ts";

/** How a backend searches: OpenAI's `web_search_options`, OpenRouter's web plugin, or not at all. */
export type WebSearchMode = "openai" | "openrouter" | "none";

/** What the response side needs when the request carried a web search tool. */
export interface WebSearchRequest {
  mode: WebSearchMode;
  /** The query reported in the `server_tool_use` block (the backend does not report its own). */
  query: string;
  /** Web search was the request's only tool: a "none" answer carries a text note. */
  only: boolean;
}

/** The note a "none" answer starts with when search was the request's only tool. */
export const NO_SEARCH_NOTE =
  "[claude-proxy: this backend has no web search the proxy can use, so no search was performed; the answer below comes from the model's own knowledge and may be out of date.]";

const CLAUDE_CODE_PREFIX = /web search for the query:\s*/i;
const MAX_QUERY = 500;

/** Whether a tool definition is Anthropic's web search server tool. */
export function isWebSearchTool(tool: ToolDefinition): boolean {
  return typeof tool.type === "string" && /^web_search_\d+$/.test(tool.type);
}

/**
 * The search query: the last user message's text, without Claude Code's "Perform a web search
 * for the query: " lead-in.
 */
export function searchQuery(messages: MessageParam[]): string {
  const last = messages.findLast((message) => message.role === "user");
  if (!last) return "";
  const text = typeof last.content === "string" ? last.content : last.content
    .map((block) => block.type === "text" ? String((block as { text?: unknown }).text ?? "") : "")
    .filter(Boolean).join("\n");
  const match = CLAUDE_CODE_PREFIX.exec(text);
  const query = (match ? text.slice(match.index + match[0].length) : text).trim();
  return query.length > MAX_QUERY ? query.slice(0, MAX_QUERY) : query;
}

/**
 * Anthropic's `user_location` ({type:"approximate", city, region, country, timezone}) in
 * OpenAI's `web_search_options.user_location` shape.
 */
export function openAIUserLocation(
  tool: ToolDefinition,
): { type: "approximate"; approximate: Record<string, string> } | undefined {
  const location = (tool as { user_location?: unknown }).user_location;
  if (!location || typeof location !== "object") return undefined;
  const approximate: Record<string, string> = {};
  for (const key of ["city", "region", "country", "timezone"]) {
    const value = (location as Record<string, unknown>)[key];
    if (typeof value === "string" && value) approximate[key] = value;
  }
  return Object.keys(approximate).length ? { type: "approximate", approximate } : undefined;
}

/** Collects url citations in order, one per URL. */
export class CitationCollector {
  readonly #seen = new Map<string, WebSearchResult>();

  /**
   * Adds annotations as OpenAI documents them
   * (`{type:"url_citation", url_citation:{url, title, start_index, end_index}}`; OpenRouter
   * follows the same schema). Anything else is ignored.
   */
  add(annotations: unknown): void {
    if (!Array.isArray(annotations)) return;
    for (const annotation of annotations) {
      if (!annotation || typeof annotation !== "object") continue;
      const item = annotation as { type?: unknown; url_citation?: unknown };
      if (item.type !== "url_citation" || !item.url_citation) continue;
      const citation = item.url_citation as { url?: unknown; title?: unknown };
      if (typeof citation.url !== "string" || !citation.url || this.#seen.has(citation.url)) {
        continue;
      }
      this.#seen.set(citation.url, {
        type: "web_search_result",
        url: citation.url,
        title: typeof citation.title === "string" && citation.title ? citation.title : citation.url,
        // Anthropic's encrypted page content has no equivalent; page age is unknown.
        encrypted_content: "",
        page_age: null,
      });
    }
  }

  get results(): WebSearchResult[] {
    return [...this.#seen.values()];
  }
}

/** The `server_tool_use` and `web_search_tool_result` blocks for a search that had results. */
export function webSearchBlocks(
  query: string,
  results: WebSearchResult[],
): [
  Extract<ResponseContentBlock, { type: "server_tool_use" }>,
  Extract<ResponseContentBlock, { type: "web_search_tool_result" }>,
] {
  const id = `srvtoolu_${randomId(24)}`;
  return [
    {
      type: "server_tool_use",
      id,
      name: "web_search",
      input: { query },
      caller: { type: "direct" },
    },
    {
      type: "web_search_tool_result",
      tool_use_id: id,
      content: results,
      caller: { type: "direct" },
    },
  ];
}

/**
 * Usage with `server_tool_use` when the request carried a web search tool: 1 when the backend's
 * citations show a search, else 0 (no search, or none the proxy can see).
 */
export function withSearchUsage(
  usage: Usage,
  search: WebSearchRequest | undefined,
  found: boolean,
): Usage {
  if (!search) return usage;
  return {
    ...usage,
    server_tool_use: { web_search_requests: found ? 1 : 0, web_fetch_requests: 0 },
  };
}
