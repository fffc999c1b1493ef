// STAND-IN entry point (mitodl/mitxpro static/js/entry/root): the engine test edits it.
export const build = "entry-0"
