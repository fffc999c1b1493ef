// STAND-IN entry point (mitodl/mitxonline frontend/public/src/entry/root): the engine test edits it.
export const build = "entry-0"
