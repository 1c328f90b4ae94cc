/**
 * Anthropic tool definitions and tool_choice → OpenAI functions.
 * @module
 */
import type { ToolChoice, ToolDefinition } from "../anthropic/schema.ts";
import type { FunctionTool, OpenAIToolChoice } from "../openai/schema.ts";
import { cleanJsonSchema } from "./json_schema.ts";
import { upstreamToolName } from "./tool_names.ts";

/** Options for tool translation. */
export interface ToolOptions {
  /** Strip schema keywords strict backends (Gemini) reject. */
  cleanSchemas: boolean;
}

/**
 * A custom (client-executed) tool has no `type` or type "custom". Anthropic server tools carry a
 * versioned type such as `web_search_20250305` and have no OpenAI equivalent.
 */
export function isCustomTool(tool: ToolDefinition): boolean {
  return tool.type == null || tool.type === "custom";
}

/** Translates the custom tools; server tools are reported in `dropped`. */
export function toOpenAITools(
  tools: ToolDefinition[],
  options: ToolOptions,
): { tools: FunctionTool[]; dropped: string[] } {
  const out: FunctionTool[] = [];
  const dropped: string[] = [];
  for (const tool of tools) {
    if (!isCustomTool(tool)) {
      dropped.push(`${tool.name} (${tool.type})`);
      continue;
    }
    const schema = tool.input_schema ?? { type: "object", properties: {} };
    const parameters = (options.cleanSchemas ? cleanJsonSchema(schema) : schema) as Record<
      string,
      unknown
    >;
    const fn: FunctionTool["function"] = { name: upstreamToolName(tool.name), parameters };
    if (tool.description) fn.description = tool.description;
    out.push({ type: "function", function: fn });
  }
  return { tools: out, dropped };
}

/** Maps tool_choice; `disable_parallel_tool_use` becomes `parallel_tool_calls: false`. */
export function toOpenAIToolChoice(
  choice: ToolChoice,
): { tool_choice: OpenAIToolChoice; parallel_tool_calls?: false } {
  const parallel = choice.disable_parallel_tool_use && choice.type !== "none"
    ? { parallel_tool_calls: false as const }
    : {};
  switch (choice.type) {
    case "any":
      return { tool_choice: "required", ...parallel };
    case "none":
      return { tool_choice: "none" };
    case "tool":
      return choice.name
        ? {
          tool_choice: { type: "function", function: { name: upstreamToolName(choice.name) } },
          ...parallel,
        }
        : { tool_choice: "required", ...parallel };
    default:
      return { tool_choice: "auto", ...parallel };
  }
}
