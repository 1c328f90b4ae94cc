/** The release version; tests check that it matches deno.json. */
export const VERSION = "0.1.0";
