"""odl_bootstrap: wires Open edX and the MIT app of one generated stack, then proves it.

Copied verbatim into each stack as `bootstrap/odl_bootstrap/` and run in the one-shot
`bootstrap` container: `python -m odl_bootstrap [run|verify] --plan /stack/plan.json --stack /stack`.
Depends on the standard library and the Docker SDK only.
"""
