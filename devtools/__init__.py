"""Tools for developing SAGE: what the test suite and the benches share, and the extension's build and
icons scripts; never imported by the site."""
